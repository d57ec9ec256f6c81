#include "vmm/trace/exit_event.h"

#include <linux/kvm.h>

namespace berth::trace {
namespace {

constexpr std::array<std::string_view, kExitReasonCount> kNames = {
    "io",         "mmio",           "hlt",  "shutdown",   "system-event",
    "fail-entry", "internal-error", "intr", "irq-window", "unknown",
};

}  // namespace

std::string_view exit_reason_name(ExitReason reason) {
    return kNames.at(static_cast<size_t>(reason));
}

std::optional<ExitReason> exit_reason_from_name(std::string_view name) {
    for (size_t i = 0; i < kNames.size(); ++i) {
        if (kNames[i] == name) {
            return static_cast<ExitReason>(i);
        }
    }
    return std::nullopt;
}

ExitReason exit_reason_from_kvm(uint32_t kvm_exit_reason) {
    switch (kvm_exit_reason) {
        case KVM_EXIT_IO:
            return ExitReason::kIo;
        case KVM_EXIT_MMIO:
            return ExitReason::kMmio;
        case KVM_EXIT_HLT:
            return ExitReason::kHlt;
        case KVM_EXIT_SHUTDOWN:
            return ExitReason::kShutdown;
        case KVM_EXIT_SYSTEM_EVENT:
            return ExitReason::kSystemEvent;
        case KVM_EXIT_FAIL_ENTRY:
            return ExitReason::kFailEntry;
        case KVM_EXIT_INTERNAL_ERROR:
            return ExitReason::kInternalError;
        case KVM_EXIT_INTR:
            return ExitReason::kIntr;
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            return ExitReason::kIrqWindow;
        default:
            return ExitReason::kUnknown;
    }
}

}  // namespace berth::trace
