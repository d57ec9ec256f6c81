#include "vmm/gdb/debug_exit.h"

#include <gtest/gtest.h>

namespace berth::gdb {
namespace {

// KVM reports DR6 with its active-low bits set (DR6_ACTIVE_LOW, 0xffff0ff0).
constexpr uint64_t kDr6Base = 0xffff0ff0;

kvm_debug_exit_arch exit_with_dr6(uint64_t dr6) {
    kvm_debug_exit_arch arch{};
    arch.exception = 1;
    arch.pc = 0x7c00;
    arch.dr6 = dr6;
    return arch;
}

TEST(GdbDebugExit, SingleStepIsBitBs) {
    // The value KVM gave after one KVM_GUESTDBG_SINGLESTEP step on this machine.
    const DebugExitCause cause = decode_debug_exit(exit_with_dr6(0xffff4ff0));
    EXPECT_TRUE(cause.single_step);
    EXPECT_EQ(cause.hit_slots, 0);
    EXPECT_EQ(cause.pc, 0x7c00u);
    EXPECT_EQ(stop_event_for(2, cause), (StopEvent{2, StopCause::kSingleStep, -1}));
}

TEST(GdbDebugExit, BreakpointNamesTheLowestSlotThatFired) {
    const DebugExitCause cause = decode_debug_exit(exit_with_dr6(kDr6Base | 0b0100));
    EXPECT_FALSE(cause.single_step);
    EXPECT_EQ(cause.hit_slots, 0b0100);
    EXPECT_EQ(stop_event_for(0, cause), (StopEvent{0, StopCause::kBreakpoint, 2}));
    // A breakpoint hit while stepping is reported as the breakpoint.
    EXPECT_EQ(stop_event_for(0, decode_debug_exit(exit_with_dr6(0xffff4ff0 | 0b1010))),
              (StopEvent{0, StopCause::kBreakpoint, 1}));
}

TEST(GdbDebugExit, NeitherIsTheGuestsOwnTrap) {
    EXPECT_EQ(stop_event_for(1, decode_debug_exit(exit_with_dr6(kDr6Base))),
              (StopEvent{1, StopCause::kDebugTrap, -1}));
}

}  // namespace
}  // namespace berth::gdb
