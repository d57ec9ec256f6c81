// A KVM exit decoded into a small value, so the vCPU loop is one std::visit.
// The decoder also checks the offsets KVM hands back before anyone uses them.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

namespace berth::vcpu {

// IN/OUT (possibly a REP string instruction: `count` accesses of `size`
// bytes). `data` lies inside kvm_run: reads are answered by filling it.
struct IoExit {
    uint16_t port;
    uint8_t size;
    uint32_t count;
    bool is_write;
    std::span<uint8_t> data;  // size * count bytes
};

// A load or store to guest-physical memory that no memory slot backs.
struct MmioExit {
    uint64_t address;
    bool is_write;
    std::span<uint8_t> data;  // 1..8 bytes
};

struct HltExit {};       // only without an in-kernel irqchip
struct ShutdownExit {};  // triple fault: a PC resets
struct SystemEventExit {
    uint32_t type;  // KVM_SYSTEM_EVENT_SHUTDOWN, _RESET, _CRASH
};
struct FailEntryExit {
    uint64_t hardware_reason;
};
struct InternalErrorExit {
    uint32_t suberror;
};
// A debug exception while gdb debugs the guest (KVM_SET_GUEST_DEBUG): a
// hardware breakpoint or a finished single step; vmm/gdb/debug_exit.h decodes it.
struct DebugExit {
    kvm_debug_exit_arch arch;
};
// Exits that need nothing from user space beyond running again.
struct RetryExit {};
struct UnknownExit {
    uint32_t reason;
};

using VmExit = std::variant<IoExit, MmioExit, HltExit, ShutdownExit, SystemEventExit, FailEntryExit,
                            InternalErrorExit, DebugExit, RetryExit, UnknownExit>;

VmExit decode_exit(kvm_run& run, size_t run_size);

}  // namespace berth::vcpu
