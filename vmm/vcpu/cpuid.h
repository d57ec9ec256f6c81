// The CPUID table each vCPU sees: what KVM supports, adjusted per vCPU so the
// guest finds its APIC id, the CPU topology, and the hypervisor leaves that
// make Linux use kvm-clock and the other paravirtual features.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace berth::vcpu {

// `supported` is KVM_GET_SUPPORTED_CPUID's answer. Every vCPU is one core of
// one package with one thread, APIC id = vcpu_id.
std::vector<kvm_cpuid_entry2> cpuid_for_vcpu(const std::vector<kvm_cpuid_entry2>& supported,
                                             uint32_t vcpu_id, uint32_t cpu_count);

}  // namespace berth::vcpu
