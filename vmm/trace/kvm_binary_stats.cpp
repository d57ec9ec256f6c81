#include "vmm/trace/kvm_binary_stats.h"

#include <linux/kvm.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

#include "vmm/common/error.h"

namespace berth::trace {
namespace {

// Little-endian fields at byte offsets, as the kernel writes them on x86.
template <typename T>
T field(std::span<const uint8_t> bytes, size_t offset) {
    T value{};
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

// [offset, offset + length) must lie inside the file.
void check_inside(std::span<const uint8_t> file, uint64_t offset, uint64_t length,
                  std::string_view what) {
    if (offset > file.size() || length > file.size() - offset) {
        throw std::runtime_error(
            fmt::format("KVM stats: {} ({} bytes at {}) lies past the end "
                        "of the {}-byte file",
                        what, length, offset, file.size()));
    }
}

// A NUL-terminated string in a `size`-byte field.
std::string fixed_string(std::span<const uint8_t> field_bytes, std::string_view what) {
    const auto end = std::find(field_bytes.begin(), field_bytes.end(), uint8_t{0});
    if (end == field_bytes.end()) {
        throw std::runtime_error(fmt::format("KVM stats: {} has no terminating NUL", what));
    }
    return std::string(field_bytes.begin(), end);
}

}  // namespace

std::string_view KvmStat::type_name() const {
    switch (flags & KVM_STATS_TYPE_MASK) {
        case KVM_STATS_TYPE_CUMULATIVE:
            return "cumulative";
        case KVM_STATS_TYPE_INSTANT:
            return "instant";
        case KVM_STATS_TYPE_PEAK:
            return "peak";
        case KVM_STATS_TYPE_LINEAR_HIST:
            return "linear-hist";
        case KVM_STATS_TYPE_LOG_HIST:
            return "log-hist";
        default:
            return "unknown";
    }
}

std::string_view KvmStat::unit_name() const {
    switch (flags & KVM_STATS_UNIT_MASK) {
        case KVM_STATS_UNIT_NONE:
            return "none";
        case KVM_STATS_UNIT_BYTES:
            return "bytes";
        case KVM_STATS_UNIT_SECONDS:
            return "seconds";
        case KVM_STATS_UNIT_CYCLES:
            return "cycles";
        case KVM_STATS_UNIT_BOOLEAN:
            return "boolean";
        default:
            return "unknown";
    }
}

unsigned KvmStat::base() const {
    return (flags & KVM_STATS_BASE_MASK) == KVM_STATS_BASE_POW2 ? 2 : 10;
}

bool KvmStat::is_histogram() const {
    const uint32_t type = flags & KVM_STATS_TYPE_MASK;
    return type == KVM_STATS_TYPE_LINEAR_HIST || type == KVM_STATS_TYPE_LOG_HIST;
}

KvmStatsSet parse_kvm_stats(std::span<const uint8_t> file) {
    check_inside(file, 0, kKvmStatsHeaderSize, "the header");
    const auto name_size = field<uint32_t>(file, 4);
    const auto num_desc = field<uint32_t>(file, 8);
    const auto id_offset = field<uint32_t>(file, 12);
    const auto desc_offset = field<uint32_t>(file, 16);
    const auto data_offset = field<uint32_t>(file, 20);
    if (name_size == 0) {
        throw std::runtime_error("KVM stats: name_size is 0");
    }

    KvmStatsSet set;
    check_inside(file, id_offset, name_size, "the id");
    set.id = fixed_string(file.subspan(id_offset, name_size), "the id");

    const uint64_t desc_size = kKvmStatsDescFixedSize + uint64_t{name_size};
    check_inside(file, desc_offset, desc_size * num_desc, "the descriptors");
    for (uint32_t i = 0; i < num_desc; ++i) {
        const auto desc = file.subspan(desc_offset + i * desc_size, desc_size);
        KvmStat stat;
        stat.flags = field<uint32_t>(desc, 0);
        stat.exponent = field<int16_t>(desc, 4);
        const auto count = field<uint16_t>(desc, 6);
        const auto offset = field<uint32_t>(desc, 8);
        stat.bucket_size = field<uint32_t>(desc, 12);
        stat.name = fixed_string(desc.subspan(kKvmStatsDescFixedSize), "a descriptor's name");
        const uint64_t at = uint64_t{data_offset} + offset;
        check_inside(file, at, uint64_t{count} * sizeof(uint64_t), "the data of " + stat.name);
        for (uint16_t v = 0; v < count; ++v) {
            stat.values.push_back(field<uint64_t>(file, at + v * sizeof(uint64_t)));
        }
        set.stats.push_back(std::move(stat));
    }
    return set;
}

KvmStatsSet read_kvm_stats(int stats_fd) {
    std::vector<uint8_t> file;
    for (;;) {
        constexpr size_t kChunk = 4096;
        const size_t have = file.size();
        file.resize(have + kChunk);
        const ssize_t got = ::pread(stats_fd, file.data() + have, kChunk, static_cast<off_t>(have));
        if (got < 0 && errno == EINTR) {
            file.resize(have);
            continue;
        }
        if (got < 0) {
            throw SystemError("reading KVM stats", errno);
        }
        file.resize(have + static_cast<size_t>(got));
        if (got == 0) {
            break;
        }
    }
    return parse_kvm_stats(file);
}

std::vector<KvmStat> sum_kvm_stats(std::span<const KvmStatsSet> sets) {
    std::vector<KvmStat> total;
    std::map<std::string, size_t, std::less<>> index;  // name → position in total
    for (const KvmStatsSet& set : sets) {
        for (const KvmStat& stat : set.stats) {
            auto [it, inserted] = index.try_emplace(stat.name, total.size());
            if (inserted) {
                total.push_back(stat);
                continue;
            }
            KvmStat& sum = total[it->second];
            sum.values.resize(std::max(sum.values.size(), stat.values.size()));
            const bool peak = (stat.flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_PEAK;
            for (size_t v = 0; v < stat.values.size(); ++v) {
                sum.values[v] =
                    peak ? std::max(sum.values[v], stat.values[v]) : sum.values[v] + stat.values[v];
            }
        }
    }
    return total;
}

}  // namespace berth::trace
