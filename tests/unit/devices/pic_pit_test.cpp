// The user-space 8259 PIC and 8254 PIT of --irqchip none (lab 5), driven
// the way a guest drives them: port writes and reads, plus the PIT's timer.
#include <gtest/gtest.h>

#include <poll.h>

#include <atomic>
#include <chrono>

#include "devices/legacy/pic_8259.h"
#include "devices/legacy/pit_8254.h"
#include "tests/unit/devices/fake_irq_line.h"

namespace berth::devices {
namespace {

using testing::read8;
using testing::write8;

// The PC BIOS's sequence: edge triggered, cascade, ICW4; IRQ 0 at `base`.
void initialise(Pic8259& pic, uint8_t base) {
    write8(pic, 0, 0x11);
    write8(pic, 1, base);
    write8(pic, 1, 0x04);
    write8(pic, 1, 0x01);
}

TEST(Pic8259Test, MasksEverythingUntilInitialised) {
    Pic8259 pic;
    pic.raise(0);
    EXPECT_FALSE(pic.has_pending());
    EXPECT_EQ(read8(pic, 1), 0xff);
}

TEST(Pic8259Test, DeliversTheVectorOfIcw2AndHoldsItInServiceUntilEoi) {
    Pic8259 pic;
    initialise(pic, 0x20);
    EXPECT_EQ(read8(pic, 1), 0x00);  // ICW1 cleared the mask
    pic.raise(0);
    ASSERT_TRUE(pic.has_pending());
    EXPECT_EQ(read8(pic, 0), 0x01);  // IRR
    EXPECT_EQ(pic.acknowledge(), 0x20);
    EXPECT_EQ(read8(pic, 0), 0x00);
    write8(pic, 0, 0x0b);  // OCW3: read ISR
    EXPECT_EQ(read8(pic, 0), 0x01);
    // A second tick waits while the first is in service...
    pic.raise(0);
    EXPECT_FALSE(pic.has_pending());
    // ... and comes after the EOI.
    write8(pic, 0, 0x20);
    EXPECT_EQ(read8(pic, 0), 0x00);  // ISR, still selected
    EXPECT_TRUE(pic.has_pending());
    EXPECT_EQ(pic.acknowledge(), 0x20);
}

TEST(Pic8259Test, IcwBaseIgnoresTheLowThreeBits) {
    Pic8259 pic;
    initialise(pic, 0x37);
    pic.raise(3);
    EXPECT_EQ(pic.acknowledge(), 0x33);
}

TEST(Pic8259Test, MaskedLinesWaitAndHigherPriorityGoesFirst) {
    Pic8259 pic;
    initialise(pic, 0x08);
    write8(pic, 1, 0xfd);  // only IRQ 1 open
    pic.raise(0);
    EXPECT_FALSE(pic.has_pending());
    pic.raise(4);
    EXPECT_FALSE(pic.has_pending());
    write8(pic, 1, 0x00);
    EXPECT_EQ(pic.acknowledge(), 0x08);  // IRQ 0 before IRQ 4
    // IRQ 4 is of lower priority than IRQ 0 in service: it waits.
    EXPECT_FALSE(pic.has_pending());
    write8(pic, 0, 0x60);  // specific EOI, level 0
    EXPECT_EQ(pic.acknowledge(), 0x0c);
}

TEST(Pic8259Test, AutoEoiLeavesNothingInService) {
    Pic8259 pic;
    write8(pic, 0, 0x13);  // single, ICW4: no ICW3
    write8(pic, 1, 0x20);
    write8(pic, 1, 0x03);  // ICW4: 8086 mode, automatic EOI
    pic.raise(0);
    EXPECT_EQ(pic.acknowledge(), 0x20);
    pic.raise(0);
    EXPECT_TRUE(pic.has_pending());
}

TEST(Pic8259Test, NothingPendingGivesTheSpuriousVector) {
    Pic8259 pic;
    initialise(pic, 0x20);
    EXPECT_EQ(pic.acknowledge(), 0x27);
    EXPECT_EQ(read8(pic, 0), 0x00);
}

TEST(Pic8259Test, RaiseTellsTheCpuSideOnlyWhenSomethingBecomesPending) {
    Pic8259 pic;
    int calls = 0;
    pic.set_on_pending([&] { ++calls; });
    pic.raise(0);  // masked: not initialised
    EXPECT_EQ(calls, 0);
    initialise(pic, 0x20);
    pic.raise(0);
    EXPECT_EQ(calls, 1);
    pic.raise(9);  // no such line
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(pic.wait_for_pending(std::chrono::milliseconds(0)));
}

TEST(Pit8254Test, CountWrittenLowThenHighArmsChannel0) {
    Pit8254 pit([] {});
    EXPECT_FALSE(pit.channel0_period());
    write8(pit, 3, 0x34);  // channel 0, LSB then MSB, mode 2
    write8(pit, 0, 0x9c);
    EXPECT_FALSE(pit.channel0_period());  // only half the count
    write8(pit, 0, 0x2e);                 // 11932: 100 Hz
    ASSERT_TRUE(pit.channel0_period());
    EXPECT_EQ(pit.channel0_period()->count(), 11932ll * 1'000'000'000 / 1'193'182);
    write8(pit, 3, 0x34);  // a new control word stops it
    EXPECT_FALSE(pit.channel0_period());
}

TEST(Pit8254Test, AZeroCountMeans65536) {
    Pit8254 pit([] {});
    write8(pit, 3, 0x36);
    write8(pit, 0, 0);
    write8(pit, 0, 0);
    ASSERT_TRUE(pit.channel0_period());
    EXPECT_EQ(pit.channel0_period()->count(), 65536ll * 1'000'000'000 / 1'193'182);
}

TEST(Pit8254Test, AGuestCannotAskForAFasterTimerThanTheMinimum) {
    Pit8254 pit([] {});
    write8(pit, 3, 0x14);  // channel 0, LSB only, mode 2
    write8(pit, 0, 1);
    ASSERT_TRUE(pit.channel0_period());
    EXPECT_EQ(*pit.channel0_period(), Pit8254::kMinimumPeriod);
}

TEST(Pit8254Test, LatchedCountReadsBackLowThenHighAndCountsDown) {
    Pit8254 pit([] {});
    write8(pit, 3, 0xb4);  // channel 2, LSB then MSB, mode 2: no interrupt
    write8(pit, 2, 0xff);
    write8(pit, 2, 0xff);
    EXPECT_FALSE(pit.channel0_period());
    write8(pit, 3, 0x80);  // latch channel 2
    const unsigned low = read8(pit, 2);
    const unsigned high = read8(pit, 2);
    const unsigned count = low | (high << 8);
    EXPECT_LE(count, 0xffffu);
    EXPECT_GT(count, 0u);
    EXPECT_EQ(read8(pit, 3), 0xff);  // the control word is write-only
}

TEST(Pit8254Test, EachTimerExpiryIsOneEdgeOnIrq0) {
    std::atomic<int> edges = 0;
    Pit8254 pit([&] { ++edges; });
    write8(pit, 3, 0x30);  // channel 0, mode 0: one shot
    write8(pit, 0, 0x01);
    write8(pit, 0, 0x00);  // the shortest period there is (the minimum)
    pollfd fd{pit.timer_fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&fd, 1, 60'000), 1);  // a minute: the host may be slow
    pit.on_timer();
    EXPECT_EQ(edges, 1);
    pit.on_timer();  // nothing expired since: no edge
    EXPECT_EQ(edges, 1);
}

}  // namespace
}  // namespace berth::devices
