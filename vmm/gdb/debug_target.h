// What the gdb command handler needs from the thing it debugs, and nothing
// of KVM: the handler is tested against a fake, and Berth's DebugController
// implements it over real vCPUs.
//
// The model is gdb's "all-stop" mode: the whole VM is either running or
// stopped, one thread (gdb's word for a vCPU) per vCPU. Register and memory
// calls are only made while the VM is stopped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "vmm/gdb/hw_breakpoints.h"
#include "vmm/gdb/register_file.h"

namespace berth::gdb {

enum class StopCause {
    kAttach,      // the VM was stopped for gdb to attach (before it first ran, or later)
    kInterrupt,   // gdb sent Ctrl-C
    kSingleStep,  // one instruction done
    kBreakpoint,  // a hardware breakpoint or watchpoint fired: `slot` says which
    kDebugTrap,   // a debug exception that is none of the above (the guest's own)
};

struct StopEvent {
    uint32_t vcpu = 0;
    StopCause cause = StopCause::kAttach;
    int slot = -1;  // for kBreakpoint: the DR0-DR3 index that fired

    bool operator==(const StopEvent&) const = default;
};

class DebugTarget {
public:
    virtual ~DebugTarget() = default;

    virtual uint32_t vcpu_count() const = 0;

    virtual std::optional<RegisterFile> read_registers(uint32_t vcpu) = 0;
    virtual bool write_registers(uint32_t vcpu, const RegisterFile& registers) = 0;

    // Guest-virtual addresses, translated with vCPU `vcpu`'s page tables.
    // Reads as much as it can from the start and says how many bytes that was.
    virtual size_t read_memory(uint32_t vcpu, uint64_t address, std::span<uint8_t> out) = 0;
    virtual bool write_memory(uint32_t vcpu, uint64_t address, std::span<const uint8_t> data) = 0;

    // Lets the VM run with these debug registers on every vCPU: all of them
    // (`step_vcpu` empty), or only `step_vcpu` for one instruction while the
    // others stay stopped. Resuming with no breakpoints is also how gdb
    // detaches. A StopEvent follows unless the VM ends first.
    virtual void resume(const DebugRegisters& registers, std::optional<uint32_t> step_vcpu) = 0;

    // Stops a running VM (a StopEvent follows); for a stopped VM, announces
    // its stop again (for a client that has just connected).
    virtual void interrupt() = 0;

    // gdb's `k`: ask Berth to stop the VM.
    virtual void kill() = 0;

    // For the server's poll(): readable when take_stop() or vm_ended() has news.
    virtual int event_fd() const = 0;
    // The stop that has completed (every vCPU stopped) and not been taken yet.
    virtual std::optional<StopEvent> take_stop() = 0;
    virtual bool vm_ended() const = 0;
};

}  // namespace berth::gdb
