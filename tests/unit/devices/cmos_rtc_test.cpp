#include "devices/legacy/cmos_rtc.h"

#include <linux/rtc.h>

#include <gtest/gtest.h>

#include "tests/unit/devices/fake_irq_line.h"

namespace berth::devices {
namespace {

using namespace mc146818;
using namespace std::chrono_literals;
using std::chrono::system_clock;
using testing::read8;
using testing::write8;

// Saturday 9 March 2024, 21:07:45.5 UTC.
system_clock::time_point example_time() {
    using namespace std::chrono;
    return sys_days{2024y / March / 9} + 21h + 7min + 45s + 500ms;
}

class CmosRtcTest : public ::testing::Test {
protected:
    system_clock::time_point now_ = example_time();
    CmosRtc rtc_{[this] { return now_; }};

    uint8_t cmos(uint8_t index) {
        write8(rtc_, CmosRtc::kIndexOffset, index);
        return read8(rtc_, CmosRtc::kDataOffset);
    }
    void set_cmos(uint8_t index, uint8_t value) {
        write8(rtc_, CmosRtc::kIndexOffset, index);
        write8(rtc_, CmosRtc::kDataOffset, value);
    }
};

TEST_F(CmosRtcTest, ReadsTheClockInBcdByDefault) {
    EXPECT_EQ(cmos(RTC_REG_B), RTC_24H);
    EXPECT_EQ(cmos(RTC_SECONDS), 0x45);
    EXPECT_EQ(cmos(RTC_MINUTES), 0x07);
    EXPECT_EQ(cmos(RTC_HOURS), 0x21);
    EXPECT_EQ(cmos(RTC_DAY_OF_WEEK), 7);  // Saturday; Sunday is 1
    EXPECT_EQ(cmos(RTC_DAY_OF_MONTH), 0x09);
    EXPECT_EQ(cmos(RTC_MONTH), 0x03);
    EXPECT_EQ(cmos(RTC_YEAR), 0x24);
    EXPECT_EQ(cmos(RTC_CENTURY), 0x20);
}

TEST_F(CmosRtcTest, ReadsTheClockInBinaryWhenDmIsSet) {
    set_cmos(RTC_REG_B, RTC_24H | RTC_DM_BINARY);
    EXPECT_EQ(cmos(RTC_SECONDS), 45);
    EXPECT_EQ(cmos(RTC_MINUTES), 7);
    EXPECT_EQ(cmos(RTC_HOURS), 21);
    EXPECT_EQ(cmos(RTC_DAY_OF_WEEK), 7);
    EXPECT_EQ(cmos(RTC_DAY_OF_MONTH), 9);
    EXPECT_EQ(cmos(RTC_MONTH), 3);
    EXPECT_EQ(cmos(RTC_YEAR), 24);
    EXPECT_EQ(cmos(RTC_CENTURY), 20);
}

TEST_F(CmosRtcTest, FollowsTheHostClock) {
    now_ += 1h + 1s;
    EXPECT_EQ(cmos(RTC_SECONDS), 0x46);
    EXPECT_EQ(cmos(RTC_HOURS), 0x22);
}

TEST_F(CmosRtcTest, TwelveHourModeSetsThePmBit) {
    set_cmos(RTC_REG_B, 0);                   // 12-hour, BCD
    EXPECT_EQ(cmos(RTC_HOURS), 0x80 | 0x09);  // 9 PM
    now_ = std::chrono::sys_days{std::chrono::year{2024} / 3 / 10} + 30min;
    EXPECT_EQ(cmos(RTC_HOURS), 0x12);  // 00:30 is 12 AM
    now_ += 12h;
    EXPECT_EQ(cmos(RTC_HOURS), 0x80 | 0x12);  // 12:30 is 12 PM
    set_cmos(RTC_REG_B, RTC_DM_BINARY);
    now_ += 11h;  // 23:30
    EXPECT_EQ(cmos(RTC_HOURS), 0x80 | 11);
}

TEST_F(CmosRtcTest, CenturyComesFromTheYear) {
    now_ = std::chrono::sys_days{std::chrono::year{1999} / 12 / 31} + 23h + 59min + 59s;
    EXPECT_EQ(cmos(RTC_CENTURY), 0x19);
    EXPECT_EQ(cmos(RTC_YEAR), 0x99);
    now_ += 1s;
    EXPECT_EQ(cmos(RTC_CENTURY), 0x20);
    EXPECT_EQ(cmos(RTC_YEAR), 0x00);
    EXPECT_EQ(cmos(RTC_MONTH), 0x01);
    EXPECT_EQ(cmos(RTC_DAY_OF_MONTH), 0x01);
}

TEST_F(CmosRtcTest, StatusRegistersAfterReset) {
    EXPECT_EQ(cmos(RTC_REG_A), CmosRtc::kResetRegisterA);
    EXPECT_EQ(cmos(RTC_REG_A) & RTC_UIP, 0);
    EXPECT_EQ(cmos(RTC_REG_C), 0);
    EXPECT_EQ(cmos(RTC_REG_D), RTC_VRT);
    set_cmos(RTC_REG_D, 0);
    EXPECT_EQ(cmos(RTC_REG_D), RTC_VRT);  // read-only
}

TEST_F(CmosRtcTest, RegisterCReportsAnUpdateOnceAndClearsOnRead) {
    EXPECT_EQ(cmos(RTC_REG_C), 0);
    now_ += 1s;
    EXPECT_EQ(cmos(RTC_REG_C), RTC_UF);
    EXPECT_EQ(cmos(RTC_REG_C), 0);
    set_cmos(RTC_REG_B, RTC_24H | RTC_UIE);
    now_ += 1s;
    EXPECT_EQ(cmos(RTC_REG_C), RTC_IRQF | RTC_UF);
    EXPECT_EQ(cmos(RTC_REG_C), 0);
}

TEST_F(CmosRtcTest, UipOnlyInTheLast244MicrosecondsOfASecond) {
    using std::chrono::floor;
    using std::chrono::seconds;
    const auto second = floor<seconds>(now_);
    now_ = second + 999'756us;  // exactly 244 us before the boundary
    EXPECT_EQ(cmos(RTC_REG_A) & RTC_UIP, RTC_UIP);
    now_ = second + 999'999us;
    EXPECT_EQ(cmos(RTC_REG_A) & RTC_UIP, RTC_UIP);
    EXPECT_EQ(cmos(RTC_SECONDS), 0x45);  // the old second until the boundary
    now_ = second + 999'755us;
    EXPECT_EQ(cmos(RTC_REG_A) & RTC_UIP, 0);
    now_ = second + 1s;
    EXPECT_EQ(cmos(RTC_REG_A) & RTC_UIP, 0);
    EXPECT_EQ(cmos(RTC_SECONDS), 0x46);
    now_ = second + 1s + 999'900us;
    set_cmos(RTC_REG_B, RTC_24H | RTC_SET);
    EXPECT_EQ(cmos(RTC_REG_A) & RTC_UIP, 0);  // no updates while SET
}

TEST_F(CmosRtcTest, RegisterAKeepsItsWritableBits) {
    set_cmos(RTC_REG_A, 0xff);
    const auto second = std::chrono::floor<std::chrono::seconds>(now_);
    EXPECT_EQ(cmos(RTC_REG_A), 0x7f);
    now_ = second + 999'900us;
    EXPECT_EQ(cmos(RTC_REG_A), 0xff);
}

TEST_F(CmosRtcTest, IndexPortIgnoresTheNmiBitAndIsWriteOnly) {
    write8(rtc_, CmosRtc::kIndexOffset, 0x80 | RTC_SECONDS);
    EXPECT_EQ(read8(rtc_, CmosRtc::kDataOffset), 0x45);
    set_cmos(0x80 | 0x0e, 0x42);
    EXPECT_EQ(cmos(0x0e), 0x42);
    EXPECT_EQ(read8(rtc_, CmosRtc::kIndexOffset), 0xff);
}

TEST_F(CmosRtcTest, CmosRamKeepsWhatIsWritten) {
    for (unsigned index = 0x0e; index < CmosRtc::kRamSize; ++index) {
        if (index != RTC_CENTURY) {
            set_cmos(static_cast<uint8_t>(index), static_cast<uint8_t>(index ^ 0x5a));
        }
    }
    for (unsigned index = 0x0e; index < CmosRtc::kRamSize; ++index) {
        if (index != RTC_CENTURY) {
            EXPECT_EQ(cmos(static_cast<uint8_t>(index)), index ^ 0x5a) << index;
        }
    }
    set_cmos(RTC_HOURS_ALARM, 0x23);
    EXPECT_EQ(cmos(RTC_HOURS_ALARM), 0x23);
}

TEST_F(CmosRtcTest, SettingTheTimeKeepsAnOffsetFromTheHost) {
    set_cmos(RTC_REG_B, RTC_24H | RTC_SET);
    now_ += 5s;
    EXPECT_EQ(cmos(RTC_SECONDS), 0x45);  // frozen while SET
    set_cmos(RTC_SECONDS, 0x58);
    set_cmos(RTC_MINUTES, 0x59);
    set_cmos(RTC_HOURS, 0x23);
    set_cmos(RTC_DAY_OF_MONTH, 0x31);
    set_cmos(RTC_MONTH, 0x12);
    set_cmos(RTC_YEAR, 0x25);
    EXPECT_EQ(cmos(RTC_SECONDS), 0x58);
    set_cmos(RTC_REG_B, RTC_24H);
    EXPECT_EQ(cmos(RTC_SECONDS), 0x58);
    EXPECT_EQ(cmos(RTC_DAY_OF_WEEK), 4);  // 31 Dec 2025 is a Wednesday
    now_ += 2s;
    EXPECT_EQ(cmos(RTC_SECONDS), 0x00);
    EXPECT_EQ(cmos(RTC_MINUTES), 0x00);
    EXPECT_EQ(cmos(RTC_HOURS), 0x00);
    EXPECT_EQ(cmos(RTC_DAY_OF_MONTH), 0x01);
    EXPECT_EQ(cmos(RTC_MONTH), 0x01);
    EXPECT_EQ(cmos(RTC_YEAR), 0x26);
    EXPECT_EQ(cmos(RTC_CENTURY), 0x20);
}

TEST_F(CmosRtcTest, SettingTheTimeIn12HourBinary) {
    set_cmos(RTC_REG_B, RTC_SET | RTC_DM_BINARY);
    set_cmos(RTC_HOURS, 0x80 | 12);  // 12 PM
    set_cmos(RTC_MINUTES, 0);
    set_cmos(RTC_SECONDS, 0);
    set_cmos(RTC_REG_B, RTC_24H | RTC_DM_BINARY);
    EXPECT_EQ(cmos(RTC_HOURS), 12);
    EXPECT_EQ(cmos(RTC_MINUTES), 0);
}

TEST_F(CmosRtcTest, WritingOneFieldWithoutSetChangesOnlyIt) {
    set_cmos(RTC_MINUTES, 0x30);
    EXPECT_EQ(cmos(RTC_MINUTES), 0x30);
    EXPECT_EQ(cmos(RTC_SECONDS), 0x45);
    EXPECT_EQ(cmos(RTC_HOURS), 0x21);
    now_ += 15s;
    EXPECT_EQ(cmos(RTC_MINUTES), 0x31);
}

TEST_F(CmosRtcTest, AnInvalidDateLeavesTheClockAsItWas) {
    set_cmos(RTC_REG_B, RTC_24H | RTC_SET);
    set_cmos(RTC_MONTH, 0x02);
    set_cmos(RTC_DAY_OF_MONTH, 0x30);  // 30 February
    set_cmos(RTC_REG_B, RTC_24H);
    EXPECT_EQ(cmos(RTC_MONTH), 0x03);
    EXPECT_EQ(cmos(RTC_DAY_OF_MONTH), 0x09);
    set_cmos(RTC_SECONDS, 0x6a);  // not BCD
    EXPECT_EQ(cmos(RTC_SECONDS), 0x45);
}

TEST_F(CmosRtcTest, WideAccessesReadAllOnes) {
    uint8_t wide[2] = {0, 0};
    rtc_.read(CmosRtc::kIndexOffset, wide);
    EXPECT_EQ(wide[0], 0xff);
    EXPECT_EQ(wide[1], 0xff);
}

}  // namespace
}  // namespace berth::devices
