#include "vmm/trace/exit_stats.h"

#include <gtest/gtest.h>

namespace berth::trace {
namespace {

ExitEvent io(uint64_t port, std::string_view device) {
    return {.reason = ExitReason::kIo, .address = port, .size = 1, .device = device};
}

ExitEvent mmio(uint64_t address, std::string_view device) {
    return {.reason = ExitReason::kMmio, .address = address, .size = 4, .device = device};
}

TEST(LatencyHistogram, BucketsArePowersOfTwo) {
    EXPECT_EQ(LatencyHistogram::bucket_of(0), 0u);
    EXPECT_EQ(LatencyHistogram::bucket_of(1), 1u);
    EXPECT_EQ(LatencyHistogram::bucket_of(2), 2u);
    EXPECT_EQ(LatencyHistogram::bucket_of(3), 2u);
    EXPECT_EQ(LatencyHistogram::bucket_of(4), 3u);
    EXPECT_EQ(LatencyHistogram::bucket_of(1023), 10u);
    EXPECT_EQ(LatencyHistogram::bucket_of(1024), 11u);
    EXPECT_EQ(LatencyHistogram::bucket_of(UINT64_MAX), 64u);
    for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
        EXPECT_EQ(LatencyHistogram::bucket_of(LatencyHistogram::bucket_low_ns(i)), i);
        EXPECT_EQ(LatencyHistogram::bucket_of(LatencyHistogram::bucket_high_ns(i)), i);
    }
}

TEST(LatencyHistogram, ExactCountSumMinMax) {
    LatencyHistogram histogram;
    EXPECT_EQ(histogram.percentile_ns(0.5), 0u);
    EXPECT_EQ(histogram.min_ns(), 0u);
    for (uint64_t ns : {700, 1500, 300, 90000}) {
        histogram.add(ns);
    }
    EXPECT_EQ(histogram.count(), 4u);
    EXPECT_EQ(histogram.sum_ns(), 92500u);
    EXPECT_EQ(histogram.min_ns(), 300u);
    EXPECT_EQ(histogram.max_ns(), 90000u);
    EXPECT_EQ(histogram.bucket(LatencyHistogram::bucket_of(700)), 1u);
}

TEST(LatencyHistogram, PercentilesAreTheBucketsUpperEnds) {
    LatencyHistogram histogram;
    // 98 samples of 1000 ns (bucket 512..1023), one of 5000 (4096..8191)
    // and one of 100000 (65536..131071).
    for (int i = 0; i < 98; ++i) {
        histogram.add(1000);
    }
    histogram.add(5000);
    histogram.add(100000);
    // Rank 50 and rank 98 are 1000 ns samples: reported as 1023.
    EXPECT_EQ(histogram.percentile_ns(0.50), 1023u);
    EXPECT_EQ(histogram.percentile_ns(0.98), 1023u);
    // Rank 99 is the 5000 ns sample.
    EXPECT_EQ(histogram.percentile_ns(0.99), 8191u);
    // Rank 100 is the largest: capped at the exact maximum.
    EXPECT_EQ(histogram.percentile_ns(1.0), 100000u);
    // The estimate is an upper bound within a factor of two.
    EXPECT_GE(histogram.percentile_ns(0.99), 5000u);
    EXPECT_LT(histogram.percentile_ns(0.99), 2 * 5000u);
}

TEST(LatencyHistogram, OneSampleIsExact) {
    LatencyHistogram histogram;
    histogram.add(1500);
    EXPECT_EQ(histogram.percentile_ns(0.5), 1500u);  // min(2047, max)
    EXPECT_EQ(histogram.percentile_ns(0.99), 1500u);
}

TEST(LatencyHistogram, MergeEqualsAddingEverything) {
    LatencyHistogram a;
    LatencyHistogram b;
    LatencyHistogram all;
    for (uint64_t ns = 1; ns < 5000; ns += 7) {
        (ns % 3 == 0 ? a : b).add(ns);
        all.add(ns);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), all.count());
    EXPECT_EQ(a.sum_ns(), all.sum_ns());
    EXPECT_EQ(a.min_ns(), all.min_ns());
    EXPECT_EQ(a.max_ns(), all.max_ns());
    for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
        EXPECT_EQ(a.bucket(i), all.bucket(i)) << i;
    }
    EXPECT_EQ(a.percentile_ns(0.5), all.percentile_ns(0.5));
    LatencyHistogram empty;
    empty.merge(LatencyHistogram{});
    EXPECT_EQ(empty.min_ns(), 0u);
}

