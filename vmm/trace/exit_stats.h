// `berth run --stats`: what one vCPU's exits added up to. Each vCPU thread
// owns one ExitStats and is the only one to touch it while it runs (no
// locks, no shared atomics on the exit path); the VM merges them after the
// threads are joined.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/trace/exit_event.h"

namespace berth::trace {

// Durations in nanoseconds in power-of-two buckets: bucket 0 holds 0, and
// bucket i (1..64) holds [2^(i-1), 2^i - 1]. Count, sum, min and max are
// exact; percentiles are estimated from the buckets (see percentile_ns).
class LatencyHistogram {
public:
    static constexpr size_t kBuckets = 65;

    void add(uint64_t ns);
    void merge(const LatencyHistogram& other);

    uint64_t count() const { return count_; }
    uint64_t sum_ns() const { return sum_ns_; }
    uint64_t min_ns() const { return count_ == 0 ? 0 : min_ns_; }
    uint64_t max_ns() const { return max_ns_; }
    uint64_t bucket(size_t index) const { return buckets_.at(index); }

    // The q-quantile (0 < q <= 1) as an upper bound: the sample of rank
    // ceil(q * count) lies in some bucket; this is that bucket's upper end,
    // or the largest sample if smaller. The true value is at most a factor
    // of two below it. 0 when empty.
    uint64_t percentile_ns(double q) const;

    static size_t bucket_of(uint64_t ns);
    static uint64_t bucket_low_ns(size_t index);
    static uint64_t bucket_high_ns(size_t index);  // inclusive

private:
    std::array<uint64_t, kBuckets> buckets_{};
    uint64_t count_ = 0;
    uint64_t sum_ns_ = 0;
    uint64_t min_ns_ = UINT64_MAX;
    uint64_t max_ns_ = 0;
};

// One port or MMIO address, the device that answered there, and how many
// exits it caused.
struct HotAddress {
    uint64_t address = 0;
    std::string device;
    uint64_t exits = 0;
    bool operator==(const HotAddress&) const = default;
};

// Exits per (address, device). Keyed by the device too, because a PCI BAR
// can move: an address answered by two devices over time is two rows.
class AccessCounts {
public:
    void add(uint64_t address, std::string_view device, uint64_t exits = 1);
    void merge(const AccessCounts& other);
    // The `limit` busiest, most exits first (ties: lower address first).
    std::vector<HotAddress> hottest(size_t limit) const;
    size_t distinct() const { return counts_.size(); }

private:
    struct Key {
        uint64_t address;
        uint32_t device;  // index into devices_
        auto operator<=>(const Key&) const = default;
    };
    uint32_t device_index(std::string_view device);

    std::vector<std::string> devices_;  // the few device names seen, each once
    std::map<Key, uint64_t> counts_;
};

class ExitStats {
public:
    static constexpr size_t kHottest = 10;

    // One exit: its reason and, for port and MMIO exits, where it went.
    void record_exit(const ExitEvent& event);
    // Time from KVM_RUN returning with this exit to the next KVM_RUN.
    void record_user_time(ExitReason reason, uint64_t ns);
    // Time spent inside one KVM_RUN call (guest and kernel).
    void record_run_time(uint64_t ns) { kvm_run_ns_ += ns; }
    void merge(const ExitStats& other);

    uint64_t exits(ExitReason reason) const { return exits_.at(static_cast<size_t>(reason)); }
    uint64_t total_exits() const;
    const LatencyHistogram& user_time(ExitReason reason) const {
        return user_time_.at(static_cast<size_t>(reason));
    }
    LatencyHistogram total_user_time() const;
    uint64_t kvm_run_ns() const { return kvm_run_ns_; }
    const AccessCounts& ports() const { return ports_; }
    const AccessCounts& mmio() const { return mmio_; }

private:
    std::array<uint64_t, kExitReasonCount> exits_{};
    std::array<LatencyHistogram, kExitReasonCount> user_time_{};
    uint64_t kvm_run_ns_ = 0;
    AccessCounts ports_;
    AccessCounts mmio_;
};

}  // namespace berth::trace
