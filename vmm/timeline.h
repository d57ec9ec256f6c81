// The boot timeline: when each milestone of a run was first reached, in
// microseconds since the process started (`berth run --timings`).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace berth {

enum class Milestone {
    kKvmReady,          // /dev/kvm opened, VM and in-kernel irqchip created
    kMemoryMapped,      // guest RAM mapped and registered with KVM
    kKernelLoaded,      // kernel, initrd, command line, zero page, ACPI tables written
    kFirstKvmRun,       // the boot vCPU entered KVM_RUN for the first time
    kFirstSerialByte,   // the guest wrote its first byte to the UART
    kGuestInitReached,  // the guest's init wrote the boot marker
    kVmStopped,         // the VM stopped (power off, reset, signal, ...)
    kCount,
};

std::string_view milestone_name(Milestone milestone);

class Timeline {
public:
    Timeline() {
        for (auto& value : at_us_) {
            value.store(kUnset);
        }
    }
    // Records the milestone the first time only; safe from any thread.
    void mark(Milestone milestone);
    std::optional<uint64_t> microseconds(Milestone milestone) const;
    // One line per reached milestone, earliest first.
    void print(std::FILE* out) const;

    static uint64_t now_since_process_start_us();

private:
    static constexpr uint64_t kUnset = UINT64_MAX;
    std::array<std::atomic<uint64_t>, static_cast<size_t>(Milestone::kCount)> at_us_;
};

}  // namespace berth
