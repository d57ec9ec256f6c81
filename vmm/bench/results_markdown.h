// results.md and the summary on stdout: a table per metric with p50, p90,
// p99, min and max per system and the ratio to Berth, Berth's boot phases,
// the environment, the skipped systems and what each number includes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vmm/bench/environment.h"
#include "vmm/bench/run_record.h"
#include "vmm/bench/system.h"

namespace berth::bench {

struct SkippedSystem {
    SystemKind system = SystemKind::kBerth;
    std::string reason;  // "not installed (apt-get install runc)", ...
};

// Everything a report is made from; formatting it reads no clock and no
// file, so that tests can pin its output.
struct BenchReport {
    int runs = 0;
    int warmup = 0;
    int cpus = 1;
    uint64_t memory_bytes = 0;
    Environment environment;
    std::vector<SystemKind> measured;  // the systems that ran, in table order
    std::vector<SkippedSystem> skipped;
    std::vector<RunRecord> records;
    std::vector<BerthTimeline> timelines;          // measured runs, then kernel-log runs (round 0)
    std::vector<std::string> kernel_log_failures;  // "berth: exit status 1: ...", one per failure
    int failed_warmups = 0;
    std::string charts;  // which charts were drawn, or why none
};

std::string format_results_markdown(const BenchReport& report);

// A few lines for the terminal: runs per system, start-up p50s and their
// ratio to Berth, skipped systems.
std::string format_summary(const BenchReport& report);

// A number for a table: no more digits than the measurement deserves
// (12345, 123, 12.3, 1.23).
std::string format_value(double value);

}  // namespace berth::bench
