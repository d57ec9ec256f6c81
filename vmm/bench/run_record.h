// What one measured run produced: a row of runs.csv.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vmm/bench/system.h"
#include "vmm/bench/timings.h"

namespace berth::bench {

struct RunRecord {
    SystemKind system = SystemKind::kBerth;
    int round = 0;     // 1-based; warm-up rounds are not recorded
    int position = 0;  // 1-based place in its round's order
    bool ok = false;
    // Why a run failed ("exit status 1", "timed out after 10 min", "no
    // 'running' line"), empty when ok.
    std::string detail;
    std::optional<double> wall_running_ms;    // spawn -> the workload's "running" line
    std::optional<double> wall_exit_ms;       // spawn -> the process exited
    std::optional<double> cpu_ms;             // user + system, process tree (wait4)
    std::optional<uint64_t> rss_kib;          // peak, process tree
    std::optional<uint64_t> pss_kib;          // peak, process tree
    std::optional<double> cgroup_cpu_ms;      // the run's cgroup, cpu.stat usage_usec
    std::optional<uint64_t> cgroup_peak_kib;  // the run's cgroup, memory.peak
};

// One Berth run's own boot timeline (`--timings`), for the phase chart.
// Round 0 is the kernel-log run after the measured rounds: not a measurement,
// but the one whose timeline also holds the guest kernel's milestones.
struct BerthTimeline {
    SystemKind system = SystemKind::kBerth;  // one of the is_berth() systems
    int round = 0;
    std::vector<TimingLine> entries;
};

}  // namespace berth::bench
