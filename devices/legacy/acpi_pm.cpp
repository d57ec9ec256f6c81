#include "devices/legacy/acpi_pm.h"

#include <array>
#include <stdexcept>
#include <utility>

namespace berth::devices {

using namespace acpi_pm1;

namespace {

constexpr uint16_t kPm1EnDefined =
    TMR_EN | GBL_EN | PWRBTN_EN | SLPBTN_EN | RTC_EN | PCIEXP_WAKE_DIS;
constexpr uint16_t kPm1CntStored = BM_RLD | SLP_TYP;
constexpr unsigned kRegisters = 3;  // PM1_STS, PM1_EN, PM1_CNT: 2 bytes each

}  // namespace

AcpiPm::AcpiPm(std::function<void()> on_poweroff, uint8_t s5_sleep_type)
    : on_poweroff_(std::move(on_poweroff)), s5_sleep_type_(s5_sleep_type) {
    if (!on_poweroff_) {
        throw std::invalid_argument("acpi-pm: a power-off callback is required");
    }
    if (s5_sleep_type_ > (SLP_TYP >> SLP_TYP_SHIFT)) {
        throw std::invalid_argument("acpi-pm: the S5 sleep type must fit SLP_TYPx (0-7)");
    }
}

uint16_t AcpiPm::register_value(unsigned index) const {
    switch (index) {
        case 0:
            return pm1_sts_;
        case 1:
            return pm1_en_;
        default:
            return pm1_cnt_ | SCI_EN;
    }
}

void AcpiPm::read(uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t byte = 0;
        if (__builtin_add_overflow(offset, i, &byte) || byte >= kSize) {
            data[i] = 0xff;  // the bus never passes such an access
            continue;
        }
        data[i] =
            static_cast<uint8_t>(register_value(static_cast<unsigned>(byte / 2)) >> (byte % 2 * 8));
    }
}

void AcpiPm::write(uint64_t offset, std::span<const uint8_t> data) {
    // Gather the bytes per 16-bit register: the value written and which of the
    // register's bits the access covered.
    std::array<uint16_t, kRegisters> value{};
    std::array<uint16_t, kRegisters> covered{};
    for (size_t i = 0; i < data.size(); ++i) {
        uint64_t byte = 0;
        if (__builtin_add_overflow(offset, i, &byte) || byte >= kSize) {
            continue;
        }
        const unsigned shift = byte % 2 * 8;
        value[byte / 2] |= static_cast<uint16_t>(data[i] << shift);
        covered[byte / 2] |= static_cast<uint16_t>(0xff << shift);
    }

    bool power_off = false;
    {
        std::lock_guard lock(mutex_);
        pm1_sts_ &= static_cast<uint16_t>(~(value[0] & covered[0]));  // write 1 to clear
        pm1_en_ = static_cast<uint16_t>((pm1_en_ & ~covered[1]) |
                                        (value[1] & covered[1] & kPm1EnDefined));
        const uint16_t cnt =
            static_cast<uint16_t>((pm1_cnt_ & ~covered[2]) | (value[2] & covered[2]));
        pm1_cnt_ = cnt & kPm1CntStored;
        if (covered[2] & value[2] & SLP_EN) {
            const unsigned sleep_type = (cnt & SLP_TYP) >> SLP_TYP_SHIFT;
            if (sleep_type == s5_sleep_type_) {
                power_off = true;
            } else {
                ++ignored_sleep_requests_;
                pm1_sts_ |= WAK_STS;  // back in the working state at once
            }
        }
    }
    if (power_off) {
        on_poweroff_();
    }
}

uint64_t AcpiPm::ignored_sleep_requests() const {
    std::lock_guard lock(mutex_);
    return ignored_sleep_requests_;
}

}  // namespace berth::devices
