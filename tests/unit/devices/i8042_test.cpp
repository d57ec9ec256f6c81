#include "devices/legacy/i8042.h"

#include <gtest/gtest.h>

#include "tests/unit/devices/fake_irq_line.h"

namespace berth::devices {
namespace {

using testing::read8;
using testing::write8;

class I8042Test : public ::testing::Test {
protected:
    int resets_ = 0;
    I8042 i8042_{[this] { ++resets_; }};

    uint8_t status() { return read8(i8042_, I8042::kCommandOffset); }
    uint8_t data() { return read8(i8042_, I8042::kDataOffset); }
    void command(uint8_t value) { write8(i8042_, I8042::kCommandOffset, value); }
    void send(uint8_t value) { write8(i8042_, I8042::kDataOffset, value); }
};

TEST_F(I8042Test, StatusIsZeroWhenIdle) {
    EXPECT_EQ(status(), 0);  // input buffer empty: kb_wait() returns at once
    for (uint64_t offset = 1; offset < 4; ++offset) {
        EXPECT_EQ(read8(i8042_, offset), 0xff) << offset;
    }
}

TEST_F(I8042Test, PulseResetCallsTheResetCallback) {
    command(0xfe);
    EXPECT_EQ(resets_, 1);
    command(0xfe);
    EXPECT_EQ(resets_, 2);  // Linux repeats it; every pulse is reported
    command(0xff);          // pulses no line
    EXPECT_EQ(resets_, 2);
    EXPECT_EQ(status(), 0);
}

TEST_F(I8042Test, SelfTestAnswers0x55ThroughTheDataPort) {
    command(0xaa);
    EXPECT_EQ(status() & I8042::I8042_STR_OBF, I8042::I8042_STR_OBF);
    EXPECT_EQ(status() & I8042::I8042_STR_IBF, 0);
    EXPECT_EQ(data(), I8042::I8042_RET_CTL_TEST);
    EXPECT_EQ(status(), 0);
    command(0xab);  // keyboard interface test
    EXPECT_EQ(data(), 0x00);
}

TEST_F(I8042Test, ReadsAndWritesTheCommandByte) {
    command(0x20);
    EXPECT_EQ(data(), I8042::kResetCommandByte);
    command(0x60);
    send(0x47);
    EXPECT_EQ(status(), 0);
    command(0x20);
    EXPECT_EQ(data(), 0x47);
    command(0xad);  // disable keyboard
    command(0xa7);  // disable aux
    command(0x20);
    EXPECT_EQ(data(), 0x47 | I8042::I8042_CTR_KBDDIS | I8042::I8042_CTR_AUXDIS);
    command(0xae);
    command(0xa8);
    command(0x20);
    EXPECT_EQ(data(), 0x47);
    EXPECT_EQ(resets_, 0);
}

TEST_F(I8042Test, WritingTheOutputPortWithBit0ClearResets) {
    command(0xd0);
    EXPECT_EQ(data(), I8042::kResetOutputPort);
    command(0xd1);
    send(0xdf);  // A20 on, reset line high: no reset
    EXPECT_EQ(resets_, 0);
    command(0xd0);
    EXPECT_EQ(data(), 0xdf);
    command(0xd1);
    send(0xfe);
    EXPECT_EQ(resets_, 1);
}

TEST_F(I8042Test, DataWithoutACommandGoesNowhere) {
    send(0xfe);  // would be a keyboard command; there is no keyboard
    send(0x00);
    EXPECT_EQ(resets_, 0);
    EXPECT_EQ(status(), 0);
}

}  // namespace
}  // namespace berth::devices
