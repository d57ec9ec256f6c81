#include "devices/legacy/acpi_pm.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/unit/devices/fake_irq_line.h"

namespace berth::devices {
namespace {

using namespace acpi_pm1;

class AcpiPmTest : public ::testing::Test {
protected:
    int poweroffs_ = 0;
    AcpiPm pm_{[this] { ++poweroffs_; }};

    // Little-endian accesses of 1, 2 or 4 bytes, as the vCPU would make them.
    uint32_t read(uint64_t offset, size_t size) {
        uint8_t bytes[4] = {};
        pm_.read(offset, std::span(bytes, size));
        uint32_t value = 0;
        for (size_t i = 0; i < size; ++i) {
            value |= uint32_t{bytes[i]} << (8 * i);
        }
        return value;
    }
    void write(uint64_t offset, size_t size, uint32_t value) {
        uint8_t bytes[4];
        for (size_t i = 0; i < size; ++i) {
            bytes[i] = static_cast<uint8_t>(value >> (8 * i));
        }
        pm_.write(offset, std::span<const uint8_t>(bytes, size));
    }
    static uint16_t sleep(unsigned type) { return static_cast<uint16_t>(type << SLP_TYP_SHIFT); }
};

TEST_F(AcpiPmTest, SlpEnWithTheS5TypePowersOff) {
    // acpi_hw_legacy_sleep(): SLP_TYP first, then SLP_TYP | SLP_EN.
    write(AcpiPm::kPm1CntOffset, 2, SCI_EN | sleep(layout::kS5SleepType));
    EXPECT_EQ(poweroffs_, 0);
    write(AcpiPm::kPm1CntOffset, 2, SCI_EN | sleep(layout::kS5SleepType) | SLP_EN);
    EXPECT_EQ(poweroffs_, 1);
    EXPECT_EQ(pm_.ignored_sleep_requests(), 0u);
}

TEST_F(AcpiPmTest, ByteWriteOfTheHighHalfCanPowerOff) {
    write(AcpiPm::kPm1CntOffset + 1, 1, (sleep(layout::kS5SleepType) | SLP_EN) >> 8);
    EXPECT_EQ(poweroffs_, 1);
}

TEST_F(AcpiPmTest, TheS5TypeIsConfigurable) {
    int poweroffs = 0;
    AcpiPm pm([&] { ++poweroffs; }, 7);
    const uint16_t value = sleep(7) | SLP_EN;
    const uint8_t bytes[2] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8)};
    pm.write(AcpiPm::kPm1CntOffset, bytes);
    EXPECT_EQ(poweroffs, 1);
    EXPECT_THROW(AcpiPm([] {}, 8), std::invalid_argument);
}

TEST_F(AcpiPmTest, OtherSleepTypesAreIgnoredAndWakeAtOnce) {
    write(AcpiPm::kPm1CntOffset, 2, sleep(3) | SLP_EN);
    EXPECT_EQ(poweroffs_, 0);
    EXPECT_EQ(pm_.ignored_sleep_requests(), 1u);
    EXPECT_EQ(read(AcpiPm::kPm1StsOffset, 2), WAK_STS);
    // SLP_TYP without SLP_EN is no request at all.
    write(AcpiPm::kPm1CntOffset, 2, sleep(layout::kS5SleepType - 1));
    EXPECT_EQ(pm_.ignored_sleep_requests(), 1u);
}

TEST_F(AcpiPmTest, SciEnReadsOneAndSlpEnReadsZero) {
    EXPECT_EQ(read(AcpiPm::kPm1CntOffset, 2), SCI_EN);
    write(AcpiPm::kPm1CntOffset, 2, 0);  // cannot leave ACPI mode
    EXPECT_EQ(read(AcpiPm::kPm1CntOffset, 2), SCI_EN);
    write(AcpiPm::kPm1CntOffset, 2, sleep(2) | SLP_EN | GBL_RLS | BM_RLD);
    EXPECT_EQ(read(AcpiPm::kPm1CntOffset, 2), SCI_EN | BM_RLD | sleep(2));
    EXPECT_EQ(read(AcpiPm::kPm1CntOffset, 1), SCI_EN | BM_RLD);
}

TEST_F(AcpiPmTest, StatusBitsAreWriteOneToClear) {
    write(AcpiPm::kPm1CntOffset, 2, sleep(1) | SLP_EN);  // sets WAK_STS
    ASSERT_EQ(read(AcpiPm::kPm1StsOffset, 2), WAK_STS);
    write(AcpiPm::kPm1StsOffset, 2, 0);  // writing 0 leaves it
    EXPECT_EQ(read(AcpiPm::kPm1StsOffset, 2), WAK_STS);
    write(AcpiPm::kPm1StsOffset, 1, 0xff);  // the low byte does not cover it
    EXPECT_EQ(read(AcpiPm::kPm1StsOffset, 2), WAK_STS);
    write(AcpiPm::kPm1StsOffset, 2, WAK_STS);
    EXPECT_EQ(read(AcpiPm::kPm1StsOffset, 2), 0u);
}

TEST_F(AcpiPmTest, EnableRegisterKeepsItsDefinedBits) {
    write(AcpiPm::kPm1EnOffset, 2, 0xffff);
    EXPECT_EQ(read(AcpiPm::kPm1EnOffset, 2),
              TMR_EN | GBL_EN | PWRBTN_EN | SLPBTN_EN | RTC_EN | PCIEXP_WAKE_DIS);
    write(AcpiPm::kPm1EnOffset, 2, PWRBTN_EN);
    EXPECT_EQ(read(AcpiPm::kPm1EnOffset, 2), PWRBTN_EN);
}

TEST_F(AcpiPmTest, ThirtyTwoBitAccessCoversStatusAndEnable) {
    write(AcpiPm::kPm1CntOffset, 2, sleep(1) | SLP_EN);  // sets WAK_STS
    write(AcpiPm::kPm1StsOffset, 4, uint32_t{PWRBTN_EN | GBL_EN} << 16);
    EXPECT_EQ(read(AcpiPm::kPm1StsOffset, 4), (uint32_t{PWRBTN_EN | GBL_EN} << 16) | WAK_STS);
    write(AcpiPm::kPm1StsOffset, 4, (uint32_t{PWRBTN_EN} << 16) | WAK_STS);
    EXPECT_EQ(read(AcpiPm::kPm1StsOffset, 4), uint32_t{PWRBTN_EN} << 16);
    // A 32-bit read at PM1_EN takes in PM1_CNT, which kept SLP_TYP from above.
    EXPECT_EQ(read(AcpiPm::kPm1EnOffset, 4),
              PWRBTN_EN | (static_cast<uint32_t>(SCI_EN | sleep(1)) << 16));
}

}  // namespace
}  // namespace berth::devices
