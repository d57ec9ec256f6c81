// Turning what one run's process did into a row: whether the run counts as
// ok, and the figures it yields.
#pragma once

#include <optional>

#include "vmm/bench/process_runner.h"
#include "vmm/bench/run_record.h"

namespace berth::bench {

// The cgroup's figures for the run, when it had one.
struct CgroupFigures {
    std::optional<double> cpu_ms;
    std::optional<uint64_t> peak_kib;
};

// A run is ok when its process started, exited by itself with status 0
// before the timeout, the workload printed both its "running" and its
// "exiting" line, and (for Berth) its timeline has guest-init-reached.
// A failed run keeps what was measured, for the logs, but the tables only
// use ok runs.
RunRecord judge_run(SystemKind system, int round, int position, const ProcessOutcome& outcome,
                    const CgroupFigures& cgroup);

}  // namespace berth::bench
