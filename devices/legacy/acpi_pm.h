// The ACPI fixed-hardware PM1a registers Berth's FADT points at: the PM1a
// event block (PM1_STS and PM1_EN, 2 bytes each, at port 0x600) and the PM1a
// control block (PM1_CNT, 2 bytes, at 0x604), registered as one 6-byte range.
//
// Modelled on ACPI 6.5 §4.8.3.1 "PM1 Event Grouping" (Tables 4.11-4.14) and
// §4.8.3.2 "PM1 Control Grouping" (Table 4.16):
//   - PM1_STS: write 1 to clear. Berth sets only WAK_STS (see below).
//   - PM1_EN: read/write; bits the spec does not define read 0.
//   - PM1_CNT: SCI_EN reads 1 (Berth is always in ACPI mode, so it has no
//     SMI_CMD and no legacy mode to leave); BM_RLD and SLP_TYPx (bits 12:10)
//     read back what was written; GBL_RLS and SLP_EN are write-only and read 0.
//   - Writing SLP_EN with SLP_TYPx equal to the S5 sleep type the DSDT's \_S5
//     declares calls on_poweroff. Any other sleep state is not supported: the
//     request is counted and the guest "wakes" at once (WAK_STS set), so
//     Linux's wait for WAK_STS in acpi_hw_legacy_sleep() ends instead of
//     spinning for ever.
//   - Accesses of 1, 2 or 4 bytes at any offset inside the range each act on
//     the bytes they cover (Linux uses 16-bit accesses; a 32-bit access at 0
//     covers PM1_STS and PM1_EN together).
//
// on_poweroff runs on the vCPU thread, outside the device lock; the guest may
// repeat the request before the VMM stops it, so it must tolerate repeats.
// No SCI is raised: none of the enabled events can happen yet.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>

#include "devices/bus_device.h"
#include "vmm/layout.h"

namespace berth::devices {

// PM1 register bits, named as the ACPI specification names them.
namespace acpi_pm1 {
// PM1_STS / PM1_EN (ACPI 6.5 Tables 4.13, 4.14).
inline constexpr uint16_t TMR_STS = 1u << 0;
inline constexpr uint16_t BM_STS = 1u << 4;
inline constexpr uint16_t GBL_STS = 1u << 5;
inline constexpr uint16_t PWRBTN_STS = 1u << 8;
inline constexpr uint16_t SLPBTN_STS = 1u << 9;
inline constexpr uint16_t RTC_STS = 1u << 10;
inline constexpr uint16_t PCIEXP_WAKE_STS = 1u << 14;
inline constexpr uint16_t WAK_STS = 1u << 15;
inline constexpr uint16_t TMR_EN = 1u << 0;
inline constexpr uint16_t GBL_EN = 1u << 5;
inline constexpr uint16_t PWRBTN_EN = 1u << 8;
inline constexpr uint16_t SLPBTN_EN = 1u << 9;
inline constexpr uint16_t RTC_EN = 1u << 10;
inline constexpr uint16_t PCIEXP_WAKE_DIS = 1u << 14;
// PM1_CNT (ACPI 6.5 Table 4.16).
inline constexpr uint16_t SCI_EN = 1u << 0;
inline constexpr uint16_t BM_RLD = 1u << 1;
inline constexpr uint16_t GBL_RLS = 1u << 2;
inline constexpr unsigned SLP_TYP_SHIFT = 10;
inline constexpr uint16_t SLP_TYP = 7u << SLP_TYP_SHIFT;
inline constexpr uint16_t SLP_EN = 1u << 13;
}  // namespace acpi_pm1

class AcpiPm final : public BusDevice {
public:
    // Offsets inside the range (layout::kAcpiPmStart).
    static constexpr uint64_t kPm1StsOffset = 0;
    static constexpr uint64_t kPm1EnOffset = 2;
    static constexpr uint64_t kPm1CntOffset = layout::kAcpiPm1aCntPort - layout::kAcpiPmStart;
    static constexpr uint64_t kSize = layout::kAcpiPmSize;

    explicit AcpiPm(std::function<void()> on_poweroff,
                    uint8_t s5_sleep_type = layout::kS5SleepType);

    std::string_view name() const override { return "acpi-pm"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Sleep requests for states other than S5, which Berth does not support.
    uint64_t ignored_sleep_requests() const;

private:
    uint16_t register_value(unsigned index) const;  // 0 STS, 1 EN, 2 CNT

    const std::function<void()> on_poweroff_;
    const uint8_t s5_sleep_type_;

    // Protects the three registers and the counter. Never held while calling
    // on_poweroff_.
    mutable std::mutex mutex_;
    uint16_t pm1_sts_ = 0;
    uint16_t pm1_en_ = 0;
    uint16_t pm1_cnt_ = 0;  // the readable, writable bits: BM_RLD and SLP_TYP
    uint64_t ignored_sleep_requests_ = 0;
};

}  // namespace berth::devices
