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

// The guest kernel's milestones, which --timings prints after the host's
//   berth:     1.234567 s   cpus-up          (guest clock, vmm/trace/kernel_log.h)
//   berth: guest kernel clock started at 812345 us (estimated)
// moved onto Berth's clock with that last line (vmm/trace/guest_clock.h):
// "kernel: clock-start" at its time, then each as "kernel: NAME" at that
// time plus its own, in the order printed. Empty without the clock line.
std::vector<TimingLine> parse_kernel_timings(std::string_view stderr_text);

}  // namespace berth::bench