TEST(AccessCounts, HottestTenMostFirstTiesByAddress) {
    AccessCounts counts;
    // Port p gets p exits for p = 1..15, plus two ties at 20.
    for (uint64_t port = 1; port <= 15; ++port) {
        for (uint64_t i = 0; i < port; ++i) {
            counts.add(port, "dev");
        }
    }
    counts.add(0x70, "cmos-rtc", 20);
    counts.add(0x40, "pit", 20);
    const auto hottest = counts.hottest(10);
    ASSERT_EQ(hottest.size(), 10u);
    EXPECT_EQ(hottest[0], (HotAddress{0x40, "pit", 20}));
    EXPECT_EQ(hottest[1], (HotAddress{0x70, "cmos-rtc", 20}));
    EXPECT_EQ(hottest[2], (HotAddress{15, "dev", 15}));
    EXPECT_EQ(hottest[9], (HotAddress{8, "dev", 8}));
    EXPECT_EQ(counts.distinct(), 17u);
    EXPECT_EQ(counts.hottest(100).size(), 17u);
}

TEST(AccessCounts, SameAddressDifferentDevicesAreTwoRows) {
    AccessCounts counts;
    counts.add(0xe0000000, "unhandled");
    counts.add(0xe0000000, "virtio-rng", 3);  // after the guest placed a BAR there
    const auto hottest = counts.hottest(10);
    ASSERT_EQ(hottest.size(), 2u);
    EXPECT_EQ(hottest[0], (HotAddress{0xe0000000, "virtio-rng", 3}));
    EXPECT_EQ(hottest[1], (HotAddress{0xe0000000, "unhandled", 1}));
}

TEST(ExitStats, CountsByReasonAndPlace) {
    ExitStats stats;
    stats.record_exit(io(0x3f8, "uart-16550"));
    stats.record_exit(io(0x3f8, "uart-16550"));
    stats.record_exit(io(0x3fd, "uart-16550"));
    stats.record_exit(mmio(0xd0000000, "boot-marker"));
    stats.record_exit({.reason = ExitReason::kIntr});
    stats.record_exit({.reason = ExitReason::kSystemEvent, .detail = 1});
    EXPECT_EQ(stats.total_exits(), 6u);
    EXPECT_EQ(stats.exits(ExitReason::kIo), 3u);
    EXPECT_EQ(stats.exits(ExitReason::kMmio), 1u);
    EXPECT_EQ(stats.exits(ExitReason::kIntr), 1u);
    EXPECT_EQ(stats.exits(ExitReason::kSystemEvent), 1u);
    EXPECT_EQ(stats.exits(ExitReason::kHlt), 0u);
    EXPECT_EQ(stats.ports().hottest(10),
              (std::vector<HotAddress>{{0x3f8, "uart-16550", 2}, {0x3fd, "uart-16550", 1}}));
    EXPECT_EQ(stats.mmio().hottest(10), (std::vector<HotAddress>{{0xd0000000, "boot-marker", 1}}));
}

TEST(ExitStats, MergeAddsVcpus) {
    ExitStats vcpu0;
    ExitStats vcpu1;
    vcpu0.record_exit(io(0x3f8, "uart-16550"));
    vcpu0.record_user_time(ExitReason::kIo, 2000);
    vcpu0.record_run_time(1'000'000);
    vcpu1.record_exit(io(0x3f8, "uart-16550"));
    vcpu1.record_exit(io(0x70, "cmos-rtc"));
    vcpu1.record_user_time(ExitReason::kIo, 4000);
    vcpu1.record_user_time(ExitReason::kIo, 6000);
    vcpu1.record_user_time(ExitReason::kIntr, 10);
    vcpu1.record_run_time(3'000'000);

    ExitStats total;
    total.merge(vcpu0);
    total.merge(vcpu1);
    EXPECT_EQ(total.total_exits(), 3u);
    EXPECT_EQ(total.exits(ExitReason::kIo), 3u);
    EXPECT_EQ(total.kvm_run_ns(), 4'000'000u);
    EXPECT_EQ(total.user_time(ExitReason::kIo).count(), 3u);
    EXPECT_EQ(total.user_time(ExitReason::kIo).sum_ns(), 12000u);
    EXPECT_EQ(total.user_time(ExitReason::kIo).min_ns(), 2000u);
    EXPECT_EQ(total.user_time(ExitReason::kIo).max_ns(), 6000u);
    EXPECT_EQ(total.total_user_time().sum_ns(), 12010u);
    EXPECT_EQ(total.ports().hottest(10),
              (std::vector<HotAddress>{{0x3f8, "uart-16550", 2}, {0x70, "cmos-rtc", 1}}));
    // The parts are unchanged.
    EXPECT_EQ(vcpu0.total_exits(), 1u);
}

}  // namespace
}  // namespace berth::trace
