#include "devices/legacy/cmos_rtc.h"

#include <linux/rtc.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <utility>

namespace berth::devices {

using namespace mc146818;
namespace chrono = std::chrono;

namespace {

bool is_time_register(uint8_t index) {
    switch (index) {
        case RTC_SECONDS:
        case RTC_MINUTES:
        case RTC_HOURS:
        case RTC_DAY_OF_WEEK:
        case RTC_DAY_OF_MONTH:
        case RTC_MONTH:
        case RTC_YEAR:
        case RTC_CENTURY:
            return true;
        default:
            return false;
    }
}

// A value 0-99 as register B's DM bit says: binary, or two BCD digits.
uint8_t encode(unsigned value, bool binary) {
    value = std::min(value, 99u);
    return static_cast<uint8_t>(binary ? value : ((value / 10) << 4) | (value % 10));
}

// The inverse; nullopt for a BCD byte with a digit above 9.
std::optional<unsigned> decode(uint8_t byte, bool binary) {
    if (binary) {
        return byte;
    }
    const unsigned high = byte >> 4;
    const unsigned low = byte & 0x0f;
    if (high > 9 || low > 9) {
        return std::nullopt;
    }
    return high * 10 + low;
}

constexpr uint8_t kHoursPm = 0x80;  // 12-hour mode: bit 7 of the hours byte

}  // namespace

CmosRtc::CmosRtc(Clock clock) : clock_(std::move(clock)) {
    if (!clock_) {
        throw std::invalid_argument("cmos-rtc: a clock is required");
    }
    ram_[RTC_REG_A] = kResetRegisterA;
    ram_[RTC_REG_B] = kResetRegisterB;
    last_flags_read_ = chrono::floor<chrono::seconds>(guest_now());
}

void CmosRtc::read(uint64_t offset, std::span<uint8_t> data) {
    if (data.size() != 1 || offset != kDataOffset) {
        // Wide accesses do not exist on this chip; the index port is write-only.
        std::fill(data.begin(), data.end(), 0xff);
        return;
    }
    std::lock_guard lock(mutex_);
    data[0] = read_data();
}

void CmosRtc::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.size() != 1) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (offset == kIndexOffset) {
        index_ = data[0] & 0x7f;  // bit 7 disables NMI on a PC; not modelled
    } else if (offset == kDataOffset) {
        write_data(data[0]);
    }
}

uint8_t CmosRtc::read_data() {
    const bool set = (ram_[RTC_REG_B] & RTC_SET) != 0;
    if (is_time_register(index_)) {
        return set ? ram_[index_] : time_register(index_, guest_now());
    }
    switch (index_) {
        case RTC_REG_A: {
            const Microseconds now = guest_now();
            const auto into_second = now - chrono::floor<chrono::seconds>(now);
            const bool uip = !set && into_second >= chrono::seconds(1) - kUipWindow;
            return static_cast<uint8_t>(ram_[RTC_REG_A] | (uip ? RTC_UIP : 0));
        }
        case RTC_REG_C: {
            const auto second = chrono::floor<chrono::seconds>(guest_now());
            uint8_t flags = 0;
            if (!set && second != last_flags_read_) {
                flags |= RTC_UF;  // an update cycle ended since the last read
            }
            if ((flags & RTC_UF) && (ram_[RTC_REG_B] & RTC_UIE)) {
                flags |= RTC_IRQF;
            }
            last_flags_read_ = second;
            return flags;
        }
        case RTC_REG_D:
            return RTC_VRT;
        default:
            return ram_[index_];
    }
}

void CmosRtc::write_data(uint8_t value) {
    if (is_time_register(index_)) {
        write_time_register(index_, value);
        return;
    }
    switch (index_) {
        case RTC_REG_A:
            ram_[RTC_REG_A] = value & static_cast<uint8_t>(~RTC_UIP);  // UIP is read-only
            return;
        case RTC_REG_B:
            write_register_b(value);
            return;
        case RTC_REG_C:
        case RTC_REG_D:
            return;  // read-only
        default:
            ram_[index_] = value;
    }
}

void CmosRtc::write_register_b(uint8_t value) {
    const bool was_set = (ram_[RTC_REG_B] & RTC_SET) != 0;
    const bool set = (value & RTC_SET) != 0;
    if (set) {
        value &= static_cast<uint8_t>(~RTC_UIE);  // SET clears UIE (datasheet, register B)
    }
    if (was_set && !set) {
        // The frozen bytes were written in the mode in force while SET was 1.
        commit_time_registers();
    }
    ram_[RTC_REG_B] = value;
    if (set && !was_set) {
        freeze_time_registers();
    }
}

