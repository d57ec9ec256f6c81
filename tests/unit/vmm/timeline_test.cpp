#include "vmm/timeline.h"
#include "vmm/run_control.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(Timeline, KeepsTheFirstMarkOnly) {
    Timeline timeline;
    EXPECT_FALSE(timeline.microseconds(Milestone::kKvmReady));
    timeline.mark(Milestone::kKvmReady);
    auto first = timeline.microseconds(Milestone::kKvmReady);
    ASSERT_TRUE(first);
    while (Timeline::now_since_process_start_us() == *first) {
    }
    timeline.mark(Milestone::kKvmReady);
    EXPECT_EQ(timeline.microseconds(Milestone::kKvmReady), first);
}

TEST(RunControl, FirstStopRequestWins) {
    RunControl control;
    EXPECT_FALSE(control.stopping());
    control.request_stop({StopKind::kPowerOff, "off", 0});
    control.request_stop({StopKind::kError, "later", 0});
    EXPECT_TRUE(control.stopping());
    EXPECT_EQ(control.reason()->detail, "off");
    EXPECT_EQ(control.reason()->exit_status(), 0);
}

TEST(StopReason, ExitStatuses) {
    EXPECT_EQ((StopReason{StopKind::kSignal, "", 15}).exit_status(), 143);
    EXPECT_EQ((StopReason{StopKind::kTimeout, "", 0}).exit_status(), 124);
    EXPECT_EQ((StopReason{StopKind::kReset, "", 0}).exit_status(), 0);
    EXPECT_EQ((StopReason{StopKind::kError, "", 0}).exit_status(), 1);
}

}  // namespace
}  // namespace berth
