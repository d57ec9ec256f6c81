#include "vmm/vcpu/boot_msrs.h"

#include <cstdint>

namespace berth::vcpu {
namespace {

// MSR numbers from the Intel SDM vol. 4 (Linux's msr-index.h names).
constexpr uint32_t MSR_IA32_TSC = 0x10;
constexpr uint32_t MSR_IA32_SYSENTER_CS = 0x174;
constexpr uint32_t MSR_IA32_SYSENTER_ESP = 0x175;
constexpr uint32_t MSR_IA32_SYSENTER_EIP = 0x176;
constexpr uint32_t MSR_IA32_MISC_ENABLE = 0x1a0;
constexpr uint32_t MSR_MTRRdefType = 0x2ff;
constexpr uint32_t MSR_STAR = 0xc0000081;
constexpr uint32_t MSR_LSTAR = 0xc0000082;
constexpr uint32_t MSR_CSTAR = 0xc0000083;
constexpr uint32_t MSR_SYSCALL_MASK = 0xc0000084;
constexpr uint32_t MSR_KERNEL_GS_BASE = 0xc0000102;

constexpr uint64_t MSR_IA32_MISC_ENABLE_FAST_STRING = 1;
constexpr uint64_t MTRR_DEF_TYPE_ENABLE = 1u << 11;
constexpr uint64_t MTRR_TYPE_WRBACK = 6;

kvm_msr_entry msr(uint32_t index, uint64_t value) {
    kvm_msr_entry entry{};
    entry.index = index;
    entry.data = value;
    return entry;
}

}  // namespace

std::vector<kvm_msr_entry> boot_msrs() {
    return {
        msr(MSR_IA32_SYSENTER_CS, 0),
        msr(MSR_IA32_SYSENTER_ESP, 0),
        msr(MSR_IA32_SYSENTER_EIP, 0),
        msr(MSR_STAR, 0),
        msr(MSR_CSTAR, 0),
        msr(MSR_KERNEL_GS_BASE, 0),
        msr(MSR_SYSCALL_MASK, 0),
        msr(MSR_LSTAR, 0),
        msr(MSR_IA32_TSC, 0),
        msr(MSR_IA32_MISC_ENABLE, MSR_IA32_MISC_ENABLE_FAST_STRING),
        msr(MSR_MTRRdefType, MTRR_DEF_TYPE_ENABLE | MTRR_TYPE_WRBACK),
    };
}

}  // namespace berth::vcpu
