#include "vmm/bench/startup_bench.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "vmm/bench/availability.h"
#include "vmm/bench/cgroup.h"
#include "vmm/bench/charts.h"
#include "vmm/bench/environment.h"
#include "vmm/bench/launch.h"
#include "vmm/bench/oci_bundle.h"
#include "vmm/bench/process_runner.h"
#include "vmm/bench/results_markdown.h"
#include "vmm/bench/run_judgement.h"
#include "vmm/bench/runs_csv.h"
#include "vmm/bench/schedule.h"
#include "vmm/bench/timings.h"
#include "vmm/common/error.h"

namespace berth::bench {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw SystemError("writing " + path.string(), errno);
    }
}

// The repository this berth was built in: <repo>/build/berth, or any build
// folder one level down, as with meson's build directories.
fs::path repository_of(const fs::path& executable) {
    return executable.parent_path().parent_path();
}

std::string timestamp_for_folder() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm local{};
    localtime_r(&now, &local);
    char text[32];
    std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &local);
    return text;
}

// argv as a shell would take it back, for the logs: words with spaces or
// quotes in single quotes.
std::string shell_words(const std::vector<std::string>& argv) {
    std::string line;
    for (const std::string& arg : argv) {
        line += line.empty() ? "" : " ";
        if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos) {
            line += arg;
            continue;
        }
        line += '\'';
        for (char c : arg) {
            line += c == '\'' ? std::string("'\\''") : std::string(1, c);
        }
        line += '\'';
    }
    return line;
}

void require_file(const fs::path& path, const std::string& what, const std::string& fix) {
    if (!fs::is_regular_file(path)) {
        throw UserError(fmt::format("{} {} not found: {}", what, path.string(), fix));
    }
}

// Everything one bench invocation works with.
struct Bench {
    StartupOptions options;
    fs::path repo;
    fs::path out;
    fs::path workload;
    LaunchContext launch;
    std::string bundle_template;  // the workload's config.json
    std::unique_ptr<BenchCgroup> cgroups;
    std::string cgroups_missing;  // why there are none
    BenchReport report;
    int runs_done = 0;
    int runs_total = 0;
    int failures = 0;
    bool progress_on_tty = false;
};

