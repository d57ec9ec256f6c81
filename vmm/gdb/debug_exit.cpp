#include "vmm/gdb/debug_exit.h"

namespace berth::gdb {
namespace {

constexpr uint64_t kDr6HitMask = 0xf;         // B0-B3
constexpr uint64_t kDr6SingleStep = 1 << 14;  // BS

}  // namespace

DebugExitCause decode_debug_exit(const kvm_debug_exit_arch& arch) {
    return DebugExitCause{static_cast<uint8_t>(arch.dr6 & kDr6HitMask),
                          (arch.dr6 & kDr6SingleStep) != 0, arch.exception, arch.pc};
}

StopEvent stop_event_for(uint32_t vcpu, const DebugExitCause& cause) {
    for (int slot = 0; slot < 4; ++slot) {
        if ((cause.hit_slots & (1u << slot)) != 0) {
            return StopEvent{vcpu, StopCause::kBreakpoint, slot};
        }
    }
    if (cause.single_step) {
        return StopEvent{vcpu, StopCause::kSingleStep, -1};
    }
    return StopEvent{vcpu, StopCause::kDebugTrap, -1};
}

}  // namespace berth::gdb
