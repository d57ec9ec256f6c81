#include "vmm/kvm/vcpu_fd.h"

#include <sys/mman.h>

#include <cstring>
#include <utility>

#include "vmm/kvm/flex_array_ioctls.h"
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

void VcpuFd::set_regs(const kvm_regs& regs) const {
    KVM_IOCTL(fd_.get(), KVM_SET_REGS, &regs);
}

kvm_sregs VcpuFd::get_sregs() const {
    kvm_sregs sregs{};
    KVM_IOCTL(fd_.get(), KVM_GET_SREGS, &sregs);
    return sregs;
}

void VcpuFd::set_sregs(const kvm_sregs& sregs) const {
    KVM_IOCTL(fd_.get(), KVM_SET_SREGS, &sregs);
}

void VcpuFd::set_fpu(const kvm_fpu& fpu) const {
    KVM_IOCTL(fd_.get(), KVM_SET_FPU, &fpu);
}

void VcpuFd::set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) const {
    // u32 nent, u32 padding, entries: see flex_array_ioctls.h.
    std::vector<uint8_t> buffer(kCpuid2HeaderSize + entries.size() * sizeof(kvm_cpuid_entry2));
    const auto count = static_cast<uint32_t>(entries.size());
    std::memcpy(buffer.data(), &count, sizeof(count));
    std::memcpy(buffer.data() + kCpuid2HeaderSize, entries.data(),
                entries.size() * sizeof(kvm_cpuid_entry2));
    checked_ioctl(fd_.get(), kSetCpuid2, "KVM_SET_CPUID2", buffer.data());
}

kvm_lapic_state VcpuFd::get_lapic() const {
    kvm_lapic_state lapic{};
    KVM_IOCTL(fd_.get(), KVM_GET_LAPIC, &lapic);
    return lapic;
}

void VcpuFd::set_lapic(const kvm_lapic_state& lapic) const {
    KVM_IOCTL(fd_.get(), KVM_SET_LAPIC, &lapic);
}

void VcpuFd::interrupt(uint8_t vector) const {
    kvm_interrupt request{.irq = vector};
    KVM_IOCTL(fd_.get(), KVM_INTERRUPT, &request);
}

size_t VcpuFd::set_msrs(const std::vector<kvm_msr_entry>& entries) const {
    // u32 nmsrs, u32 pad, entries: see flex_array_ioctls.h.
    std::vector<uint8_t> buffer(kMsrsHeaderSize + entries.size() * sizeof(kvm_msr_entry));
    const auto count = static_cast<uint32_t>(entries.size());
    std::memcpy(buffer.data(), &count, sizeof(count));
    std::memcpy(buffer.data() + kMsrsHeaderSize, entries.data(),
                entries.size() * sizeof(kvm_msr_entry));
    return static_cast<size_t>(checked_ioctl(fd_.get(), kSetMsrs, "KVM_SET_MSRS", buffer.data()));
}

UniqueFd VcpuFd::open_stats() const {
    return UniqueFd(KVM_IOCTL(fd_.get(), KVM_GET_STATS_FD, 0));
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