void progress(Bench& bench, const std::string& line) {
    if (bench.progress_on_tty) {
        std::fprintf(stderr, "\r\033[K%s", line.c_str());
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

// Keeps a finished run's stdout and stderr (after its command line) in
// logs/LABEL.out and .err, and counts it done.
void record_outcome(Bench& bench, const std::string& label, const ProcessRequest& request,
                    const ProcessOutcome& outcome) {
    write_text(bench.out / "logs" / (label + ".out"), outcome.out);
    write_text(bench.out / "logs" / (label + ".err"),
               fmt::format("$ {}\n{}", shell_words(request.argv), outcome.err));
    ++bench.runs_done;
}

// Starts one run of `system` and turns what happened into a record.
RunRecord run_once(Bench& bench, SystemKind system, int round_index, int position) {
    const int warmup = bench.options.warmup;
    const bool is_warmup = round_index < warmup;
    const int round = is_warmup ? round_index + 1 : round_index - warmup + 1;
    const std::string label =
        fmt::format("{}{:02d}-{}", is_warmup ? "warmup" : "round", round, system_name(system));
    const std::string id = fmt::format("berth-bench-{}-{}", ::getpid(), bench.runs_done + 1);

    std::unique_ptr<RunCgroup> cgroup;
    if (bench.cgroups) {
        cgroup = bench.cgroups->start_run(bench.runs_done + 1);
    }
    LaunchContext launch = bench.launch;
    if (system == SystemKind::kRunc || system == SystemKind::kCrun) {
        launch.bundle = (bench.out / "bundles" / system_name(system)).string();
        launch.runtime_root =
            (bench.out / "bundles" / (std::string(system_name(system)) + "-state")).string();
        fs::create_directories(launch.bundle);
        std::optional<std::string> cgroups_path;
        if (cgroup) {
            cgroups_path = cgroup->container_path();
        }
        write_text(fs::path(launch.bundle) / "config.json",
                   adapt_oci_config(bench.bundle_template, (bench.workload / "rootfs").string(),
                                    cgroups_path));
    }

    ProcessRequest request;
    request.argv = launch_command(system, launch, id);
    request.running_marker = std::string(kRunningMarker);
    request.timeout = std::chrono::minutes(bench.options.run_timeout_minutes);
    request.cgroup_procs_fd = cgroup ? cgroup->launcher_procs_fd() : -1;
    request.cgroup_kill_fd = cgroup ? cgroup->kill_fd() : -1;

    progress(bench, fmt::format("bench: [{}/{}] {} {}/{}: {} ...", bench.runs_done + 1,
                                bench.runs_total, is_warmup ? "warm-up" : "round", round,
                                is_warmup ? warmup : bench.options.runs, system_name(system)));
    const ProcessOutcome outcome = run_process(request);

    CgroupFigures figures;
    if (cgroup) {
        cgroup->kill_all();  // whatever a failed run left behind
        figures = {cgroup->cpu_ms(), cgroup->peak_kib()};
    }
    RunRecord record = judge_run(system, round, position, outcome, figures);
    if (!record.ok || interrupting_signal() != 0) {
        const auto cleanup = cleanup_command(system, launch, id);
        if (!cleanup.empty()) {
            capture_stdout(cleanup, std::chrono::seconds(30));
        }
    }
    cgroup.reset();  // removes the run's cgroups before the next run starts

    record_outcome(bench, label, request, outcome);
    if (!record.ok) {
        ++bench.failures;
    }
    progress(bench, fmt::format("bench: [{}/{}] {} {}/{}: {} {} ({} failed so far)",
                                bench.runs_done, bench.runs_total, is_warmup ? "warm-up" : "round",
                                round, is_warmup ? warmup : bench.options.runs, system_name(system),
                                record.ok ? fmt::format("running after {} ms, exited after {} ms",
                                                        format_value(*record.wall_running_ms),
                                                        format_value(*record.wall_exit_ms))
                                          : "FAILED: " + record.detail,
                                bench.failures));
    if (is_berth(system) && record.ok && !is_warmup) {  // the phase chart's runs
        bench.report.timelines.push_back({system, round, parse_timings(outcome.err)});
    }
    return record;
}

// One more run of a Berth system after the measured rounds, with berth.kmsg:
// the workload prints the kernel's log at its end, so the kernel's own
// milestones, and where its clock started, join the host's timeline. Not a
// measurement: it only adds the round-0 timeline (and its logs).
void run_with_kernel_log(Bench& bench, SystemKind system) {
    LaunchContext launch = bench.launch;
    launch.kernel_log = true;
    ProcessRequest request;
    request.argv = launch_command(system, launch, "");
    request.running_marker = std::string(kRunningMarker);
    request.timeout = std::chrono::minutes(bench.options.run_timeout_minutes);
    progress(bench, fmt::format("bench: [{}/{}] kernel-log run: {} ...", bench.runs_done + 1,
                                bench.runs_total, system_name(system)));
    const ProcessOutcome outcome = run_process(request);
    const std::string label = fmt::format("kernel-log-{}", system_name(system));
    record_outcome(bench, label, request, outcome);

    const RunRecord record = judge_run(system, 0, 0, outcome, CgroupFigures{});
    std::vector<TimingLine> entries = parse_timings(outcome.err);
    std::vector<TimingLine> kernel = parse_kernel_timings(outcome.err);
    std::string failure;
    if (!record.ok) {
        failure = record.detail;
    } else if (kernel.empty()) {
        failure = "no guest kernel timeline in its --timings (did the workload print dmesg?)";
    }
    progress(bench,
             fmt::format("bench: [{}/{}] kernel-log run: {} {}", bench.runs_done, bench.runs_total,
                         system_name(system),
                         failure.empty() ? fmt::format("ok, {} kernel milestones", kernel.size())
                                         : "FAILED: " + failure));
    if (!failure.empty()) {
        bench.report.kernel_log_failures.push_back(
            fmt::format("{}: {}", system_name(system), failure));
        return;
    }
    entries.insert(entries.end(), kernel.begin(), kernel.end());
    std::stable_sort(entries.begin(), entries.end(),
                     [](const TimingLine& a, const TimingLine& b) { return a.us < b.us; });
    bench.report.timelines.push_back({system, 0, std::move(entries)});
}

// The Berth systems that get a kernel-log run: berth-stats would only repeat berth's.
bool gets_kernel_log_run(SystemKind system) {
    return system == SystemKind::kBerth || system == SystemKind::kBerthVmlinux;
}

void write_outputs(Bench& bench) {
    write_text(bench.out / "runs.csv", format_runs_csv(bench.report.records));
    write_text(bench.out / "berth-timeline.csv", format_timeline_csv(bench.report.timelines));
    // The chart script puts this under its titles.
    write_text(bench.out / "chart-note.txt",
               bench.report.environment.emulated
                   ? "nested sandbox (KVM inside QEMU TCG): absolute times are emulated, only "
                     "ratios count\n"
                   : "");
}

}  // namespace

int run_startup_bench(const StartupOptions& options) {
    check_startup_options(options);
    Bench bench;
    bench.options = options;
    std::error_code error;
    const fs::path self = fs::read_symlink("/proc/self/exe", error);
    if (error) {
        throw SystemError("reading /proc/self/exe", error.value());
    }
    bench.repo = repository_of(self);
    const fs::path kernel =
        options.kernel.empty() ? bench.repo / "build/guest/vmlinuz" : fs::absolute(options.kernel);
    const fs::path vmlinux =
        options.vmlinux.empty() ? kernel.parent_path() / "vmlinux" : fs::absolute(options.vmlinux);
    bench.workload =
        options.workload.empty() ? bench.repo / "build/workload" : fs::absolute(options.workload);
    bench.out = options.out_dir.empty()
                    ? bench.repo / "build/bench" / ("startup-" + timestamp_for_folder())
                    : fs::absolute(options.out_dir);

    // --- Which systems can run --------------------------------------------------
    const HostFacts facts = probe_host(options.systems);
    for (SystemKind system : options.systems) {
        std::optional<std::string> reason = skip_reason(system, facts);
        if (!reason && system == SystemKind::kBerthVmlinux && !fs::is_regular_file(vmlinux)) {
            reason = fmt::format(
                "no uncompressed kernel at {} (guest/extract-vmlinux makes one; or give --vmlinux)",
                vmlinux.string());
        }
        if (reason) {
            bench.report.skipped.push_back({system, *reason});
        } else {
            bench.report.measured.push_back(system);
        }
    }
    bool any_vm = false;
    bool any_container = false;
    for (SystemKind system : bench.report.measured) {
        (is_vm(system) ? any_vm : any_container) = true;
    }
    const std::string build_workload = "run guest/build-workload";
    require_file(bench.workload / "rootfs/init", "the workload's", build_workload);
    if (any_vm) {
        require_file(kernel, "the guest kernel", "run guest/build-guest, or give --kernel");
        require_file(bench.workload / "initrd.img", "the workload's initramfs", build_workload);
    }
    if (any_container) {
        require_file(bench.workload / "bundle/config.json", "the workload's OCI config",
                     build_workload);
        bench.bundle_template = read_text(bench.workload / "bundle/config.json");
        adapt_oci_config(bench.bundle_template, "/", std::nullopt);  // refuses a foreign file now
    }

    fs::create_directories(bench.out / "logs", error);
    if (error) {
        throw UserError(
            fmt::format("--out {}: cannot create it: {}", bench.out.string(), error.message()));
    }

    // --- The set-up every run shares ---------------------------------------------
    bench.launch.berth = self.string();
    bench.launch.kernel = kernel.string();
    bench.launch.vmlinux = vmlinux.string();
    bench.launch.initrd = (bench.workload / "initrd.img").string();
    bench.launch.cpus = options.cpus;
    bench.launch.memory_mib = options.memory_bytes >> 20;
    bench.launch.timeout_seconds = options.run_timeout_minutes * 60;
    for (const char* dir : {"/usr/share/seabios", "/usr/share/qemu"}) {
        if (fs::is_directory(dir)) {
            bench.launch.qemu_firmware_dirs.emplace_back(dir);
        }
    }
    bench.launch.no_pivot = root_is_initramfs(read_text("/proc/mounts"));
    bench.cgroups = BenchCgroup::create(bench.cgroups_missing);

    BenchReport& report = bench.report;
    report.runs = options.runs;
    report.warmup = options.warmup;
    report.cpus = options.cpus;
    report.memory_bytes = options.memory_bytes;
    report.environment = collect_environment(kernel.string());
    if (!bench.cgroups) {
        report.environment.tools.emplace_back("cgroup figures", "none: " + bench.cgroups_missing);
    }
    // One line rewritten in place on a terminal; whole lines elsewhere,
    // including the sandbox, whose stderr is a serial port (a tty) that
    // ends up in a file.
    const char* in_sandbox = std::getenv("BERTH_IN_SANDBOX");
    bench.progress_on_tty = ::isatty(STDERR_FILENO) == 1 &&
                            (in_sandbox == nullptr || std::string_view(in_sandbox) != "1");
    const int rounds = options.warmup + options.runs;
    bench.runs_total = rounds * static_cast<int>(report.measured.size()) +
                       static_cast<int>(std::count_if(report.measured.begin(),
                                                      report.measured.end(), gets_kernel_log_run));
    fmt::print(stderr, "bench: {} system(s), {} warm-up + {} measured round(s); output in {}\n",
               report.measured.size(), options.warmup, options.runs, bench.out.string());
    for (const SkippedSystem& skipped : report.skipped) {
        fmt::print(stderr, "bench: skipping {}: {}\n", system_name(skipped.system), skipped.reason);
    }

    // --- The rounds --------------------------------------------------------------
    // A Ctrl-C must not leave a VM or container running behind the bench.
    stop_children_on_signals();
    for (int round = 0; round < rounds && interrupting_signal() == 0; ++round) {
        const auto order = round_order(report.measured, round);
        for (size_t i = 0; i < order.size() && interrupting_signal() == 0; ++i) {
            RunRecord record = run_once(bench, order[i], round, static_cast<int>(i) + 1);
            if (interrupting_signal() != 0) {
                break;  // the interrupted run is no measurement
            }
            if (round < options.warmup) {
                report.failed_warmups += record.ok ? 0 : 1;
            } else {
                report.records.push_back(std::move(record));
            }
        }
    }
    for (SystemKind system : report.measured) {
        if (gets_kernel_log_run(system) && interrupting_signal() == 0) {
            run_with_kernel_log(bench, system);
        }
    }
    if (bench.progress_on_tty) {
        std::fprintf(stderr, "\n");
    }
    fs::remove_all(bench.out / "bundles", error);
    if (const int signal_number = interrupting_signal()) {
        write_outputs(bench);
        fmt::print(stderr, "bench: interrupted; the {} finished run(s) are in {}/runs.csv\n",
                   report.records.size(), bench.out.string());
        return 128 + signal_number;
    }

    // --- Results -----------------------------------------------------------------
    write_outputs(bench);
    if (report.measured.empty()) {
        report.charts = "No charts: no system could run.";
    } else {
        report.charts = draw_charts(bench.repo.string(), bench.out.string()).text;
    }
    write_text(bench.out / "results.md", format_results_markdown(report));
    fmt::print("{}", format_summary(report));
    fmt::print("results: {}/results.md (tables), runs.csv, berth-timeline.csv, logs/\n",
               bench.out.string());
    fmt::print("charts: {}\n", report.charts);
    std::fflush(stdout);
    int failed = 0;
    for (const RunRecord& record : report.records) {
        failed += record.ok ? 0 : 1;
    }
    return report.measured.empty() || failed > 0 ? 1 : 0;
}

}  // namespace berth::bench
