// One VM exit as the exit observatory sees it (`berth run --trace-exits`,
// `--stats`): why KVM_RUN returned, and for port and MMIO accesses where the
// guest went, what it moved and which device answered.
#pragma once

#include <time.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace berth::trace {

// Why KVM_RUN came back to user space. The names are the ones the filter
// takes and the statistics print (KVM_EXIT_SYSTEM_EVENT is "system-event").
enum class ExitReason : uint8_t {
    kIo,             // KVM_EXIT_IO: IN/OUT (or INS/OUTS) to a port
    kMmio,           // KVM_EXIT_MMIO: a load or store no memory slot backs
    kHlt,            // KVM_EXIT_HLT (only without an in-kernel LAPIC)
    kShutdown,       // KVM_EXIT_SHUTDOWN: a triple fault
    kSystemEvent,    // KVM_EXIT_SYSTEM_EVENT: reset, shutdown or crash
    kFailEntry,      // KVM_EXIT_FAIL_ENTRY: the hardware refused the guest state
    kInternalError,  // KVM_EXIT_INTERNAL_ERROR
    kIntr,           // KVM_EXIT_INTR, or KVM_RUN interrupted by a signal (a kick)
    kIrqWindow,      // KVM_EXIT_IRQ_WINDOW_OPEN
    kUnknown,        // anything else
    kCount,
};

inline constexpr size_t kExitReasonCount = static_cast<size_t>(ExitReason::kCount);

std::string_view exit_reason_name(ExitReason reason);
std::optional<ExitReason> exit_reason_from_name(std::string_view name);
// KVM's exit_reason (KVM_EXIT_*) as one of the above.
ExitReason exit_reason_from_kvm(uint32_t kvm_exit_reason);

struct ExitEvent {
    uint32_t vcpu = 0;
    ExitReason reason = ExitReason::kUnknown;
    uint64_t time_ns = 0;  // monotonic clock when KVM_RUN returned
    // I/O and MMIO exits only:
    uint64_t address = 0;  // the port, or the guest-physical address
    uint8_t size = 0;      // bytes per access
    uint32_t count = 1;    // accesses: more than one for REP INS/OUTS
    bool is_write = false;
    std::span<const uint8_t> data{};  // size * count bytes; a read's after the device answered
    std::string_view device{};        // BusDevice::name(), or "unhandled"
    // Other exits: the system event type, the hardware entry failure reason,
    // the internal error's suberror, or an unknown exit's KVM reason number.
    uint64_t detail = 0;
};

inline constexpr std::string_view kUnhandledDevice = "unhandled";

// The clock the observatory uses: CLOCK_MONOTONIC in nanoseconds (a vDSO
// call, no system call).
inline uint64_t monotonic_ns() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace berth::trace
