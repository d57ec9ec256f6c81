#include "vmm/timeline.h"
#include "vmm/run_control.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

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

// Waits until the clock has moved past `us`, so that the next mark is later.
void wait_past(uint64_t us) {
    while (Timeline::now_since_process_start_us() <= us) {
    }
}

TEST(Timeline, EventsKeepTheirFirstMarkOnly) {
    Timeline timeline;
    EXPECT_FALSE(timeline.event_microseconds("virtio-blk DRIVER_OK"));
    timeline.mark_event("virtio-blk DRIVER_OK");
    auto first = timeline.event_microseconds("virtio-blk DRIVER_OK");
    ASSERT_TRUE(first);
    wait_past(*first);
    timeline.mark_event("virtio-blk DRIVER_OK");
    EXPECT_EQ(timeline.event_microseconds("virtio-blk DRIVER_OK"), first);
    EXPECT_FALSE(timeline.event_microseconds("virtio-net DRIVER_OK"));
}

TEST(Timeline, EntriesMergeMilestonesAndEventsInTimeOrder) {
    Timeline timeline;
    timeline.mark(Milestone::kKvmReady);
    wait_past(*timeline.microseconds(Milestone::kKvmReady));
    timeline.mark_event("virtio-rng DRIVER_OK");
    wait_past(*timeline.event_microseconds("virtio-rng DRIVER_OK"));
    timeline.mark(Milestone::kFirstKvmRun);
    wait_past(*timeline.microseconds(Milestone::kFirstKvmRun));
    timeline.mark_event("virtio-blk DRIVER_OK");

    const std::vector<TimelineEntry> entries = timeline.entries();
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].name, "kvm-ready");
    EXPECT_EQ(entries[1].name, "virtio-rng DRIVER_OK");
    EXPECT_EQ(entries[2].name, "first-kvm-run");
    EXPECT_EQ(entries[3].name, "virtio-blk DRIVER_OK");
    EXPECT_EQ(entries[2].us, *timeline.microseconds(Milestone::kFirstKvmRun));
    for (size_t i = 1; i < entries.size(); ++i) {
        EXPECT_LT(entries[i - 1].us, entries[i].us);
    }
}

TEST(Timeline, DistinctEventNamesAreCapped) {
    Timeline timeline;
    for (size_t i = 0; i < Timeline::kMaxEvents + 5; ++i) {
        timeline.mark_event("event " + std::to_string(i));
    }
    timeline.mark_event("event 0");  // already there: neither kept twice nor dropped
    EXPECT_EQ(timeline.entries().size(), Timeline::kMaxEvents);
    EXPECT_EQ(timeline.dropped_events(), 5u);
    EXPECT_TRUE(timeline.event_microseconds("event 63"));
    EXPECT_FALSE(timeline.event_microseconds("event 64"));
}

TEST(Timeline, EventsFromManyThreadsAreEachRecordedOnce) {
    Timeline timeline;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&timeline] {
            for (int round = 0; round < 200; ++round) {
                timeline.mark_event("event " + std::to_string(round % 16));
                timeline.mark(Milestone::kFirstSerialByte);
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(timeline.entries().size(), 16u + 1u);
    EXPECT_EQ(timeline.dropped_events(), 0u);
}

// --timings' lines, which scripts and the integration tests grep:
// "berth: <us> us  <name>" in time order.
TEST(Timeline, PrintsEveryEntryInTimeOrder) {
    Timeline timeline;
    timeline.mark(Milestone::kKvmReady);
    wait_past(*timeline.microseconds(Milestone::kKvmReady));
    timeline.mark_event("virtio-console DRIVER_OK");
    wait_past(*timeline.event_microseconds("virtio-console DRIVER_OK"));
    timeline.mark(Milestone::kVmStopped);

    char* text = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    ASSERT_NE(out, nullptr);
    timeline.print(out);
    std::fclose(out);
    const std::string printed(text, size);
    std::free(text);

    const auto at = [&printed](const std::string& name) {
        return printed.find(" us  " + name + "\n");
    };
    EXPECT_EQ(printed.rfind("berth: boot timeline (microseconds since process start)\n", 0), 0u);
    ASSERT_NE(at("kvm-ready"), std::string::npos);
    ASSERT_NE(at("virtio-console DRIVER_OK"), std::string::npos);
    ASSERT_NE(at("vm-stopped"), std::string::npos);
    EXPECT_LT(at("kvm-ready"), at("virtio-console DRIVER_OK"));
    EXPECT_LT(at("virtio-console DRIVER_OK"), at("vm-stopped"));
    EXPECT_NE(printed.find(std::to_string(*timeline.microseconds(Milestone::kVmStopped)) +
                           " us  vm-stopped\n"),
              std::string::npos);
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
