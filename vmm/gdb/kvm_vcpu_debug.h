// VcpuDebugAccess over KVM: one vCPU's registers, its view of guest memory,
// and its debug registers, for the debug controller. Called on the vCPU's
// own thread while it is parked outside KVM_RUN (kick() excepted).
#pragma once

#include <linux/kvm.h>

#include <functional>
#include <optional>

#include "vmm/gdb/vcpu_debug_access.h"
#include "vmm/memory/guest_memory.h"

namespace berth::gdb {

class KvmVcpuDebug final : public VcpuDebugAccess {
public:
    // `vcpu_fd` and `run` are the vCPU's (kvm::VcpuFd::get(), run_area());
    // `kick` is Vcpu::kick(). All outlive this object.
    KvmVcpuDebug(int vcpu_fd, kvm_run* run, const GuestMemory& memory, std::function<void()> kick)
        : vcpu_fd_(vcpu_fd), run_(run), memory_(memory), kick_(std::move(kick)) {}

    void kick() override { kick_(); }
    void clear_kick() override;
    RegisterFile read_registers() override;
    void write_registers(const RegisterFile& registers) override;
    size_t read_memory(uint64_t address, std::span<uint8_t> out) override;
    bool write_memory(uint64_t address, std::span<const uint8_t> data) override;
    void set_guest_debug(const DebugRegisters& registers, bool single_step) override;

private:
    std::optional<GuestAddress> physical(uint64_t linear) const;

    int vcpu_fd_;
    kvm_run* run_;
    const GuestMemory& memory_;
    std::function<void()> kick_;
    bool block_irq_ = true;  // until KVM says it has no KVM_GUESTDBG_BLOCKIRQ (before Linux 5.16)
    std::optional<kvm_guest_debug> applied_;  // skip the ioctl when nothing changed
};

}  // namespace berth::gdb
