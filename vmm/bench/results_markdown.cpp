#include "vmm/bench/results_markdown.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "vmm/bench/launch.h"
#include "vmm/bench/statistics.h"

namespace berth::bench {
namespace {

struct Metric {
    const char* title;
    const char* unit;
    bool is_time;       // an absolute time: emulated in the nested sandbox
    bool always_shown;  // else only when some run measured it
    std::function<std::optional<double>(const RunRecord&)> value;
};

std::optional<double> kib_to_mib(const std::optional<uint64_t>& kib) {
    if (!kib) {
        return std::nullopt;
    }
    return static_cast<double>(*kib) / 1024.0;
}

const std::vector<Metric>& metrics() {
    static const std::vector<Metric> kMetrics = {
        {"Start-up: spawn to the workload's \"running\" line", "ms", true, true,
         [](const RunRecord& r) { return r.wall_running_ms; }},
        {"Spawn to exit: start-up, the work and shutdown", "ms", true, true,
         [](const RunRecord& r) { return r.wall_exit_ms; }},
        {"CPU time, user + system, of the process tree", "ms", true, true,
         [](const RunRecord& r) { return r.cpu_ms; }},
        {"Peak RSS of the process tree", "MiB", false, true,
         [](const RunRecord& r) { return kib_to_mib(r.rss_kib); }},
        {"Peak PSS of the process tree", "MiB", false, true,
         [](const RunRecord& r) { return kib_to_mib(r.pss_kib); }},
        {"CPU time of the run's cgroup, cpu.stat usage_usec", "ms", true, false,
         [](const RunRecord& r) { return r.cgroup_cpu_ms; }},
        {"Peak memory of the run's cgroup, memory.peak", "MiB", false, false,
         [](const RunRecord& r) { return kib_to_mib(r.cgroup_peak_kib); }},
    };
    return kMetrics;
}

// The ok runs' values of one metric for one system.
std::vector<double> samples(const BenchReport& report, SystemKind system, const Metric& metric) {
    std::vector<double> values;
    for (const RunRecord& record : report.records) {
        if (record.system == system && record.ok) {
            if (auto value = metric.value(record)) {
                values.push_back(*value);
            }
        }
    }
    return values;
}

std::string ratio_text(double value, std::optional<double> berth) {
    if (!berth || *berth <= 0 || std::isnan(value)) {
        return "-";
    }
    return fmt::format("{:.2f}x", value / *berth);
}

std::string emulated_note(const BenchReport& report) {
    return report.environment.emulated
               ? "nested sandbox: absolute times are emulated, only ratios count"
               : "";
}

void append_metric_table(std::string& md, const BenchReport& report, const Metric& metric) {
    std::vector<std::vector<double>> per_system;
    bool any = false;
    for (SystemKind system : report.measured) {
        per_system.push_back(samples(report, system, metric));
        any = any || !per_system.back().empty();
    }
    if (!any && !metric.always_shown) {
        return;
    }
    std::string heading = fmt::format("## {} ({})", metric.title, metric.unit);
    if (metric.is_time && report.environment.emulated) {
        heading += " - " + emulated_note(report);
    }
    md += heading + "\n\n";
    std::optional<double> berth_p50;
    for (size_t i = 0; i < report.measured.size(); ++i) {
        if (report.measured[i] == SystemKind::kBerth && !per_system[i].empty()) {
            berth_p50 = summarize(per_system[i]).p50;
        }
    }
    md += "| system | runs | p50 | p90 | p99 | min | max | p50 / Berth |\n";
    md += "|---|---|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < report.measured.size(); ++i) {
        const std::string name(system_name(report.measured[i]));
        if (per_system[i].empty()) {
            md += fmt::format("| {} | 0 | - | - | - | - | - | - |\n", name);
            continue;
        }
        const Summary s = summarize(per_system[i]);
        md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", name, s.count,
                          format_value(s.p50), format_value(s.p90), format_value(s.p99),
                          format_value(s.min), format_value(s.max), ratio_text(s.p50, berth_p50));
    }
    md += "\n";
}

