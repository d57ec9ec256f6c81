// KVM's own counters, read through its binary statistics interface
// (KVM_GET_STATS_FD on a VM or vCPU fd, KVM_CAP_BINARY_STATS_FD, Linux
// 5.14; Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"). They count
// what the kernel did without coming out to Berth: every exit KVM handled
// itself, halts, interrupt injections, emulated instructions, ...
//
// The file the fd reads is laid out as
//   header      struct kvm_stats_header: flags, name_size, num_desc,
//               id_offset, desc_offset, data_offset (six u32)
//   id          name_size bytes at id_offset, e.g. "kvm-1234/vcpu-0"
//   descriptors num_desc entries at desc_offset, each a 16-byte struct
//               kvm_stats_desc (flags, exponent, size, offset, bucket_size)
//               followed by a name_size-byte name
//   data        at data_offset: stat i is desc[i].size u64 values at
//               data_offset + desc[i].offset
// The descriptor's size is computed here, not taken from sizeof(): C++ sees
// the header's flexible `name` array differently (see flex_array_ioctls.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth::trace {

struct KvmStat {
    std::string name;
    uint32_t flags = 0;  // KVM_STATS_TYPE_* | KVM_STATS_UNIT_* | KVM_STATS_BASE_*
    int16_t exponent = 0;
    uint32_t bucket_size = 0;      // linear histograms only
    std::vector<uint64_t> values;  // one for a counter, one per bucket for a histogram

    // "cumulative", "instant", "peak", "linear-hist", "log-hist" (or "unknown").
    std::string_view type_name() const;
    // "none", "bytes", "seconds", "cycles", "boolean" (or "unknown").
    std::string_view unit_name() const;
    unsigned base() const;  // 10 or 2: the value is values * base^exponent units
    bool is_histogram() const;
    bool operator==(const KvmStat&) const = default;
};

struct KvmStatsSet {
    std::string id;  // "kvm-PID" for a VM, "kvm-PID/vcpu-N" for a vCPU
    std::vector<KvmStat> stats;
};

// The descriptor's fixed part as the kernel's C compiles it.
inline constexpr size_t kKvmStatsDescFixedSize = 16;
inline constexpr size_t kKvmStatsHeaderSize = 24;

// Parses the whole file. Throws std::runtime_error naming what does not
// fit (an offset past the end, a name without its NUL, ...).
KvmStatsSet parse_kvm_stats(std::span<const uint8_t> file);

// Reads the whole file behind a stats fd (pread from offset 0, so the fd
// can be read again) and parses it. Throws SystemError or runtime_error.
KvmStatsSet read_kvm_stats(int stats_fd);

// Several sets (one per vCPU) as one: counters, instants and histograms
// summed, peaks the largest. Stats follow the first set's order.
std::vector<KvmStat> sum_kvm_stats(std::span<const KvmStatsSet> sets);

}  // namespace berth::trace
