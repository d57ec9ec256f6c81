// The PC's CMOS real-time clock, a Motorola MC146818A: index port 0x70, data
// port 0x71, 128 bytes of CMOS RAM of which bytes 0x00-0x0D are the clock.
//
// Modelled on the MC146818A datasheet ("Address Map", "Registers A-D") and on
// what Linux reads while booting (arch/x86/kernel/rtc.c mach_get_cmos_time(),
// drivers/rtc/rtc-mc146818-lib.c mc146818_avoid_UIP(), rtc-cmos.c probe).
// Without this device Debian's 6.1 kernel stalls for seconds probing it.
//
// Behaviour, and the choices Berth makes:
//   - The time registers (seconds, minutes, hours, day of week, day of month,
//     month, year, and the century byte at 0x32 that ACPI's FADT points to)
//     are computed at read time from the clock given to the constructor (UTC)
//     plus an offset the guest may set. They read in BCD unless register B's
//     DM bit selects binary, and in 24-hour form unless register B's 24/12 bit
//     is clear (12-hour form: 1-12 with bit 7 = PM). Day of week: 1 = Sunday.
//   - Setting the time: while register B's SET bit is 1 the time registers are
//     frozen and writes change the frozen copy; clearing SET starts the clock
//     from it, kept as a whole-second offset from host time. A write while SET
//     is 0 changes that one field the same way at once. A write that does not
//     form a valid date (a BCD digit above 9, February 30, ...) leaves the
//     clock as it was. The day of week is derived from the date; writes to it
//     are ignored when the clock restarts.
//   - Register A: UIP reads 1 during the last 244 us before each second
//     boundary (the datasheet's tBUC: UIP rises 244 us before an update) and
//     never while SET is 1; the time registers change exactly at the
//     boundary, so a reader that saw UIP = 0 has 244 us to read them, which is
//     the guarantee Linux's mc146818_avoid_UIP() builds on. The divider and
//     rate bits are stored; the clock runs whatever they hold.
//   - Register C: UF is set once an update (a second boundary) has happened
//     since C was last read, IRQF when UF is set and register B's UIE is set;
//     reading C clears them. No periodic or alarm flags, and IRQ 8 is never
//     raised.
//   - Register D reads 0x80 (VRT: the battery is good); bit 6 is 0, which
//     rtc-cmos checks before it trusts the chip.
//   - Bit 7 of the index (NMI disable on a PC) is ignored; reads of the index
//     port return 0xff, as it is write-only. Accesses wider than a byte read
//     0xff and are dropped.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

// MC146818A register indexes and bits, named as Linux's
// include/linux/mc146818rtc.h names them (that header is not a uapi header, so
// they are repeated here). Register C's flags (RTC_IRQF, RTC_PF, RTC_AF,
// RTC_UF) come from <linux/rtc.h>.
namespace mc146818 {
inline constexpr uint8_t RTC_SECONDS = 0x00;
inline constexpr uint8_t RTC_SECONDS_ALARM = 0x01;
inline constexpr uint8_t RTC_MINUTES = 0x02;
inline constexpr uint8_t RTC_MINUTES_ALARM = 0x03;
inline constexpr uint8_t RTC_HOURS = 0x04;
inline constexpr uint8_t RTC_HOURS_ALARM = 0x05;
inline constexpr uint8_t RTC_DAY_OF_WEEK = 0x06;
inline constexpr uint8_t RTC_DAY_OF_MONTH = 0x07;
inline constexpr uint8_t RTC_MONTH = 0x08;
inline constexpr uint8_t RTC_YEAR = 0x09;
inline constexpr uint8_t RTC_REG_A = 0x0A;
inline constexpr uint8_t RTC_REG_B = 0x0B;
inline constexpr uint8_t RTC_REG_C = 0x0C;
inline constexpr uint8_t RTC_REG_D = 0x0D;
// The IBM PC/AT keeps the century in CMOS byte 0x32; ACPI's FADT CENTURY
// field names this index.
inline constexpr uint8_t RTC_CENTURY = 0x32;

// Register A.
inline constexpr uint8_t RTC_UIP = 0x80;
inline constexpr uint8_t RTC_DIV_CTL = 0x70;
inline constexpr uint8_t RTC_REF_CLCK_32KHZ = 0x20;
inline constexpr uint8_t RTC_RATE_SELECT = 0x0F;
// Register B.
inline constexpr uint8_t RTC_SET = 0x80;
inline constexpr uint8_t RTC_PIE = 0x40;
inline constexpr uint8_t RTC_AIE = 0x20;
inline constexpr uint8_t RTC_UIE = 0x10;
inline constexpr uint8_t RTC_SQWE = 0x08;
inline constexpr uint8_t RTC_DM_BINARY = 0x04;
inline constexpr uint8_t RTC_24H = 0x02;
inline constexpr uint8_t RTC_DST_EN = 0x01;
// Register D.
inline constexpr uint8_t RTC_VRT = 0x80;
}  // namespace mc146818

class CmosRtc final : public BusDevice {
public:
    using Clock = std::function<std::chrono::system_clock::time_point()>;

    static constexpr size_t kRamSize = 128;
    // Offsets inside the device's two-port range.
    static constexpr uint64_t kIndexOffset = 0;
    static constexpr uint64_t kDataOffset = 1;
    // Reset values: 32.768 kHz time base, 1024 Hz rate; 24-hour BCD.
    static constexpr uint8_t kResetRegisterA = mc146818::RTC_REF_CLCK_32KHZ | 0x06;
    static constexpr uint8_t kResetRegisterB = mc146818::RTC_24H;
    // How long before each second boundary UIP reads 1 (datasheet tBUC).
    static constexpr std::chrono::microseconds kUipWindow{244};

    // `clock` gives the host's time (UTC); tests pass a fixed one.
    explicit CmosRtc(Clock clock = std::chrono::system_clock::now);

    std::string_view name() const override { return "cmos-rtc"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    using Microseconds = std::chrono::sys_time<std::chrono::microseconds>;

    uint8_t read_data();
    void write_data(uint8_t value);
    void write_register_b(uint8_t value);
    void write_time_register(uint8_t index, uint8_t value);
    Microseconds guest_now() const;
    // Writes the guest's current time, encoded as register B says, into the
    // time bytes of ram_ (the frozen copy used while SET is 1).
    void freeze_time_registers();
    // Restarts the clock from the frozen copy if it forms a valid time.
    void commit_time_registers();
    uint8_t time_register(uint8_t index, Microseconds now) const;

    const Clock clock_;

    // Protects everything below. Held for one port access.
    std::mutex mutex_;
    uint8_t index_ = 0;
    // CMOS RAM, including registers A and B, the alarm bytes, and the frozen
    // time bytes while SET is 1. The running time is not stored here.
    std::array<uint8_t, kRamSize> ram_{};
    std::chrono::seconds offset_{0};  // guest time minus host time
    // The guest second at which register C was last read, for its UF flag.
    std::chrono::sys_seconds last_flags_read_;
};

}  // namespace berth::devices
