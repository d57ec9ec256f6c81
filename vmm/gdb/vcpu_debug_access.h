// What the debug controller needs of one vCPU. kvm_vcpu_debug.h implements
// it over KVM; the tests implement it with plain memory.
//
// Everything except kick() is called on the vCPU's own thread, while that
// thread is parked outside KVM_RUN (see debug_controller.h for why).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "vmm/gdb/hw_breakpoints.h"
#include "vmm/gdb/register_file.h"

namespace berth::gdb {

class VcpuDebugAccess {
public:
    virtual ~VcpuDebugAccess() = default;

    // Any thread: make the vCPU leave KVM_RUN soon (Vcpu::kick()).
    virtual void kick() = 0;
    // Undo a kick, so the next KVM_RUN runs the guest (kvm_run.immediate_exit = 0).
    virtual void clear_kick() = 0;

    // These may throw (a failed ioctl); the controller turns that into an error reply.
    virtual RegisterFile read_registers() = 0;
    virtual void write_registers(const RegisterFile& registers) = 0;
    virtual size_t read_memory(uint64_t address, std::span<uint8_t> out) = 0;
    virtual bool write_memory(uint64_t address, std::span<const uint8_t> data) = 0;

    // The debug registers for the next run, and whether to stop after one instruction.
    virtual void set_guest_debug(const DebugRegisters& registers, bool single_step) = 0;
};

}  // namespace berth::gdb
