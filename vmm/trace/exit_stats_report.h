// What `berth run --stats` prints when the VM stops, and what
// `--stats-json FILE` writes (schema: docs/exit-stats.schema.json; the
// numbers are explained in docs/exit-observatory.md).
#pragma once

#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "vmm/trace/exit_deliveries.h"
#include "vmm/trace/exit_stats.h"
#include "vmm/trace/kvm_binary_stats.h"

namespace berth::trace {

// KVM's binary statistics, or why there are none.
struct KvmStatsReport {
    bool available = false;
    std::string reason;  // when not available, e.g. "KVM_CAP_BINARY_STATS_FD is missing"
    KvmStatsSet vm;
    std::vector<KvmStatsSet> vcpus;  // by vCPU id
};

struct TraceSummary {
    uint64_t lines_shown = 0;
    uint64_t exits_not_shown = 0;  // hidden by the rate limit
    double lines_per_second = 0;
    double burst = 0;
};

struct ExitReport {
    double vm_seconds = 0;         // from starting the vCPUs to the last one stopping
    std::vector<ExitStats> vcpus;  // by vCPU id
    DeliverySnapshot deliveries;
    KvmStatsReport kvm;
    std::optional<TraceSummary> trace;  // with --trace-exits

    ExitStats total() const;
};

// Nanoseconds for people: "850 ns", "4.1 us", "1.25 ms", "3.40 s".
std::string format_duration(uint64_t ns);

void print_exit_report(const ExitReport& report, std::FILE* out);
void write_exit_report_json(const ExitReport& report, std::ostream& out);
// The same to the file `path`, replacing it; throws SystemError naming it.
void write_exit_report_file(const std::string& path, const ExitReport& report);

}  // namespace berth::trace
