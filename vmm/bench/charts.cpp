#include "vmm/bench/charts.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "vmm/bench/availability.h"
#include "vmm/bench/process_runner.h"

namespace berth::bench {

ChartsResult draw_charts(const std::string& repo, const std::string& out_dir) {
    const std::string script = repo + "/scripts/bench/startup-charts.py";
    const std::string later = fmt::format("draw them later with `{} {}`", script, out_dir);
    if (!std::filesystem::exists(script)) {
        return {false, fmt::format("No charts: {} is missing.", script)};
    }
    std::string python;
    for (const std::string candidate : {"/usr/bin/python3", "python3"}) {
        if (find_program(candidate) &&
            capture_stdout({candidate, "-c", "import matplotlib"}, std::chrono::seconds(60))) {
            python = candidate;
            break;
        }
    }
    if (python.empty()) {
        return {false, fmt::format("No charts: no python3 with matplotlib here (apt-get install "
                                   "python3-matplotlib; inside scripts/kvm-sandbox there is "
                                   "none); {}.",
                                   later)};
    }
    ProcessRequest request;
    request.argv = {python, script, out_dir};
    request.timeout = std::chrono::minutes(5);
    request.sample_memory = false;
    const ProcessOutcome outcome = run_process(request);
    if (!outcome.started || outcome.timed_out || outcome.exit_code != 0) {
        std::string why = outcome.err;
        while (!why.empty() && why.back() == '\n') {
            why.pop_back();
        }
        why = why.substr(why.rfind('\n') == std::string::npos ? 0 : why.rfind('\n') + 1);
        return {false, fmt::format("No charts: {} failed ({}); {}.", script,
                                   why.empty() ? outcome.start_error : why, later)};
    }
    return {true,
            "startup.svg: start-up times per system (box plots, every run as a dot). "
            "berth-phases.svg: each Berth run's boot timeline as stacked phases. Drawn with "
            "matplotlib by scripts/bench/startup-charts.py from runs.csv and berth-timeline.csv."};
}

}  // namespace berth::bench