void CmosRtc::write_time_register(uint8_t index, uint8_t value) {
    if (ram_[RTC_REG_B] & RTC_SET) {
        ram_[index] = value;
        return;
    }
    freeze_time_registers();
    ram_[index] = value;
    commit_time_registers();
}

CmosRtc::Microseconds CmosRtc::guest_now() const {
    return chrono::floor<chrono::microseconds>(clock_()) + offset_;
}

void CmosRtc::freeze_time_registers() {
    const Microseconds now = guest_now();
    for (uint8_t index : {RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK, RTC_DAY_OF_MONTH,
                          RTC_MONTH, RTC_YEAR, RTC_CENTURY}) {
        ram_[index] = time_register(index, now);
    }
}

void CmosRtc::commit_time_registers() {
    const bool binary = (ram_[RTC_REG_B] & RTC_DM_BINARY) != 0;
    const auto seconds = decode(ram_[RTC_SECONDS], binary);
    const auto minutes = decode(ram_[RTC_MINUTES], binary);
    const auto day = decode(ram_[RTC_DAY_OF_MONTH], binary);
    const auto month = decode(ram_[RTC_MONTH], binary);
    const auto year = decode(ram_[RTC_YEAR], binary);
    const auto century = decode(ram_[RTC_CENTURY], binary);
    std::optional<unsigned> hours;
    if (ram_[RTC_REG_B] & RTC_24H) {
        hours = decode(ram_[RTC_HOURS], binary);
    } else if (auto h12 = decode(static_cast<uint8_t>(ram_[RTC_HOURS] & ~kHoursPm), binary);
               h12 && *h12 >= 1 && *h12 <= 12) {
        hours = *h12 % 12 + ((ram_[RTC_HOURS] & kHoursPm) ? 12 : 0);
    }
    if (!seconds || *seconds > 59 || !minutes || *minutes > 59 || !hours || *hours > 23 || !day ||
        !month || !year || *year > 99 || !century || *century > 99) {
        return;
    }
    const chrono::year_month_day date{chrono::year(static_cast<int>(*century * 100 + *year)),
                                      chrono::month(*month), chrono::day(*day)};
    if (!date.ok()) {
        return;
    }
    const chrono::sys_seconds guest_time = chrono::sys_days(date) + chrono::hours(*hours) +
                                           chrono::minutes(*minutes) + chrono::seconds(*seconds);
    offset_ = guest_time - chrono::floor<chrono::seconds>(clock_());
}

uint8_t CmosRtc::time_register(uint8_t index, Microseconds now) const {
    const bool binary = (ram_[RTC_REG_B] & RTC_DM_BINARY) != 0;
    const auto days = chrono::floor<chrono::days>(now);
    const chrono::year_month_day date(days);
    const chrono::hh_mm_ss time(chrono::floor<chrono::seconds>(now - days));
    // Years outside 0-9999 cannot be shown; the guest cannot set one, and the
    // host's clock is not that far off.
    const unsigned full_year =
        static_cast<unsigned>(std::clamp(static_cast<int>(date.year()), 0, 9999));
    switch (index) {
        case RTC_SECONDS:
            return encode(static_cast<unsigned>(time.seconds().count()), binary);
        case RTC_MINUTES:
            return encode(static_cast<unsigned>(time.minutes().count()), binary);
        case RTC_HOURS: {
            const auto hour = static_cast<unsigned>(time.hours().count());
            if (ram_[RTC_REG_B] & RTC_24H) {
                return encode(hour, binary);
            }
            const unsigned h12 = hour % 12 == 0 ? 12 : hour % 12;
            return static_cast<uint8_t>(encode(h12, binary) | (hour >= 12 ? kHoursPm : 0));
        }
        case RTC_DAY_OF_WEEK:
            // chrono counts Sunday as 0; the MC146818 counts it as 1.
            return encode(chrono::weekday(days).c_encoding() + 1, binary);
        case RTC_DAY_OF_MONTH:
            return encode(static_cast<unsigned>(date.day()), binary);
        case RTC_MONTH:
            return encode(static_cast<unsigned>(date.month()), binary);
        case RTC_YEAR:
            return encode(full_year % 100, binary);
        case RTC_CENTURY:
            return encode(full_year / 100, binary);
        default:
            return 0xff;
    }
}

}  // namespace berth::devices
