// KVM_EXIT_DEBUG, decoded. With KVM_SET_GUEST_DEBUG enabled, a debug
// exception (#DB) in the guest exits to Berth instead of reaching the guest;
// kvm_run.debug.arch then holds DR6, which says why: B0-B3 for the debug
// register that fired, BS for a finished single step (Intel SDM vol. 3,
// 18.2.3 "Debug Status Register").
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/gdb/debug_target.h"

namespace berth::gdb {

struct DebugExitCause {
    uint8_t hit_slots = 0;  // bit N: DRN's condition was met
    bool single_step = false;
    uint32_t exception = 0;  // 1 (#DB) or 3 (#BP)
    uint64_t pc = 0;         // linear address of the instruction
};

DebugExitCause decode_debug_exit(const kvm_debug_exit_arch& arch);

// What to tell gdb about it: the lowest debug register that fired, else the
// step, else a debug trap that was not Berth's doing.
StopEvent stop_event_for(uint32_t vcpu, const DebugExitCause& cause);

}  // namespace berth::gdb
