#include "vmm/timeline.h"

#include <algorithm>
#include <utility>

namespace berth {
namespace {

// Taken during static initialisation, before main(): as close to the start of
// the process as portable code gets.
const std::chrono::steady_clock::time_point kProcessStart = std::chrono::steady_clock::now();

}  // namespace

std::string_view milestone_name(Milestone milestone) {
    switch (milestone) {
        case Milestone::kKvmReady:
            return "kvm-ready";
        case Milestone::kMemoryMapped:
            return "memory-mapped";
        case Milestone::kKernelLoaded:
            return "kernel-loaded";
        case Milestone::kFirstKvmRun:
            return "first-kvm-run";
        case Milestone::kFirstSerialByte:
            return "first-serial-byte";
        case Milestone::kGuestInitReached:
            return "guest-init-reached";
        case Milestone::kVmStopped:
            return "vm-stopped";
        case Milestone::kCount:
            break;
    }
    return "?";
}

uint64_t Timeline::now_since_process_start_us() {
    auto elapsed = std::chrono::steady_clock::now() - kProcessStart;
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
}

void Timeline::mark(Milestone milestone) {
    uint64_t expected = kUnset;
    at_us_[static_cast<size_t>(milestone)].compare_exchange_strong(expected,
                                                                   now_since_process_start_us());
}

std::optional<uint64_t> Timeline::microseconds(Milestone milestone) const {
    uint64_t value = at_us_[static_cast<size_t>(milestone)].load();
    if (value == kUnset) {
        return std::nullopt;
    }
    return value;
}

void Timeline::mark_event(std::string name) {
    // The clock is read before waiting for the lock, so that a mark that
    // waits behind another records when it happened.
    const uint64_t now = now_since_process_start_us();
    std::lock_guard lock(events_mutex_);
    if (std::any_of(events_.begin(), events_.end(),
                    [&name](const TimelineEntry& event) { return event.name == name; })) {
        return;
    }
    if (events_.size() >= kMaxEvents) {
        ++dropped_events_;
        return;
    }
    events_.push_back({std::move(name), now});
}

std::optional<uint64_t> Timeline::event_microseconds(std::string_view name) const {
    std::lock_guard lock(events_mutex_);
    for (const TimelineEntry& event : events_) {
        if (event.name == name) {
            return event.us;
        }
    }
    return std::nullopt;
}

uint64_t Timeline::dropped_events() const {
    std::lock_guard lock(events_mutex_);
    return dropped_events_;
}

std::vector<TimelineEntry> Timeline::entries() const {
    std::vector<TimelineEntry> entries;
    for (size_t i = 0; i < static_cast<size_t>(Milestone::kCount); ++i) {
        const auto milestone = static_cast<Milestone>(i);
        if (auto us = microseconds(milestone)) {
            entries.push_back({std::string(milestone_name(milestone)), *us});
        }
    }
    {
        std::lock_guard lock(events_mutex_);
        entries.insert(entries.end(), events_.begin(), events_.end());
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const TimelineEntry& a, const TimelineEntry& b) { return a.us < b.us; });
    return entries;
}

void Timeline::print(std::FILE* out) const {
    std::fprintf(out, "berth: boot timeline (microseconds since process start)\n");
    for (const TimelineEntry& entry : entries()) {
        std::fprintf(out, "berth: %12llu us  %s\n", static_cast<unsigned long long>(entry.us),
                     entry.name.c_str());
    }
    if (const uint64_t dropped = dropped_events()) {
        std::fprintf(out, "berth: (%llu more events not recorded)\n",
                     static_cast<unsigned long long>(dropped));
    }
}

}  // namespace berth
