#include "vmm/trace/guest_clock.h"

#include <algorithm>
#include <cinttypes>
#include <string_view>

namespace berth::trace {
namespace {

std::optional<uint64_t> host_time_of(std::span<const TimelineEntry> host, Milestone milestone) {
    for (const TimelineEntry& entry : host) {
        if (entry.name == milestone_name(milestone)) {
            return entry.us;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<uint64_t> guest_clock_origin(std::span<const TimelineEntry> host,
                                           std::span<const KernelMilestone> guest) {
    const std::optional<uint64_t> first_run = host_time_of(host, Milestone::kFirstKvmRun);
    if (!first_run || guest.empty()) {
        return std::nullopt;
    }
    std::optional<uint64_t> upper;
    const auto tighten = [&upper](uint64_t host_us, uint64_t guest_us) {
        // A guest time beyond the host time would put the origin before
        // Berth started: clocks that disagree give no bound.
        if (guest_us <= host_us) {
            upper = std::min(upper.value_or(host_us - guest_us), host_us - guest_us);
        }
    };
    const std::optional<uint64_t> init_reached = host_time_of(host, Milestone::kGuestInitReached);
    for (const KernelMilestone& milestone : guest) {
        tighten(milestone.host_us, milestone.guest_us);
        if (init_reached && milestone.name == "init-started") {
            tighten(*init_reached, milestone.guest_us);
        }
    }
    return std::max(*first_run, upper.value_or(*first_run));
}

void print_guest_clock_origin(std::optional<uint64_t> origin_us, std::FILE* out) {
    if (origin_us) {
        std::fprintf(out, "berth: guest kernel clock started at %" PRIu64 " us (estimated)\n",
                     *origin_us);
    }
}

}  // namespace berth::trace
