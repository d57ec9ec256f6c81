#include "vmm/timeline.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

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

void Timeline::print(std::FILE* out) const {
    std::vector<std::pair<uint64_t, Milestone>> reached;
    for (size_t i = 0; i < static_cast<size_t>(Milestone::kCount); ++i) {
        auto milestone = static_cast<Milestone>(i);
        if (auto us = microseconds(milestone)) {
            reached.emplace_back(*us, milestone);
        }
    }
    std::sort(reached.begin(), reached.end());
    std::fprintf(out, "berth: boot timeline (microseconds since process start)\n");
    for (const auto& [us, milestone] : reached) {
        std::fprintf(out, "berth: %12llu us  %s\n", static_cast<unsigned long long>(us),
                     std::string(milestone_name(milestone)).c_str());
    }
}

}  // namespace berth
