#include "vmm/trace/exit_stats.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace berth::trace {

size_t LatencyHistogram::bucket_of(uint64_t ns) {
    return static_cast<size_t>(std::bit_width(ns));  // 0 → 0, 1 → 1, 2..3 → 2, 4..7 → 3, ...
}

uint64_t LatencyHistogram::bucket_low_ns(size_t index) {
    return index == 0 ? 0 : uint64_t{1} << (index - 1);
}

uint64_t LatencyHistogram::bucket_high_ns(size_t index) {
    return index == 0 ? 0 : index == 64 ? UINT64_MAX : (uint64_t{1} << index) - 1;
}

void LatencyHistogram::add(uint64_t ns) {
    ++buckets_[bucket_of(ns)];
    ++count_;
    sum_ns_ += ns;
    min_ns_ = std::min(min_ns_, ns);
    max_ns_ = std::max(max_ns_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i) {
        buckets_[i] += other.buckets_[i];
    }
    count_ += other.count_;
    sum_ns_ += other.sum_ns_;
    min_ns_ = std::min(min_ns_, other.min_ns_);
    max_ns_ = std::max(max_ns_, other.max_ns_);
}

uint64_t LatencyHistogram::percentile_ns(double q) const {
    if (count_ == 0) {
        return 0;
    }
    const auto rank =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
        seen += buckets_[i];
        if (seen >= rank) {
            return std::min(bucket_high_ns(i), max_ns_);
        }
    }
    return max_ns_;
}

uint32_t AccessCounts::device_index(std::string_view device) {
    // A VM has a dozen devices at most: a linear search is the simplest thing.
    for (size_t i = 0; i < devices_.size(); ++i) {
        if (devices_[i] == device) {
            return static_cast<uint32_t>(i);
        }
    }
    devices_.emplace_back(device);
    return static_cast<uint32_t>(devices_.size() - 1);
}

void AccessCounts::add(uint64_t address, std::string_view device, uint64_t exits) {
    counts_[Key{address, device_index(device)}] += exits;
}

void AccessCounts::merge(const AccessCounts& other) {
    for (const auto& [key, exits] : other.counts_) {
        add(key.address, other.devices_[key.device], exits);
    }
}

std::vector<HotAddress> AccessCounts::hottest(size_t limit) const {
    std::vector<HotAddress> all;
    all.reserve(counts_.size());
    for (const auto& [key, exits] : counts_) {
        all.push_back({key.address, devices_[key.device], exits});
    }
    // counts_ is in address order already, so a stable sort keeps ties that way.
    std::stable_sort(all.begin(), all.end(),
                     [](const HotAddress& a, const HotAddress& b) { return a.exits > b.exits; });
    all.resize(std::min(all.size(), limit));
    return all;
}

void ExitStats::record_exit(const ExitEvent& event) {
    ++exits_[static_cast<size_t>(event.reason)];
    if (event.reason == ExitReason::kIo) {
        ports_.add(event.address, event.device);
    } else if (event.reason == ExitReason::kMmio) {
        mmio_.add(event.address, event.device);
    }
}

void ExitStats::record_user_time(ExitReason reason, uint64_t ns) {
    user_time_[static_cast<size_t>(reason)].add(ns);
}

void ExitStats::merge(const ExitStats& other) {
    for (size_t i = 0; i < kExitReasonCount; ++i) {
        exits_[i] += other.exits_[i];
        user_time_[i].merge(other.user_time_[i]);
    }
    kvm_run_ns_ += other.kvm_run_ns_;
    ports_.merge(other.ports_);
    mmio_.merge(other.mmio_);
}

uint64_t ExitStats::total_exits() const {
    uint64_t total = 0;
    for (uint64_t exits : exits_) {
        total += exits;
    }
    return total;
}

LatencyHistogram ExitStats::total_user_time() const {
    LatencyHistogram total;
    for (const LatencyHistogram& histogram : user_time_) {
        total.merge(histogram);
    }
    return total;
}

}  // namespace berth::trace