void append_runs_table(std::string& md, const BenchReport& report) {
    md += "## Runs\n\n| system | ok | failed | why runs failed |\n|---|---|---|---|\n";
    for (SystemKind system : report.measured) {
        int ok = 0;
        int failed = 0;
        std::vector<std::string> reasons;
        for (const RunRecord& record : report.records) {
            if (record.system != system) {
                continue;
            }
            if (record.ok) {
                ++ok;
                continue;
            }
            ++failed;
            if (std::find(reasons.begin(), reasons.end(), record.detail) == reasons.end()) {
                reasons.push_back(record.detail);
            }
        }
        std::string why;
        for (const std::string& reason : reasons) {
            why += (why.empty() ? "" : "; ") + reason;
        }
        // A pipe would end the Markdown cell.
        std::replace(why.begin(), why.end(), '|', '/');
        md += fmt::format("| {} | {} | {} | {} |\n", system_name(system), ok, failed,
                          why.empty() ? "-" : why);
    }
    if (report.failed_warmups > 0) {
        md += fmt::format("\n{} warm-up run(s) failed as well (not counted above).\n",
                          report.failed_warmups);
    }
    md += "\n";
}

// The milestones of one Berth system's measured runs, p50 first to last.
void append_system_phases(std::string& md, const BenchReport& report, SystemKind system) {
    std::map<std::string, std::vector<double>> by_name;
    size_t runs = 0;
    for (const BerthTimeline& timeline : report.timelines) {
        if (timeline.system != system || timeline.round == 0) {
            continue;  // round 0, the kernel-log run, is no measurement
        }
        ++runs;
        for (const TimingLine& entry : timeline.entries) {
            by_name[entry.name].push_back(static_cast<double>(entry.us) / 1000.0);
        }
    }
    if (runs == 0) {
        return;
    }
    std::vector<std::pair<std::string, Summary>> rows;
    rows.reserve(by_name.size());
    for (const auto& [name, values] : by_name) {
        rows.emplace_back(name, summarize(values));
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const auto& a, const auto& b) { return a.second.p50 < b.second.p50; });
    md += fmt::format("## Berth's boot timeline: {} (ms since its process started)",
                      system_name(system));
    if (report.environment.emulated) {
        md += " - " + emulated_note(report);
    }
    md += fmt::format(
        "\n\nFrom `berth run --timings` in each of the {} measured `{}` runs; the phase chart "
        "(berth-phases.svg) stacks the stretches between these milestones.\n\n",
        runs, system_name(system));
    md += "| milestone | runs | p50 | min | max |\n|---|---|---|---|---|\n";
    for (const auto& [name, s] : rows) {
        md += fmt::format("| {} | {} | {} | {} | {} |\n", name, s.count, format_value(s.p50),
                          format_value(s.min), format_value(s.max));
    }
    md += "\n";
}

void append_phases(std::string& md, const BenchReport& report) {
    for (SystemKind system : all_systems()) {
        if (is_berth(system)) {
            append_system_phases(md, report, system);
        }
    }
}

std::optional<uint64_t> time_of(const BerthTimeline& timeline, std::string_view name) {
    for (const TimingLine& entry : timeline.entries) {
        if (entry.name == name) {
            return entry.us;
        }
    }
    return std::nullopt;
}

// "1234" ms from `from` to `to` in `timeline`, or "-" when either is missing.
std::string stretch_ms(const BerthTimeline& timeline, std::string_view from, std::string_view to) {
    const std::optional<uint64_t> start = from.empty() ? 0 : time_of(timeline, from);
    const std::optional<uint64_t> end = time_of(timeline, to);
    if (!start || !end || *end < *start) {
        return "-";
    }
    return format_value(static_cast<double>(*end - *start) / 1000.0);
}

