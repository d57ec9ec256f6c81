// Builds the ACPI tables Berth hands its guest: RSDP -> XSDT (and RSDT) ->
// FADT (-> FACS, DSDT) and MADT. They are how a kernel without MP-table
// support (Debian's cloud kernel) finds its CPUs and IOAPIC, and how it powers
// the machine off (ACPI S5). See firmware/README.md for why each table exists.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "vmm/memory/guest_address.h"

namespace berth::acpi {

// The board facts the tables describe. default_acpi_config() fills them from
// vmm/layout.h.
struct AcpiConfig {
    uint32_t cpu_count = 0;  // 1..254; CPU n gets APIC id n and ACPI processor UID n
    uint64_t ioapic_address = 0;
    // Linux x86-64 only needs this unique among IOAPICs and takes it as is;
    // cpu_count keeps it distinct from every APIC id as well.
    uint8_t ioapic_id = 0;
    uint16_t pm1a_evt_port = 0;  // 4 bytes: PM1 status (2), PM1 enable (2)
    uint16_t pm1a_cnt_port = 0;  // 2 bytes: PM1 control (SLP_TYP, SLP_EN)
    uint8_t sci_irq = 0;         // ISA IRQ = IOAPIC pin = GSI of the SCI; 0..15
    uint8_t s5_sleep_type = 0;   // SLP_TYP value \_S5 declares (3 bits)
    uint16_t reset_port = 0;     // FADT RESET_REG, an 8-bit I/O register
    uint8_t reset_value = 0;
    // The PCI host bridge the DSDT describes (PNP0A03 on bus 0, configured
    // through ports 0xCF8-0xCFF). Without it Linux never scans bus 0.
    struct PciHostBridge {
        uint32_t mmio_start = 0;  // window for memory BARs
        uint32_t mmio_size = 0;
    };
    std::optional<PciHostBridge> pci;
};

// The configuration of Berth's board (vmm/layout.h) for `cpu_count` CPUs.
AcpiConfig default_acpi_config(uint32_t cpu_count);

struct AcpiTables {
    GuestAddress rsdp;           // for boot_params.acpi_rsdp_addr; equals `base`
    std::vector<uint8_t> bytes;  // image to copy into guest memory at `base`
};

// Lays the tables out for guest-physical address `base` (16-byte aligned,
// image below 4 GiB). The RSDP comes first, so at base = 0xE0000 a BIOS-area
// scan finds it too. Throws std::invalid_argument when the configuration is
// out of range (cpu_count 0 or > 254, sci_irq > 15, s5_sleep_type > 7, an
// IOAPIC above 4 GiB, a PCI window that is empty or reaches past 4 GiB),
// `base` is misaligned, or the image would not fit in `max_size` bytes.
AcpiTables build_acpi_tables(const AcpiConfig& config, GuestAddress base, uint64_t max_size);

}  // namespace berth::acpi
