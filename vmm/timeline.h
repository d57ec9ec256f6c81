// The boot timeline: when each milestone of a run was first reached, in
// microseconds since the process started (`berth run --timings`,
// `--trace-boot`).
//
// Two kinds of entries: the fixed milestones every run passes (an enum,
// recorded lock-free from any thread, since the console marks one on each
// write), and named events that only some runs have, such as each virtio
// device reaching DRIVER_OK (a short list behind a mutex, recorded rarely).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// One reached milestone or event, as Timeline::entries() lists them.
struct TimelineEntry {
    std::string name;  // milestone_name(), or the event's name
    uint64_t us = 0;   // microseconds since process start
    bool operator==(const TimelineEntry&) const = default;
};

class Timeline {
public:
    // Distinct event names kept; later ones are dropped (and counted), so
    // that a device that keeps inventing names cannot grow the list forever.
    static constexpr size_t kMaxEvents = 64;

    Timeline() {
        for (auto& value : at_us_) {
            value.store(kUnset);
        }
    }
    // Records the milestone the first time only; safe from any thread.
    void mark(Milestone milestone);
    std::optional<uint64_t> microseconds(Milestone milestone) const;

    // Records the event `name` (e.g. "virtio-blk DRIVER_OK") the first time
    // it is marked only; safe from any thread. Takes a mutex: not for hot
    // paths.
    void mark_event(std::string name);
    std::optional<uint64_t> event_microseconds(std::string_view name) const;
    // Events not recorded because kMaxEvents names were already there.
    uint64_t dropped_events() const;

    // Every reached milestone and event, earliest first (ties: milestones in
    // enum order, then events in the order they were marked).
    std::vector<TimelineEntry> entries() const;

    // One line per entry, earliest first: "berth: <us> us  <name>".
    void print(std::FILE* out) const;

    static uint64_t now_since_process_start_us();

private:
    static constexpr uint64_t kUnset = UINT64_MAX;
    std::array<std::atomic<uint64_t>, static_cast<size_t>(Milestone::kCount)> at_us_;

    mutable std::mutex events_mutex_;    // protects events_ and dropped_events_
    std::vector<TimelineEntry> events_;  // in the order they were first marked
    uint64_t dropped_events_ = 0;
};

}  // namespace berth
