#include "firmware/acpi/fadt.h"

namespace berth::acpi {

std::vector<uint8_t> build_fadt(const AcpiConfig& config, uint32_t facs_address,
                                uint32_t dsdt_address) {
    Fadt fadt{};
    fadt.header = make_sdt_header("FACP", kFadtRevision);

    // ACPI 6.4 §5.2.9: when X_FIRMWARE_CTRL is set, FIRMWARE_CTRL must be 0
    // (Linux otherwise lists the FACS twice).
    fadt.firmware_ctrl = 0;
    fadt.x_firmware_ctrl = facs_address;
    fadt.dsdt = dsdt_address;
    fadt.x_dsdt = dsdt_address;

    fadt.sci_int = config.sci_irq;
    // SMI_CMD = 0 means "no SMI command port": ACPI 6.4 §5.2.9 says OSPM then
    // treats the hardware as already in ACPI mode, so ACPI_ENABLE/DISABLE
    // stay 0 and the OS never waits for SCI_EN to flip.
    fadt.smi_cmd = 0;

    fadt.pm1a_evt_blk = config.pm1a_evt_port;
    fadt.pm1_evt_len = kPm1EvtLen;
    fadt.x_pm1a_evt_blk = io_port_register(config.pm1a_evt_port, kPm1EvtLen * 8);
    fadt.pm1a_cnt_blk = config.pm1a_cnt_port;
    fadt.pm1_cnt_len = kPm1CntLen;
    fadt.x_pm1a_cnt_blk = io_port_register(config.pm1a_cnt_port, kPm1CntLen * 8);
    // No PM timer (ACPI 5.0+ makes it optional; the guest uses kvmclock) and
    // no GPE blocks: the SCI's only sources are the PM1 fixed events.

    // The board has ISA legacy devices (UART, RTC) and no VGA. The 8042 bit
    // stays 0: Berth's i8042 has no keyboard, only the reset line (which
    // reboot=k and the RESET_REG below use directly), and with the bit set
    // Linux spends seconds probing for PS/2 ports. It does have a CMOS RTC,
    // so that bit stays 0 too: without one the kernel stalls probing for it.
    fadt.iapc_boot_arch = IAPC_BOOT_ARCH_LEGACY_DEVICES | IAPC_BOOT_ARCH_VGA_NOT_PRESENT;
    // CMOS register holding the century, so the guest reads a 4-digit year.
    fadt.century = 0x32;

    // PWR_BUTTON and SLP_BUTTON set: there is no fixed-feature power or sleep
    // button, so the OS does not look for their status/enable bits. Not
    // HW_REDUCED_ACPI: Berth implements the PM1 fixed-hardware registers.
    fadt.flags =
        FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON | FADT_RESET_REG_SUP;
    fadt.reset_reg = io_port_register(config.reset_port, 8, ACCESS_SIZE_BYTE);
    fadt.reset_value = config.reset_value;

    fadt.fadt_minor_version = kFadtMinorVersion;
    copy_id(fadt.hypervisor_vendor_identity, "BERTH");

    std::vector<uint8_t> table;
    append_struct(table, fadt);
    finish_table(table);
    return table;
}

}  // namespace berth::acpi
