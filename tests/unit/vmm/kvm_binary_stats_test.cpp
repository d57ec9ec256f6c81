#include "vmm/trace/kvm_binary_stats.h"

#include <linux/kvm.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

namespace berth::trace {
namespace {

// The kernel's KVM_STATS_NAME_SIZE: ids and names are 48-byte fields.
constexpr uint32_t kNameSize = 48;

struct FakeStat {
    std::string name;
    uint32_t flags;
    int16_t exponent;
    uint32_t bucket_size;
    std::vector<uint64_t> values;
};

template <typename T>
void put(std::vector<uint8_t>& file, size_t offset, T value) {
    std::memcpy(file.data() + offset, &value, sizeof(T));
}

// A stats file laid out as virt/kvm/binary_stats.c writes it: header, id,
// descriptors, then the data block; each stat's data at data_offset +
// desc.offset. `data_gap` puts the data block further out, as a kernel may.
std::vector<uint8_t> kernel_layout(const std::string& id, const std::vector<FakeStat>& stats,
                                   size_t data_gap = 0) {
    const size_t desc_size = kKvmStatsDescFixedSize + kNameSize;
    const uint32_t id_offset = kKvmStatsHeaderSize;
    const uint32_t desc_offset = id_offset + kNameSize;
    const auto data_offset =
        static_cast<uint32_t>(desc_offset + stats.size() * desc_size + data_gap);
    size_t data_size = 0;
    for (const FakeStat& stat : stats) {
        data_size += stat.values.size() * sizeof(uint64_t);
    }
    std::vector<uint8_t> file(data_offset + data_size);
    put<uint32_t>(file, 0, 0);  // flags
    put<uint32_t>(file, 4, kNameSize);
    put<uint32_t>(file, 8, static_cast<uint32_t>(stats.size()));
    put<uint32_t>(file, 12, id_offset);
    put<uint32_t>(file, 16, desc_offset);
    put<uint32_t>(file, 20, data_offset);
    std::memcpy(file.data() + id_offset, id.c_str(), id.size() + 1);
    uint32_t offset = 0;  // of each stat inside the data block
    for (size_t i = 0; i < stats.size(); ++i) {
        const size_t desc = desc_offset + i * desc_size;
        put<uint32_t>(file, desc, stats[i].flags);
        put<int16_t>(file, desc + 4, stats[i].exponent);
        put<uint16_t>(file, desc + 6, static_cast<uint16_t>(stats[i].values.size()));
        put<uint32_t>(file, desc + 8, offset);
        put<uint32_t>(file, desc + 12, stats[i].bucket_size);
        std::memcpy(file.data() + desc + 16, stats[i].name.c_str(), stats[i].name.size() + 1);
        for (uint64_t value : stats[i].values) {
            put<uint64_t>(file, data_offset + offset, value);
            offset += sizeof(uint64_t);
        }
    }
    return file;
}

const std::vector<FakeStat> kVcpuStats = {
    {"exits",
     KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10,
     0,
     0,
     {123456}},
    {"halt_wait_ns",
     KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10,
     -9,
     0,
     {5000000}},
    {"max_mmu_page_hash_collisions", KVM_STATS_TYPE_PEAK | KVM_STATS_UNIT_NONE, 0, 0, {7}},
    {"halt_poll_success_hist",
     KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS | KVM_STATS_BASE_POW10,
     -9,
     0,
     {0, 1, 2, 3}},
    {"linear",
     KVM_STATS_TYPE_LINEAR_HIST | KVM_STATS_UNIT_BYTES | KVM_STATS_BASE_POW2,
     10,
     4096,
     {9, 8}},
    {"guest_mode", KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN, 0, 0, {1}},
};

TEST(KvmBinaryStats, DescriptorIsSixteenBytesPlusName) {
    // The C layout of struct kvm_stats_desc and kvm_stats_header.
    EXPECT_EQ(offsetof(kvm_stats_desc, bucket_size), 12u);
    EXPECT_EQ(sizeof(kvm_stats_header), kKvmStatsHeaderSize);
}

TEST(KvmBinaryStats, ParsesTheKernelLayout) {
    const auto file = kernel_layout("kvm-1234/vcpu-0", kVcpuStats);
    const KvmStatsSet set = parse_kvm_stats(file);
    EXPECT_EQ(set.id, "kvm-1234/vcpu-0");
    ASSERT_EQ(set.stats.size(), kVcpuStats.size());
    for (size_t i = 0; i < kVcpuStats.size(); ++i) {
        EXPECT_EQ(set.stats[i].name, kVcpuStats[i].name);
        EXPECT_EQ(set.stats[i].flags, kVcpuStats[i].flags);
        EXPECT_EQ(set.stats[i].exponent, kVcpuStats[i].exponent);
        EXPECT_EQ(set.stats[i].bucket_size, kVcpuStats[i].bucket_size);
        EXPECT_EQ(set.stats[i].values, kVcpuStats[i].values) << kVcpuStats[i].name;
    }
    EXPECT_EQ(set.stats[0].type_name(), "cumulative");
    EXPECT_EQ(set.stats[0].unit_name(), "none");
    EXPECT_EQ(set.stats[1].unit_name(), "seconds");
    EXPECT_EQ(set.stats[1].base(), 10u);
    EXPECT_EQ(set.stats[2].type_name(), "peak");
    EXPECT_EQ(set.stats[3].type_name(), "log-hist");
    EXPECT_TRUE(set.stats[3].is_histogram());
    EXPECT_FALSE(set.stats[0].is_histogram());
    EXPECT_EQ(set.stats[4].type_name(), "linear-hist");
    EXPECT_EQ(set.stats[4].unit_name(), "bytes");
    EXPECT_EQ(set.stats[4].base(), 2u);
    EXPECT_EQ(set.stats[5].type_name(), "instant");
    EXPECT_EQ(set.stats[5].unit_name(), "boolean");
}

TEST(KvmBinaryStats, FollowsTheOffsetsNotTheOrder) {
    // A data block that does not start right after the descriptors.
    const auto file = kernel_layout("kvm-1", kVcpuStats, 40);
    EXPECT_EQ(parse_kvm_stats(file).stats[0].values, std::vector<uint64_t>{123456});
}

TEST(KvmBinaryStats, RefusesWhatDoesNotFit) {
    const auto good = kernel_layout("kvm-1", kVcpuStats);
    EXPECT_THROW(parse_kvm_stats(std::span(good).first(10)), std::runtime_error);
    EXPECT_THROW(parse_kvm_stats(std::span(good).first(good.size() - 1)), std::runtime_error);

    auto bad_count = good;
    put<uint32_t>(bad_count, 8, 1000);  // more descriptors than the file holds
    EXPECT_THROW(parse_kvm_stats(bad_count), std::runtime_error);

    auto bad_data = good;
    put<uint32_t>(bad_data, 20, 0xfffffff0);  // data_offset past the end
    EXPECT_THROW(parse_kvm_stats(bad_data), std::runtime_error);

    auto no_nul = good;
    std::memset(no_nul.data() + kKvmStatsHeaderSize, 'x', kNameSize);  // id without its NUL
    EXPECT_THROW(parse_kvm_stats(no_nul), std::runtime_error);

    auto no_name_size = good;
    put<uint32_t>(no_name_size, 4, 0);
    EXPECT_THROW(parse_kvm_stats(no_name_size), std::runtime_error);
}

TEST(KvmBinaryStats, ReadsAWholeFileFromAnFd) {
    // Bigger than one read chunk, so the reader has to loop.
    std::vector<FakeStat> many;
    for (int i = 0; i < 100; ++i) {
        many.push_back({"stat_" + std::to_string(i),
                        KVM_STATS_TYPE_CUMULATIVE,
                        0,
                        0,
                        {static_cast<uint64_t>(i * 3)}});
    }
    const auto file = kernel_layout("kvm-77", many);
    ASSERT_GT(file.size(), 4096u);
    const int fd = memfd_create("kvm-stats", MFD_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, file.data(), file.size()), static_cast<ssize_t>(file.size()));
    const KvmStatsSet set = read_kvm_stats(fd);
    close(fd);
    EXPECT_EQ(set.id, "kvm-77");
    ASSERT_EQ(set.stats.size(), 100u);
    EXPECT_EQ(set.stats[99].name, "stat_99");
    EXPECT_EQ(set.stats[99].values, std::vector<uint64_t>{297});
}

TEST(KvmBinaryStats, SumsVcpusAndKeepsPeaksAsMaximum) {
    KvmStatsSet a = parse_kvm_stats(kernel_layout("kvm-1/vcpu-0", kVcpuStats));
    std::vector<FakeStat> other = kVcpuStats;
    other[0].values = {1000};
    other[2].values = {3};  // a smaller peak
    other[3].values = {10, 10, 10, 10};
    KvmStatsSet b = parse_kvm_stats(kernel_layout("kvm-1/vcpu-1", other));
    const std::vector<KvmStatsSet> sets{a, b};
    const auto total = sum_kvm_stats(sets);
    ASSERT_EQ(total.size(), kVcpuStats.size());
    EXPECT_EQ(total[0].values, std::vector<uint64_t>{124456});
    EXPECT_EQ(total[1].values, std::vector<uint64_t>{10000000});
    EXPECT_EQ(total[2].values, std::vector<uint64_t>{7});
    EXPECT_EQ(total[3].values, (std::vector<uint64_t>{10, 11, 12, 13}));
}

}  // namespace
}  // namespace berth::trace
