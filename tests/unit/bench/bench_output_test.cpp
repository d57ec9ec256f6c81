// runs.csv, berth-timeline.csv, results.md and the stdout summary, from
// fixed records: what `berth bench startup` writes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "vmm/bench/results_markdown.h"
#include "vmm/bench/runs_csv.h"

namespace berth::bench {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

RunRecord ok_run(SystemKind system, int round, double running, double exit, uint64_t rss) {
    RunRecord r;
    r.system = system;
    r.round = round;
    r.position = 1;
    r.ok = true;
    r.wall_running_ms = running;
    r.wall_exit_ms = exit;
    r.cpu_ms = running / 2;
    r.rss_kib = rss;
    r.pss_kib = rss - 1024;
    return r;
}

RunRecord failed_run(SystemKind system, int round, std::string detail) {
    RunRecord r;
    r.system = system;
    r.round = round;
    r.position = 2;
    r.detail = std::move(detail);
    return r;
}

TEST(CsvField, QuotesOnlyWhenNeeded) {
    EXPECT_EQ(csv_field("plain text"), "plain text");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
    EXPECT_EQ(csv_field(""), "");
}

TEST(FormatRunsCsv, OneLinePerRunEmptyFieldsForUnmeasured) {
    RunRecord berth = ok_run(SystemKind::kBerth, 1, 9610.1234, 9800.5, 524288);
    berth.cgroup_cpu_ms = 9700.25;
    berth.cgroup_peak_kib = 530000;
    const std::vector<RunRecord> records = {
        berth,
        failed_run(SystemKind::kRunc, 1, "exit status 1: runc: error, \"oops\""),
    };
    EXPECT_EQ(format_runs_csv(records),
              "system,round,position,status,wall_running_ms,wall_exit_ms,cpu_ms,rss_kib,pss_kib,"
              "cgroup_cpu_ms,cgroup_peak_kib,detail\n"
              "berth,1,1,ok,9610.123,9800.500,4805.062,524288,523264,9700.250,530000,\n"
              "runc,1,2,failed,,,,,,,,\"exit status 1: runc: error, \"\"oops\"\"\"\n");
    EXPECT_EQ(format_runs_csv({}).find('\n'), format_runs_csv({}).size() - 1);  // header only
}

TEST(FormatTimelineCsv, OneLinePerEntry) {
    const std::vector<BerthTimeline> timelines = {
        {SystemKind::kBerth, 1, {{"kvm-ready", 2000}, {"guest-init-reached", 1500000}}},
        {SystemKind::kBerthVmlinux, 2, {{"virtio-net DRIVER_OK, eth0", 7}}},
    };
    EXPECT_EQ(format_timeline_csv(timelines),
              "system,round,name,us\nberth,1,kvm-ready,2000\nberth,1,guest-init-reached,1500000\n"
              "berth-vmlinux,2,\"virtio-net DRIVER_OK, eth0\",7\n");
}

TEST(FormatValue, DigitsFollowTheMagnitude) {
    EXPECT_EQ(format_value(12345.6), "12346");
    EXPECT_EQ(format_value(123.45), "123");
    EXPECT_EQ(format_value(12.345), "12.3");
    EXPECT_EQ(format_value(1.2345), "1.23");
    EXPECT_EQ(format_value(0), "0.00");
    EXPECT_EQ(format_value(std::nan("")), "-");
}

BenchReport sample_report() {
    BenchReport report;
    report.runs = 4;
    report.warmup = 1;
    report.cpus = 1;
    report.memory_bytes = 512ull << 20;
    report.environment.started_at = "2026-11-28 20:00 UTC";
    report.environment.host_cpu = "AMD EPYC-v3, 2 CPUs online";
    report.environment.host_kernel = "Linux 6.1.0-56-cloud-amd64 (x86_64)";
    report.environment.kvm = "nested sandbox: KVM inside QEMU TCG";
    report.environment.emulated = true;
    report.environment.guest_kernel = "6.1.0-56-cloud-amd64";
    report.environment.tools = {{"qemu", "QEMU emulator version 7.2.19"},
                                {"docker", "not installed"}};
    report.measured = {SystemKind::kBerth, SystemKind::kQemuMicrovm, SystemKind::kRunc};
    report.skipped = {{SystemKind::kDocker, "docker is not installed"}};
    // Berth: 1000, 2000, 3000, 4000 ms -> p50 2500, p90 3700, p99 3970.
    for (int i = 1; i <= 4; ++i) {
        report.records.push_back(
            ok_run(SystemKind::kBerth, i, 1000.0 * i, 1000.0 * i + 100, 200 << 10));
    }
    // QEMU microvm: twice Berth's times.
    for (int i = 1; i <= 4; ++i) {
        report.records.push_back(
            ok_run(SystemKind::kQemuMicrovm, i, 2000.0 * i, 2000.0 * i + 100, 300 << 10));
    }
    // runc: three ok runs of 250 ms and one that failed.
    for (int i = 1; i <= 3; ++i) {
        report.records.push_back(ok_run(SystemKind::kRunc, i, 250, 300, 10 << 10));
    }
    report.records.push_back(failed_run(SystemKind::kRunc, 4, "exit status 1: a|b"));
    report.timelines = {
        {SystemKind::kBerth,
         1,
         {{"kvm-ready", 2000}, {"guest-init-reached", 900000}, {"vm-stopped", 1000000}}},
        {SystemKind::kBerth,
         2,
         {{"kvm-ready", 4000}, {"guest-init-reached", 1100000}, {"vm-stopped", 1200000}}},
    };
    report.failed_warmups = 1;
    report.charts = "startup.svg and berth-phases.svg.";
    return report;
}

TEST(FormatResultsMarkdown, PercentilesAndRatiosToBerth) {
    const std::string md = format_results_markdown(sample_report());
    EXPECT_THAT(md, HasSubstr("| system | runs | p50 | p90 | p99 | min | max | p50 / Berth |\n"
                              "|---|---|---|---|---|---|---|---|\n"
                              "| berth | 4 | 2500 | 3700 | 3970 | 1000 | 4000 | 1.00x |\n"
                              "| qemu-microvm | 4 | 5000 | 7400 | 7940 | 2000 | 8000 | 2.00x |\n"
                              "| runc | 3 | 250 | 250 | 250 | 250 | 250 | 0.10x |\n"));
    // Memory in MiB: 200 MiB for every Berth run.
    EXPECT_THAT(md, HasSubstr("| berth | 4 | 200 | 200 | 200 | 200 | 200 | 1.00x |"));
}

TEST(FormatResultsMarkdown, SaysWhereItRanAndThatSandboxTimesAreEmulated) {
    const std::string md = format_results_markdown(sample_report());
    EXPECT_THAT(md, HasSubstr("## Start-up: spawn to the workload's \"running\" line (ms) - "
                              "nested sandbox: absolute times are emulated, only ratios count"));
    // Memory is not emulated: its header says nothing of the kind.
    EXPECT_THAT(md, HasSubstr("## Peak RSS of the process tree (MiB)\n"));
    EXPECT_THAT(md, HasSubstr("| host CPU | AMD EPYC-v3, 2 CPUs online |"));
    EXPECT_THAT(md, HasSubstr("| /dev/kvm | nested sandbox: KVM inside QEMU TCG |"));
    EXPECT_THAT(md, HasSubstr("| guest kernel | 6.1.0-56-cloud-amd64 |"));
    EXPECT_THAT(md, HasSubstr("| qemu | QEMU emulator version 7.2.19 |"));
    EXPECT_THAT(md, HasSubstr("- docker: docker is not installed"));
    EXPECT_THAT(md, HasSubstr("startup.svg and berth-phases.svg."));
}

TEST(FormatResultsMarkdown, RunsFailuresAndPhases) {
    const std::string md = format_results_markdown(sample_report());
    EXPECT_THAT(md, HasSubstr("| berth | 4 | 0 | - |"));
    EXPECT_THAT(md, HasSubstr("| runc | 3 | 1 | exit status 1: a/b |"));  // no stray cell
    EXPECT_THAT(md, HasSubstr("1 warm-up run(s) failed as well"));
    EXPECT_THAT(md, HasSubstr("| milestone | runs | p50 | min | max |\n|---|---|---|---|---|\n"
                              "| kvm-ready | 2 | 3.00 | 2.00 | 4.00 |\n"
                              "| guest-init-reached | 2 | 1000 | 900 | 1100 |\n"
                              "| vm-stopped | 2 | 1100 | 1000 | 1200 |\n"));
    // No run measured cgroup figures: no table for them.
    EXPECT_THAT(md, Not(HasSubstr("memory.peak (MiB)")));
}

TEST(FormatResultsMarkdown, TheKernelLogRunSplitsTheBootAndStaysOutOfTheMeasuredTables) {
    BenchReport report = sample_report();
    report.timelines.push_back({SystemKind::kBerth,
                                0,
                                {{"kvm-ready", 3000},
                                 {"first-kvm-run", 400000},
                                 {"kernel: clock-start", 1400000},
                                 {"kernel: init-started", 5000000},
                                 {"guest-init-reached", 5100000}}});
    report.kernel_log_failures = {"berth-vmlinux: exit status 1: oops"};
    const std::string md = format_results_markdown(report);
    // The measured table still counts 2 runs of kvm-ready, none of the kernel's.
    EXPECT_THAT(md, HasSubstr("| kvm-ready | 2 | 3.00 | 2.00 | 4.00 |\n"));
    const size_t split = md.find("## Where a boot goes (one kernel-log run per Berth system, ms)");
    ASSERT_NE(split, std::string::npos);
    const std::string section = md.substr(split);
    EXPECT_THAT(section, HasSubstr("| berth | 400 | 1000 | 3700 | 5100 |\n"));
    EXPECT_THAT(section, HasSubstr("| kernel: clock-start | 1400 | 1000 |\n"));
    EXPECT_THAT(section, HasSubstr("| guest-init-reached | 5100 | 100 |\n"));
    EXPECT_THAT(section, HasSubstr("Kernel-log run failed: berth-vmlinux: exit status 1: oops"));
    EXPECT_THAT(md.substr(0, split), Not(HasSubstr("kernel: ")));
}

TEST(FormatResultsMarkdown, EachBerthSystemHasItsOwnTimelineTable) {
    BenchReport report = sample_report();
    report.timelines.push_back({SystemKind::kBerthVmlinux, 1, {{"guest-init-reached", 500000}}});
    const std::string md = format_results_markdown(report);
    const size_t berth = md.find("## Berth's boot timeline: berth (");
    const size_t vmlinux = md.find("## Berth's boot timeline: berth-vmlinux (");
    ASSERT_NE(berth, std::string::npos);
    ASSERT_NE(vmlinux, std::string::npos);
    EXPECT_LT(berth, vmlinux);
    EXPECT_THAT(md.substr(berth, vmlinux - berth),
                HasSubstr("in each of the 2 measured `berth` runs"));
    // berth-vmlinux's table holds only its own run.
    EXPECT_THAT(md.substr(vmlinux), HasSubstr("| guest-init-reached | 1 | 500 | 500 | 500 |\n"));
    EXPECT_THAT(md.substr(vmlinux), Not(HasSubstr("kvm-ready")));
}

TEST(FormatResultsMarkdown, WithoutBerthThereIsNoRatio) {
    BenchReport report = sample_report();
    report.measured = {SystemKind::kRunc};
    report.skipped.insert(report.skipped.begin(), {SystemKind::kBerth, "/dev/kvm: missing"});
    report.timelines.clear();
    std::erase_if(report.records, [](const RunRecord& r) { return r.system != SystemKind::kRunc; });
    const std::string md = format_results_markdown(report);
    EXPECT_THAT(md, HasSubstr("| runc | 3 | 250 | 250 | 250 | 250 | 250 | - |"));
    EXPECT_THAT(md, Not(HasSubstr("Berth's boot timeline")));
    EXPECT_THAT(md, HasSubstr("- berth: /dev/kvm: missing"));
}

TEST(FormatSummary, FewLinesForTheTerminal) {
    EXPECT_EQ(format_summary(sample_report()),
              "berth bench startup: 4 round(s) after 1 warm-up (nested sandbox: absolute times "
              "are emulated, only ratios count)\n"
              "  system           ok  failed  p50 running ms   p50 exit ms  running / Berth\n"
              "  berth             4       0            2500          2600            1.00x\n"
              "  qemu-microvm      4       0            5000          5100            2.00x\n"
              "  runc              3       1             250           300            0.10x\n"
              "  skipped docker: docker is not installed\n");
}

}  // namespace
}  // namespace berth::bench
