#include "vmm/gdb/hw_breakpoints.h"

#include <gtest/gtest.h>

namespace berth::gdb {
namespace {

HwBreakpoint execute_at(uint64_t address) {
    return HwBreakpoint{BreakpointKind::kExecute, address, 1};
}

TEST(GdbHwBreakpoints, FourFitTheFifthDoesNot) {
    HwBreakpointSlots slots;
    for (uint64_t i = 0; i < 4; ++i) {
        EXPECT_EQ(slots.insert(execute_at(0x1000 + i)), HwBreakpointSlots::InsertResult::kInserted);
    }
    EXPECT_EQ(slots.insert(execute_at(0x2000)), HwBreakpointSlots::InsertResult::kFull);
    slots.remove(execute_at(0x1001));
    EXPECT_EQ(slots.insert(execute_at(0x2000)), HwBreakpointSlots::InsertResult::kInserted);
    EXPECT_EQ(slots.slot(1)->address, 0x2000u);  // the freed slot is reused
}

TEST(GdbHwBreakpoints, InsertAndRemoveAreIdempotent) {
    HwBreakpointSlots slots;
    EXPECT_EQ(slots.insert(execute_at(0x1000)), HwBreakpointSlots::InsertResult::kInserted);
    EXPECT_EQ(slots.insert(execute_at(0x1000)), HwBreakpointSlots::InsertResult::kInserted);
    EXPECT_FALSE(slots.slot(1).has_value());  // no second slot taken
    slots.remove(execute_at(0x1000));
    slots.remove(execute_at(0x1000));
    EXPECT_FALSE(slots.slot(0).has_value());
    EXPECT_FALSE(slots.debug_registers().any_enabled());
}

TEST(GdbHwBreakpoints, Dr7ForOneExecuteBreakpoint) {
    HwBreakpointSlots slots;
    slots.insert(execute_at(0xffffffff81000000));
    const DebugRegisters registers = slots.debug_registers();
    EXPECT_EQ(registers.address[0], 0xffffffff81000000u);
    // G0 (bit 1), GE (bit 9), reserved bit 10; R/W0 = LEN0 = 00 (execute, one byte).
    EXPECT_EQ(registers.dr7, 0x602u);
    EXPECT_TRUE(registers.any_enabled());
}

TEST(GdbHwBreakpoints, Dr7ForWatchpointsInSlotsOneToThree) {
    HwBreakpointSlots slots;
    slots.insert(execute_at(0x1000));
    slots.insert(HwBreakpoint{BreakpointKind::kWrite, 0x2000, 4});
    slots.insert(HwBreakpoint{BreakpointKind::kAccess, 0x3000, 8});
    slots.insert(HwBreakpoint{BreakpointKind::kWrite, 0x4001, 1});
    const uint64_t dr7 = slots.debug_registers().dr7;
    EXPECT_EQ(dr7 & 0xff, 0b10101010u);     // G0..G3
    EXPECT_EQ((dr7 >> 20) & 0xf, 0b1101u);  // slot 1: R/W 01 (write), LEN 11 (4 bytes)
    EXPECT_EQ((dr7 >> 24) & 0xf, 0b1011u);  // slot 2: R/W 11 (access), LEN 10 (8 bytes)
    EXPECT_EQ((dr7 >> 28) & 0xf, 0b0001u);  // slot 3: R/W 01, LEN 00 (1 byte)
}

TEST(GdbHwBreakpoints, RejectsWatchpointsTheHardwareCannotDo) {
    HwBreakpointSlots slots;
    EXPECT_EQ(slots.insert(HwBreakpoint{BreakpointKind::kWrite, 0x2002, 4}),
              HwBreakpointSlots::InsertResult::kUnsupported);  // not aligned to its length
    EXPECT_EQ(slots.insert(HwBreakpoint{BreakpointKind::kWrite, 0x2000, 3}),
              HwBreakpointSlots::InsertResult::kUnsupported);
    EXPECT_EQ(slots.insert(HwBreakpoint{BreakpointKind::kWrite, 0x2000, 0}),
              HwBreakpointSlots::InsertResult::kUnsupported);
    EXPECT_FALSE(slots.debug_registers().any_enabled());
}

}  // namespace
}  // namespace berth::gdb