// The kernel-log runs (round 0): where one boot's time went, from Berth's
// start to the guest's init, the kernel's phases included.
void append_boot_split(std::string& md, const BenchReport& report) {
    std::vector<const BerthTimeline*> runs;
    for (const BerthTimeline& timeline : report.timelines) {
        if (timeline.round == 0) {
            runs.push_back(&timeline);
        }
    }
    if (runs.empty() && report.kernel_log_failures.empty()) {
        return;
    }
    md += "## Where a boot goes (one kernel-log run per Berth system, ms)";
    if (report.environment.emulated) {
        md += " - " + emulated_note(report);
    }
    md += fmt::format(
        "\n\nAfter the measured rounds, one more run of each Berth system with `{}` on the kernel "
        "command line: the workload then prints the kernel's log before it powers off, and Berth "
        "places the kernel's clock on its own (vmm/trace/guest_clock.h). Not counted above.\n\n",
        kKernelLogParameter);
    if (!runs.empty()) {
        md +=
            "| system | Berth's set-up (to first-kvm-run) | before the kernel's clock "
            "(decompression, early set-up) | kernel clock to init | total to init |\n"
            "|---|---|---|---|---|\n";
        for (const BerthTimeline* run : runs) {
            md += fmt::format("| {} | {} | {} | {} | {} |\n", system_name(run->system),
                              stretch_ms(*run, "", "first-kvm-run"),
                              stretch_ms(*run, "first-kvm-run", "kernel: clock-start"),
                              stretch_ms(*run, "kernel: clock-start", "guest-init-reached"),
                              stretch_ms(*run, "", "guest-init-reached"));
        }
        for (const BerthTimeline* run : runs) {
            md += fmt::format(
                "\n`{}`, every milestone:\n\n| milestone | ms | since the one before |\n"
                "|---|---|---|\n",
                system_name(run->system));
            uint64_t previous = 0;
            for (const TimingLine& entry : run->entries) {
                md += fmt::format(
                    "| {} | {} | {} |\n", entry.name,
                    format_value(static_cast<double>(entry.us) / 1000.0),
                    format_value(static_cast<double>(entry.us - std::min(entry.us, previous)) /
                                 1000.0));
                previous = std::max(previous, entry.us);
            }
        }
    }
    for (const std::string& failure : report.kernel_log_failures) {
        md += fmt::format("\nKernel-log run failed: {}\n", failure);
    }
    md += "\n";
}

void append_environment(std::string& md, const Environment& env) {
    md += "## Environment\n\n| | |\n|---|---|\n";
    md += fmt::format("| started | {} |\n", env.started_at);
    md += fmt::format("| host CPU | {} |\n", env.host_cpu);
    md += fmt::format("| host kernel | {} |\n", env.host_kernel);
    md += fmt::format("| /dev/kvm | {} |\n", env.kvm);
    md += fmt::format("| guest kernel | {} |\n", env.guest_kernel);
    for (const auto& [tool, version] : env.tools) {
        md += fmt::format("| {} | {} |\n", tool, version);
    }
    md += "\n";
}

constexpr const char* kDefinitions = R"(## What the numbers include

- Every system starts the same workload: the busybox tree of guest/build-workload, whose `/init`
  prints `berth-workload: running`, runs a fixed shell loop, prints `berth-workload: exiting` and
  powers off (VMs) or exits (containers). VMs boot the same kernel and initramfs made from that
  tree with `console=ttyS0 quiet panic=-1 reboot=k`; containers run the same tree as their root.
  `berth-vmlinux` boots that kernel uncompressed (its ELF `vmlinux`, guest/extract-vmlinux), so
  it skips the decompressor; `berth-stats` is `berth` with `--stats`.
- Start-up: from just before `fork()` of the system's process (`berth run`,
  `qemu-system-x86_64`, `runc run`, `crun run`, `docker run`) to the moment the bench read the
  `running` line from that process's stdout. Exit: to the moment the process had exited.
- CPU time: user + system time of the process and of every descendant it waited for, from
  `wait4()`. For a VMM this includes its vCPU threads, i.e. the guest's own boot. For `docker`
  it is only the client: the daemon does the work.
- Peak RSS and PSS: the largest sum over the process tree of `/proc/PID/smaps_rollup`'s Rss and
  Pss, sampled every 25 ms and when the `running` line arrived; RSS is at least `wait4()`'s
  ru_maxrss. For a VMM they include the guest memory the guest touched (booting touches much of
  it) plus the VMM's own code, heap and shared libraries (PSS counts shared pages in part).
