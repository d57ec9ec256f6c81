// Reading Berth's boot timeline back from a run's stderr: `berth run
// --timings` prints one line per milestone or event, earliest first,
//   berth:      1234567 us  guest-init-reached
// (vmm/timeline.cpp). The bench uses it for the phase table and chart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::bench {

struct TimingLine {
    std::string name;  // "kvm-ready", "virtio-blk DRIVER_OK", ...
    uint64_t us = 0;   // microseconds since Berth's process started
    bool operator==(const TimingLine&) const = default;
};

// Every timeline line in `stderr_text`, in the order printed; other lines
// (the guest's console never goes to stderr, but Berth's own messages do)
// are ignored. A name printed twice keeps its first time.
std::vector<TimingLine> parse_timings(std::string_view stderr_text);

}  // namespace berth::bench
