#include "vmm/bench/run_judgement.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "vmm/bench/launch.h"
#include "vmm/bench/timings.h"

namespace berth::bench {
namespace {

// The last non-empty line of a process's stderr: usually what went wrong.
std::string last_line(const std::string& text) {
    size_t end = text.find_last_not_of("\r\n ");
    if (end == std::string::npos) {
        return "";
    }
    size_t start = text.rfind('\n', end);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = text.substr(start, end - start + 1);
    line.erase(std::remove(line.begin(), line.end(), '\r'), line.end());
    return line.size() > 200 ? line.substr(0, 200) + "..." : line;
}

std::string why_failed(SystemKind system, const ProcessOutcome& outcome) {
    if (!outcome.started) {
        return outcome.start_error;
    }
    if (outcome.left_behind) {
        return "timed out, and did not die within a minute of SIGKILL: left behind";
    }
    if (outcome.timed_out) {
        return fmt::format("timed out after {:.0f} s and was killed", outcome.exit_ms / 1000);
    }
    if (outcome.exit_code != 0) {
        const std::string said = last_line(outcome.err);
        return said.empty() ? fmt::format("exit status {}", outcome.exit_code)
                            : fmt::format("exit status {}: {}", outcome.exit_code, said);
    }
    if (!outcome.running_ms) {
        return fmt::format("no '{}' line on its stdout", kRunningMarker);
    }
    if (outcome.out.find(kExitingMarker) == std::string::npos) {
        return fmt::format("no '{}' line: the workload did not finish", kExitingMarker);
    }
    if (is_berth(system)) {
        const auto timeline = parse_timings(outcome.err);
        if (std::none_of(timeline.begin(), timeline.end(),
                         [](const TimingLine& e) { return e.name == "guest-init-reached"; })) {
            return "its --timings lack guest-init-reached (the boot marker)";
        }
    }
    return "";
}

}  // namespace

RunRecord judge_run(SystemKind system, int round, int position, const ProcessOutcome& outcome,
                    const CgroupFigures& cgroup) {
    RunRecord record;
    record.system = system;
    record.round = round;
    record.position = position;
    record.detail = why_failed(system, outcome);
    record.ok = record.detail.empty();
    if (!outcome.started) {
        return record;
    }
    record.wall_running_ms = outcome.running_ms;
    record.wall_exit_ms = outcome.exit_ms;
    record.cpu_ms = outcome.cpu_ms;
    // ru_maxrss is exact but per process; the samples sum the tree but may
    // miss a short peak: the larger of the two.
    record.rss_kib = std::max(outcome.max_rss_kib, outcome.peak_tree_rss_kib);
    if (outcome.memory_samples > 0 && outcome.peak_tree_pss_kib > 0) {
        record.pss_kib = outcome.peak_tree_pss_kib;
    }
    if (system != SystemKind::kDocker) {
        // Docker's container runs under its daemon, not in the run's cgroup.
        record.cgroup_cpu_ms = cgroup.cpu_ms;
        record.cgroup_peak_kib = cgroup.peak_kib;
    }
    return record;
}

}  // namespace berth::bench