- cgroup figures (cgroup v2 only): every run starts in a fresh cgroup, and a container's own
  cgroup is nested inside it, so `cpu.stat` usage_usec and `memory.peak` cover the runtime, the
  container and, for VMs, the VMM. `memory.peak` also counts page cache charged during the run.
- Rounds are interleaved (each round runs every system once, in an order rotated by one each
  round); warm-up rounds run first and are discarded. Percentiles interpolate between closest
  ranks (R-7, as numpy.percentile).

)";

}  // namespace

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "-";
    }
    const double magnitude = std::fabs(value);
    if (magnitude >= 100) {
        return fmt::format("{:.0f}", value);
    }
    if (magnitude >= 10) {
        return fmt::format("{:.1f}", value);
    }
    return fmt::format("{:.2f}", value);
}

std::string format_results_markdown(const BenchReport& report) {
    std::string md = "# berth bench startup\n\n";
    md += fmt::format(
        "{} measured round(s) after {} warm-up round(s), interleaved; VMs with {} vCPU(s) and "
        "{} MiB.\n\n",
        report.runs, report.warmup, report.cpus, report.memory_bytes >> 20);
    if (report.environment.emulated) {
        md +=
            "**Nested sandbox.** /dev/kvm here is KVM running inside a QEMU TCG virtual machine "
            "(scripts/kvm-sandbox): every absolute time below is emulated twice over and says "
            "nothing about real hardware. Only ratios between systems measured in this same "
            "run count.\n\n";
    }
    append_runs_table(md, report);
    for (const Metric& metric : metrics()) {
        append_metric_table(md, report, metric);
    }
    append_phases(md, report);
    append_boot_split(md, report);
    if (!report.skipped.empty()) {
        md += "## Skipped systems\n\n";
        for (const SkippedSystem& skipped : report.skipped) {
            md += fmt::format("- {}: {}\n", system_name(skipped.system), skipped.reason);
        }
        md += "\n";
    }
    md += fmt::format("## Charts\n\n{}\n\n", report.charts);
    append_environment(md, report.environment);
    md += kDefinitions;
    md +=
        "Files: runs.csv (every run), berth-timeline.csv (every Berth run's timeline), logs/ "
        "(each run's stdout and stderr).\n";
    return md;
}

std::string format_summary(const BenchReport& report) {
    std::string text = fmt::format("berth bench startup: {} round(s) after {} warm-up", report.runs,
                                   report.warmup);
    if (report.environment.emulated) {
        text += " (" + emulated_note(report) + ")";
    }
    text += "\n";
    const Metric& running = metrics()[0];
    const Metric& exited = metrics()[1];
    std::optional<double> berth_p50;
    for (SystemKind system : report.measured) {
        auto values = samples(report, system, running);
        if (system == SystemKind::kBerth && !values.empty()) {
            berth_p50 = summarize(values).p50;
        }
    }
    text += fmt::format("  {:<14}{:>5}{:>8}{:>16}{:>14}{:>17}\n", "system", "ok", "failed",
                        "p50 running ms", "p50 exit ms", "running / Berth");
    for (SystemKind system : report.measured) {
        int ok = 0;
        int failed = 0;
        for (const RunRecord& record : report.records) {
            if (record.system == system) {
                (record.ok ? ok : failed) += 1;
            }
        }
        auto running_values = samples(report, system, running);
        auto exit_values = samples(report, system, exited);
        const double running_p50 = summarize(running_values).p50;
        text +=
            fmt::format("  {:<14}{:>5}{:>8}{:>16}{:>14}{:>17}\n", system_name(system), ok, failed,
                        format_value(running_p50), format_value(summarize(exit_values).p50),
                        ratio_text(running_p50, berth_p50));
    }
    for (const SkippedSystem& skipped : report.skipped) {
        text += fmt::format("  skipped {}: {}\n", system_name(skipped.system), skipped.reason);
    }
    return text;
}

}  // namespace berth::bench
