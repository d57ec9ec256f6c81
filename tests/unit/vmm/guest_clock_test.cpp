// guest_clock_origin: the guest kernel's clock start placed on Berth's clock
// at the tightest upper bound, never before first-kvm-run.
#include "vmm/trace/guest_clock.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace berth::trace {
namespace {

constexpr uint64_t kFirstRun = 800'000;

std::vector<TimelineEntry> host(std::optional<uint64_t> init_reached = std::nullopt) {
    std::vector<TimelineEntry> entries{{"kvm-ready", 300'000}, {"first-kvm-run", kFirstRun}};
    if (init_reached) {
        entries.push_back({"guest-init-reached", *init_reached});
    }
    return entries;
}

TEST(GuestClockOrigin, UnknownWithoutFirstKvmRunOrKernelLines) {
    const std::vector<KernelMilestone> guest{{"kernel-start", 0, 900'000, "Linux version"}};
    EXPECT_EQ(guest_clock_origin(std::vector<TimelineEntry>{{"kvm-ready", 1}}, guest),
              std::nullopt);
    EXPECT_EQ(guest_clock_origin(host(), {}), std::nullopt);
}

TEST(GuestClockOrigin, TheTightestLineSeenBoundWins) {
    // A verbose boot: each line arrives as it is printed, the first one 2 ms
    // after the clock started, a later one 50 ms after its printk.
    const std::vector<KernelMilestone> guest{
        {"kernel-start", 0, 3'002'000, "Linux version"},
        {"cpus-up", 1'000'000, 4'050'000, "smp: Brought up"},
    };
    EXPECT_EQ(guest_clock_origin(host(), guest), 3'002'000u);
}

TEST(GuestClockOrigin, WithQuietTheBootMarkerBoundsIt) {
    // With `quiet`, init printed the kernel log at the end: every line was
    // seen late. Init started at guest 2.5 s and wrote the boot marker at
    // host 5.6 s, so the clock started at 3.1 s at the latest.
    const std::vector<KernelMilestone> guest{
        {"kernel-start", 0, 9'000'000, "Linux version"},
        {"init-started", 2'500'000, 9'000'100, "Run /init as init process"},
    };
    EXPECT_EQ(guest_clock_origin(host(5'600'000), guest), 3'100'000u);
    // Without the marker only the late lines bound it.
    EXPECT_EQ(guest_clock_origin(host(), guest), 6'500'100u);
}

TEST(GuestClockOrigin, NeverBeforeFirstKvmRun) {
    // Clocks that disagree (a guest clock running fast) would put the start
    // before the vCPU ran: first-kvm-run is the earliest it can be.
    const std::vector<KernelMilestone> guest{{"cpus-up", 600'000, 1'000'000, "smp: Brought up"}};
    EXPECT_EQ(guest_clock_origin(host(), guest), kFirstRun);
    // A guest time beyond the host time gives no bound at all.
    const std::vector<KernelMilestone> beyond{{"cpus-up", 90'000'000, 1'000'000, "smp"}};
    EXPECT_EQ(guest_clock_origin(host(), beyond), kFirstRun);
}

TEST(GuestClockOrigin, PrintedAsOneLineOrNothing) {
    char buffer[200] = {};
    std::FILE* out = fmemopen(buffer, sizeof(buffer) - 1, "w");
    ASSERT_NE(out, nullptr);
    print_guest_clock_origin(std::nullopt, out);
    print_guest_clock_origin(3'100'000, out);
    std::fclose(out);
    EXPECT_EQ(std::string(buffer), "berth: guest kernel clock started at 3100000 us (estimated)\n");
}

}  // namespace
}  // namespace berth::trace
