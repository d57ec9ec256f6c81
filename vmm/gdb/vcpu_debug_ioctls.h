// The vCPU ioctls the debugger needs, on a raw vCPU file descriptor. Berth's
// kvm::VcpuFd wraps the ones a VM needs to boot; these are the rest: the
// registers gdb shows beyond boot state (FPU, one MSR), guest debugging, and
// address translation. All throw SystemError on failure, like KVM_IOCTL.
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <optional>

namespace berth::gdb {

kvm_regs get_regs(int vcpu_fd);
void set_regs(int vcpu_fd, const kvm_regs& regs);
kvm_sregs get_sregs(int vcpu_fd);
void set_sregs(int vcpu_fd, const kvm_sregs& sregs);
kvm_fpu get_fpu(int vcpu_fd);
void set_fpu(int vcpu_fd, const kvm_fpu& fpu);

// One MSR; nullopt when KVM does not have it.
std::optional<uint64_t> get_msr(int vcpu_fd, uint32_t index);
bool set_msr(int vcpu_fd, uint32_t index, uint64_t value);

// KVM_SET_GUEST_DEBUG: from the next KVM_RUN on, debug exceptions exit to
// Berth as KVM_EXIT_DEBUG (control 0 hands them back to the guest).
void set_guest_debug(int vcpu_fd, const kvm_guest_debug& debug);

// KVM_TRANSLATE: a linear address through the vCPU's current page tables
// (identity when paging is off); nullopt when nothing is mapped there.
std::optional<uint64_t> translate(int vcpu_fd, uint64_t linear_address);

}  // namespace berth::gdb
