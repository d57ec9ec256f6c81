#include "vmm/vcpu/cpuid.h"

#include <gtest/gtest.h>

#include <optional>

namespace berth::vcpu {
namespace {

kvm_cpuid_entry2 leaf(uint32_t function, uint32_t index = 0, uint32_t eax = 0, uint32_t ebx = 0,
                      uint32_t ecx = 0, uint32_t edx = 0) {
    kvm_cpuid_entry2 entry{};
    entry.function = function;
    entry.index = index;
    entry.eax = eax;
    entry.ebx = ebx;
    entry.ecx = ecx;
    entry.edx = edx;
    return entry;
}

// A small "supported" table shaped like KVM's answer on an Intel host.
std::vector<kvm_cpuid_entry2> intel_like() {
    return {
        leaf(0x0, 0, 0x1f, 0x756e6547, 0x6c65746e, 0x49656e69),  // GenuineIntel
        leaf(0x1, 0, 0x806f8, 0x00000800, 0x7ffefbff, 0xbfebfbff),
        leaf(0x4, 0, (1 << 5) | 1),    // L1 data cache
        leaf(0x4, 3, (3 << 5) | 3),    // L3 unified cache
        leaf(0xb, 0, 1, 2, 0x100, 7),  // host topology, to be replaced
        leaf(0x1f, 0, 1, 2, 0x100, 7),
        leaf(0x40000000, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d),
        leaf(0x40000001, 0, 0x01007afb),
    };
}

std::optional<kvm_cpuid_entry2> find(const std::vector<kvm_cpuid_entry2>& entries,
                                     uint32_t function, uint32_t index = 0) {
    for (const auto& entry : entries) {
        if (entry.function == function && entry.index == index) {
            return entry;
        }
    }
    return std::nullopt;
}

TEST(Cpuid, Leaf1CarriesApicIdAndHypervisorBit) {
    auto entries = cpuid_for_vcpu(intel_like(), 3, 4);
    auto leaf1 = find(entries, 0x1);
    ASSERT_TRUE(leaf1);
    EXPECT_EQ(leaf1->ebx >> 24, 3u);
    EXPECT_EQ((leaf1->ebx >> 16) & 0xff, 4u);
    EXPECT_EQ(leaf1->ebx & 0xffff, 0x0800u);  // CLFLUSH size kept
    EXPECT_NE(leaf1->ecx & (1u << 31), 0u);
    EXPECT_NE(leaf1->edx & (1u << 28), 0u);  // HTT: more than one logical CPU
}

TEST(Cpuid, SingleCpuHasNoHtt) {
    auto leaf1 = find(cpuid_for_vcpu(intel_like(), 0, 1), 0x1);
    ASSERT_TRUE(leaf1);
    EXPECT_EQ(leaf1->edx & (1u << 28), 0u);
    EXPECT_EQ(leaf1->ebx >> 24, 0u);
}

TEST(Cpuid, TopologyLeafDescribesCoresAndApicId) {
    auto entries = cpuid_for_vcpu(intel_like(), 5, 6);
    for (uint32_t function : {0xbu, 0x1fu}) {
        auto smt = find(entries, function, 0);
        auto core = find(entries, function, 1);
        auto end = find(entries, function, 2);
        ASSERT_TRUE(smt && core && end);
        EXPECT_EQ(smt->ebx, 1u);
        EXPECT_EQ((smt->ecx >> 8) & 0xff, 1u);  // SMT level
        EXPECT_EQ(core->ebx, 6u);
        EXPECT_EQ((core->ecx >> 8) & 0xff, 2u);  // core level
        EXPECT_EQ(core->eax, 3u);                // 6 cores need 3 APIC-id bits
        EXPECT_EQ((end->ecx >> 8) & 0xff, 0u);
        EXPECT_EQ(smt->edx, 5u);
        EXPECT_EQ(core->edx, 5u);
        EXPECT_NE(core->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 0u);
    }
}

TEST(Cpuid, CacheLeafCountsCoresAndSharing) {
    auto entries = cpuid_for_vcpu(intel_like(), 0, 8);
    auto l1 = find(entries, 0x4, 0);
    auto l3 = find(entries, 0x4, 3);
    ASSERT_TRUE(l1 && l3);
    EXPECT_EQ(l1->eax >> 26, 7u);
    EXPECT_EQ((l1->eax >> 14) & 0xfff, 0u);
    EXPECT_EQ((l3->eax >> 14) & 0xfff, 7u);
    EXPECT_EQ(l3->eax & 0x3fff, (3u << 5) | 3);  // cache description kept
}

TEST(Cpuid, KvmSignatureLeafIsKept) {
    auto signature = find(cpuid_for_vcpu(intel_like(), 0, 2), 0x40000000);
    ASSERT_TRUE(signature);
    EXPECT_EQ(signature->ebx, 0x4b4d564bu);  // "KVMK"
    EXPECT_GE(signature->eax, 0x40000001u);
}

TEST(Cpuid, AmdCoreCountLeaf) {
    std::vector<kvm_cpuid_entry2> amd = {
        leaf(0x0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65),  // AuthenticAMD
        leaf(0x1, 0, 0, 0x800),
        leaf(0x80000008, 0, 0x3030, 0, 0x0000ffff),
        leaf(0x8000001e, 0, 9, 9, 9),
    };
    auto entries = cpuid_for_vcpu(amd, 2, 4);
    auto sizes = find(entries, 0x80000008);
    auto ext = find(entries, 0x8000001e);
    ASSERT_TRUE(sizes && ext);
    EXPECT_EQ(sizes->ecx & 0xff, 3u);
    EXPECT_EQ((sizes->ecx >> 12) & 0xf, 2u);
    EXPECT_EQ(ext->eax, 2u);
}

}  // namespace
}  // namespace berth::vcpu
