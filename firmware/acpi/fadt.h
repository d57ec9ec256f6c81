// Fixed ACPI Description Table (ACPI 6.4 §5.2.9, Table 5.9), signature "FACP".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "firmware/acpi/acpi_tables.h"
#include "firmware/acpi/sdt.h"

namespace berth::acpi {

// FADT format revision 6 (ACPI 6.0 and later), 276 bytes.
struct __attribute__((packed)) Fadt {
    SdtHeader header;
    uint32_t firmware_ctrl;  // 32-bit address of the FACS
    uint32_t dsdt;           // 32-bit address of the DSDT
    uint8_t reserved0;       // was INT_MODEL in ACPI 1.0
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;  // 0: no SMI command port, the system is always in ACPI mode
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_req;
    uint8_t pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t pm1_evt_len;
    uint8_t pm1_cnt_len;
    uint8_t pm2_cnt_len;
    uint8_t pm_tmr_len;
    uint8_t gpe0_blk_len;
    uint8_t gpe1_blk_len;
    uint8_t gpe1_base;
    uint8_t cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alrm;
    uint8_t mon_alrm;
    uint8_t century;
    uint16_t iapc_boot_arch;  // §5.2.9.3
    uint8_t reserved1;
    uint32_t flags;  // §5.2.9, Table 5.10
    GenericAddress reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t fadt_minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    GenericAddress x_pm1a_evt_blk;
    GenericAddress x_pm1b_evt_blk;
    GenericAddress x_pm1a_cnt_blk;
    GenericAddress x_pm1b_cnt_blk;
    GenericAddress x_pm2_cnt_blk;
    GenericAddress x_pm_tmr_blk;
    GenericAddress x_gpe0_blk;
    GenericAddress x_gpe1_blk;
    GenericAddress sleep_control_reg;
    GenericAddress sleep_status_reg;
    char hypervisor_vendor_identity[8];
};
static_assert(sizeof(Fadt) == 276);
static_assert(offsetof(Fadt, sci_int) == 46);
static_assert(offsetof(Fadt, pm1a_evt_blk) == 56);
static_assert(offsetof(Fadt, pm1_evt_len) == 88);
static_assert(offsetof(Fadt, iapc_boot_arch) == 109);
static_assert(offsetof(Fadt, flags) == 112);
static_assert(offsetof(Fadt, reset_reg) == 116);
static_assert(offsetof(Fadt, x_firmware_ctrl) == 132);
static_assert(offsetof(Fadt, x_pm1a_evt_blk) == 148);
static_assert(offsetof(Fadt, hypervisor_vendor_identity) == 268);

inline constexpr uint8_t kFadtRevision = 6;
inline constexpr uint8_t kFadtMinorVersion = 4;  // ACPI 6.4: bits 3:0 minor, 7:4 errata

// Fixed feature flags (ACPI 6.4 Table 5.10), named as the spec names them.
inline constexpr uint32_t FADT_WBINVD = 1u << 0;
inline constexpr uint32_t FADT_PROC_C1 = 1u << 2;
inline constexpr uint32_t FADT_PWR_BUTTON = 1u << 4;  // 1: no fixed power button
inline constexpr uint32_t FADT_SLP_BUTTON = 1u << 5;  // 1: no fixed sleep button
inline constexpr uint32_t FADT_RESET_REG_SUP = 1u << 10;
inline constexpr uint32_t FADT_HW_REDUCED_ACPI = 1u << 20;

// IA-PC boot architecture flags (ACPI 6.4 §5.2.9.3, Table 5.11).
inline constexpr uint16_t IAPC_BOOT_ARCH_LEGACY_DEVICES = 1u << 0;
inline constexpr uint16_t IAPC_BOOT_ARCH_8042 = 1u << 1;
inline constexpr uint16_t IAPC_BOOT_ARCH_VGA_NOT_PRESENT = 1u << 2;
inline constexpr uint16_t IAPC_BOOT_ARCH_MSI_NOT_SUPPORTED = 1u << 3;
inline constexpr uint16_t IAPC_BOOT_ARCH_CMOS_RTC_NOT_PRESENT = 1u << 5;

inline constexpr uint8_t kPm1EvtLen = 4;  // PM1 status + PM1 enable, 2 bytes each
inline constexpr uint8_t kPm1CntLen = 2;

// The FADT for `config`, pointing at the FACS and DSDT at those addresses
// (both below 4 GiB: the 32-bit and 64-bit pointers are filled alike).
std::vector<uint8_t> build_fadt(const AcpiConfig& config, uint32_t facs_address,
                                uint32_t dsdt_address);

}  // namespace berth::acpi
