#include "vmm/kvm/vcpu_fd.h"

#include <sys/mman.h>

#include <cstring>
#include <memory>
#include <utility>

#include "vmm/kvm/ioctl.h"

namespace berth::kvm {

VcpuFd::VcpuFd(VcpuFd&& other) noexcept
    : fd_(std::move(other.fd_)),
      run_(std::exchange(other.run_, nullptr)),
      run_size_(other.run_size_) {}

VcpuFd::~VcpuFd() {
    if (run_ != nullptr) {
        munmap(run_, run_size_);
    }
}

kvm_regs VcpuFd::get_regs() const {
    kvm_regs regs{};
    KVM_IOCTL(fd_.get(), KVM_GET_REGS, &regs);
    return regs;
}

void VcpuFd::set_regs(const kvm_regs& regs) const { KVM_IOCTL(fd_.get(), KVM_SET_REGS, &regs); }

kvm_sregs VcpuFd::get_sregs() const {
    kvm_sregs sregs{};
    KVM_IOCTL(fd_.get(), KVM_GET_SREGS, &sregs);
    return sregs;
}

void VcpuFd::set_sregs(const kvm_sregs& sregs) const {
    KVM_IOCTL(fd_.get(), KVM_SET_SREGS, &sregs);
}

void VcpuFd::set_fpu(const kvm_fpu& fpu) const { KVM_IOCTL(fd_.get(), KVM_SET_FPU, &fpu); }

void VcpuFd::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) const {
    const size_t bytes = sizeof(kvm_cpuid2) + entries.size() * sizeof(kvm_cpuid_entry2);
    auto buffer = std::make_unique<uint8_t[]>(bytes);
    auto* cpuid = reinterpret_cast<kvm_cpuid2*>(buffer.get());  // flexible array member
    cpuid->nent = static_cast<uint32_t>(entries.size());
    std::memcpy(cpuid->entries, entries.data(), entries.size() * sizeof(kvm_cpuid_entry2));
    KVM_IOCTL(fd_.get(), KVM_SET_CPUID2, cpuid);
}

kvm_lapic_state VcpuFd::get_lapic() const {
    kvm_lapic_state lapic{};
    KVM_IOCTL(fd_.get(), KVM_GET_LAPIC, &lapic);
    return lapic;
}

void VcpuFd::set_lapic(const kvm_lapic_state& lapic) const {
    KVM_IOCTL(fd_.get(), KVM_SET_LAPIC, &lapic);
}

size_t VcpuFd::set_msrs(const std::vector<kvm_msr_entry>& entries) const {
    const size_t bytes = sizeof(kvm_msrs) + entries.size() * sizeof(kvm_msr_entry);
    auto buffer = std::make_unique<uint8_t[]>(bytes);
    auto* msrs = reinterpret_cast<kvm_msrs*>(buffer.get());  // flexible array member
    msrs->nmsrs = static_cast<uint32_t>(entries.size());
    std::memcpy(msrs->entries, entries.data(), entries.size() * sizeof(kvm_msr_entry));
    return static_cast<size_t>(KVM_IOCTL(fd_.get(), KVM_SET_MSRS, msrs));
}

VcpuFd::RunResult VcpuFd::run() const {
    if (::ioctl(fd_.get(), KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            return RunResult::kInterrupted;
        }
        throw SystemError("KVM_RUN", errno);
    }
    return RunResult::kExited;
}

}  // namespace berth::kvm
