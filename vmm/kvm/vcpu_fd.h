// A KVM vCPU file descriptor and its shared kvm_run area: register access
// and KVM_RUN. Owned by the Vcpu that runs it.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "vmm/common/unique_fd.h"

namespace berth::kvm {

class VcpuFd {
public:
    VcpuFd(UniqueFd fd, kvm_run* run, size_t run_size)
        : fd_(std::move(fd)), run_(run), run_size_(run_size) {}
    VcpuFd(VcpuFd&& other) noexcept;
    VcpuFd& operator=(VcpuFd&&) = delete;
    VcpuFd(const VcpuFd&) = delete;
    VcpuFd& operator=(const VcpuFd&) = delete;
    ~VcpuFd();

    kvm_regs get_regs() const;
    void set_regs(const kvm_regs& regs) const;
    kvm_sregs get_sregs() const;
    void set_sregs(const kvm_sregs& sregs) const;
    void set_fpu(const kvm_fpu& fpu) const;
    void set_cpuid(const std::vector<kvm_cpuid_entry2>& entries) const;
    kvm_lapic_state get_lapic() const;
    void set_lapic(const kvm_lapic_state& lapic) const;
    // Returns how many of the MSRs KVM accepted (it stops at the first it refuses).
    size_t set_msrs(const std::vector<kvm_msr_entry>& entries) const;

    enum class RunResult { kExited, kInterrupted };
    // One KVM_RUN. kInterrupted means a signal (or immediate_exit) cut it
    // short: an ordinary event, not an error.
    RunResult run() const;

    // KVM_INTERRUPT: queue an external interrupt with this vector; only for
    // a VM without an in-kernel irqchip, whose interrupt controller is Berth's.
    void interrupt(uint8_t vector) const;

    kvm_run* run_area() const { return run_; }
    // The raw descriptor, for the gdb stub's own ioctls (vmm/gdb/vcpu_debug_ioctls.h).
    int get() const { return fd_.get(); }

    // KVM's binary statistics of this vCPU (KVM_GET_STATS_FD).
    UniqueFd open_stats() const;

private:
    UniqueFd fd_;
    kvm_run* run_;
    size_t run_size_;
};

}  // namespace berth::kvm
