#include "vmm/vcpu/cpuid.h"

#include <algorithm>
#include <cstring>

namespace berth::vcpu {
namespace {

// Bit positions from the Intel SDM vol. 2A, CPUID instruction.
constexpr uint32_t kLeaf1EcxHypervisor = 1u << 31;
constexpr uint32_t kLeaf1EdxHtt = 1u << 28;
constexpr uint32_t kTopologyLevelSmt = 1;  // leaf 0xB/0x1F ECX[15:8]
constexpr uint32_t kTopologyLevelCore = 2;

bool is_amd(const std::vector<kvm_cpuid_entry2>& entries) {
    for (const auto& entry : entries) {
        if (entry.function == 0) {
            // "AuthenticAMD" is spread over EBX, EDX, ECX.
            return entry.ebx == 0x68747541 && entry.edx == 0x69746e65 && entry.ecx == 0x444d4163;
        }
    }
    return false;
}

// Bits needed to number `count` things: ceil(log2(count)).
uint32_t bits_for(uint32_t count) {
    uint32_t bits = 0;
    while ((1u << bits) < count) {
        ++bits;
    }
    return bits;
}

bool has_leaf(const std::vector<kvm_cpuid_entry2>& entries, uint32_t function) {
    return std::any_of(entries.begin(), entries.end(),
                       [&](const auto& entry) { return entry.function == function; });
}

// Leaf 0xB (and 0x1F): subleaf 0 is the SMT level (one thread per core),
// subleaf 1 the core level (cpu_count cores), subleaf 2 ends the list.
void add_topology_leaf(std::vector<kvm_cpuid_entry2>& entries, uint32_t function, uint32_t apic_id,
                       uint32_t cpu_count) {
    std::erase_if(entries, [&](const auto& entry) { return entry.function == function; });
    for (uint32_t index = 0; index < 3; ++index) {
        kvm_cpuid_entry2 entry{};
        entry.function = function;
        entry.index = index;
        entry.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
        entry.edx = apic_id;
        if (index == 0) {
            entry.eax = 0;  // no bits of the APIC id select a thread
            entry.ebx = 1;
            entry.ecx = (kTopologyLevelSmt << 8) | index;
        } else if (index == 1) {
            entry.eax = bits_for(cpu_count);
            entry.ebx = cpu_count;
            entry.ecx = (kTopologyLevelCore << 8) | index;
        } else {
            entry.ecx = index;  // level type 0: invalid, end of enumeration
        }
        entries.push_back(entry);
    }
}

}  // namespace

std::vector<kvm_cpuid_entry2> cpuid_for_vcpu(const std::vector<kvm_cpuid_entry2>& supported,
                                             uint32_t vcpu_id, uint32_t cpu_count) {
    std::vector<kvm_cpuid_entry2> entries = supported;
    const uint32_t apic_id = vcpu_id;
    const bool amd = is_amd(entries);

    for (auto& entry : entries) {
        switch (entry.function) {
            case 0x1:
                // EBX[31:24] initial APIC id, [23:16] logical processors per
                // package; keep [15:0] (brand index, CLFLUSH line size).
                entry.ebx =
                    (apic_id << 24) | (std::min(cpu_count, 255u) << 16) | (entry.ebx & 0xffff);
                entry.ecx |= kLeaf1EcxHypervisor;
                if (cpu_count > 1) {
                    entry.edx |= kLeaf1EdxHtt;
                } else {
                    entry.edx &= ~kLeaf1EdxHtt;
                }
                break;
            case 0x4: {
                // Deterministic cache parameters (Intel): EAX[31:26] cores per
                // package - 1, EAX[25:14] threads sharing this cache - 1.
                const uint32_t cache_level = (entry.eax >> 5) & 0x7;
                const uint32_t sharing = cache_level >= 3 ? cpu_count - 1 : 0;
                entry.eax &= 0x3fff;
                entry.eax |=
                    (std::min(cpu_count - 1, 63u) << 26) | (std::min(sharing, 4095u) << 14);
                break;
            }
            case 0x40000000:
                // KVM's signature leaf; make sure it advertises the features leaf.
                entry.eax = std::max<uint32_t>(entry.eax, 0x40000001);
                break;
            case 0x80000008:
                if (amd) {
                    // ECX[7:0] cores - 1, ECX[15:12] APIC id bits per package.
                    entry.ecx =
                        (entry.ecx & ~0xf0ffu) | (bits_for(cpu_count) << 12) | (cpu_count - 1);
                }
                break;
            case 0x8000001e:
                if (amd) {
                    entry.eax = apic_id;         // extended APIC id
                    entry.ebx = apic_id & 0xff;  // core id, one thread per core
                    entry.ecx = 0;               // node 0, one node per package
                }
                break;
            default:
                break;
        }
    }

    if (has_leaf(supported, 0xb)) {
        add_topology_leaf(entries, 0xb, apic_id, cpu_count);
    }
    if (has_leaf(supported, 0x1f)) {
        add_topology_leaf(entries, 0x1f, apic_id, cpu_count);
    }
    return entries;
}

}  // namespace berth::vcpu
