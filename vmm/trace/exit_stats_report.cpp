#include "vmm/trace/exit_stats_report.h"

#include <cerrno>
#include <fstream>
#include <span>
#include <sstream>

#include <fmt/format.h>

#include "vmm/common/error.h"
#include "vmm/trace/chrome_trace.h"

namespace berth::trace {
namespace {

constexpr size_t kKvmLineWidth = 96;

double share(uint64_t part, uint64_t whole) {
    return whole == 0 ? 0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

// "io 40000, mmio 7000": the reasons that occurred, in enum order.
std::string reasons_in_brief(const ExitStats& stats) {
    std::string text;
    for (size_t i = 0; i < kExitReasonCount; ++i) {
        const auto reason = static_cast<ExitReason>(i);
        if (stats.exits(reason) != 0) {
            text += fmt::format("{}{} {}", text.empty() ? "" : ", ", exit_reason_name(reason),
                                stats.exits(reason));
        }
    }
    return text;
}

void print_hottest(std::FILE* out, std::string_view title, const AccessCounts& counts) {
    if (counts.distinct() == 0) {
        return;
    }
    std::fprintf(out, "berth:   %-30s %10s  device  (%zu distinct)\n", std::string(title).c_str(),
                 "exits", counts.distinct());
    for (const HotAddress& hot : counts.hottest(ExitStats::kHottest)) {
        std::fprintf(out, "berth:     %-28s %10llu  %s\n",
                     fmt::format("{:#x}", hot.address).c_str(),
                     static_cast<unsigned long long>(hot.exits), hot.device.c_str());
    }
}

// "name value, name value, ..." wrapped, for the non-zero scalar stats.
void print_kvm_counters(std::FILE* out, std::string_view title, std::span<const KvmStat> stats) {
    std::fprintf(out, "berth:   %s\n", std::string(title).c_str());
    std::string line;
    for (const KvmStat& stat : stats) {
        if (stat.is_histogram() || stat.values.empty() || stat.values[0] == 0) {
            continue;
        }
        const std::string item = fmt::format("{} {}", stat.name, stat.values[0]);
        if (!line.empty() && line.size() + 2 + item.size() > kKvmLineWidth) {
            std::fprintf(out, "berth:     %s,\n", line.c_str());
            line.clear();
        }
        line += (line.empty() ? "" : ", ") + item;
    }
    std::fprintf(out, "berth:     %s\n", line.empty() ? "(all zero)" : line.c_str());
}

const KvmStat* find_stat(std::span<const KvmStat> stats, std::string_view name) {
    for (const KvmStat& stat : stats) {
        if (stat.name == name && !stat.values.empty()) {
            return &stat;
        }
    }
    return nullptr;
}

// --- JSON ----------------------------------------------------------------------

std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& item : items) {
        text += (text.empty() ? "" : ",") + item;
    }
    return text;
}

std::string histogram_json(const LatencyHistogram& histogram) {
    std::vector<std::string> buckets;
    for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) {
        if (histogram.bucket(i) != 0) {
            buckets.push_back(fmt::format(
                R"({{"low_ns":{},"high_ns":{},"count":{}}})", LatencyHistogram::bucket_low_ns(i),
                LatencyHistogram::bucket_high_ns(i), histogram.bucket(i)));
        }
    }
    const uint64_t mean = histogram.count() == 0 ? 0 : histogram.sum_ns() / histogram.count();
    return fmt::format(
        R"({{"count":{},"sum_ns":{},"min_ns":{},"max_ns":{},"mean_ns":{},"p50_ns":{},"p99_ns":{},"buckets":[{}]}})",
        histogram.count(), histogram.sum_ns(), histogram.min_ns(), histogram.max_ns(), mean,
        histogram.percentile_ns(0.50), histogram.percentile_ns(0.99), join(buckets));
}

std::string hottest_json(const AccessCounts& counts, std::string_view key) {
    std::vector<std::string> rows;
    for (const HotAddress& hot : counts.hottest(ExitStats::kHottest)) {
        rows.push_back(fmt::format(R"({{"{}":{},"device":{},"exits":{}}})", key, hot.address,
                                   json_string(hot.device), hot.exits));
    }
    return "[" + join(rows) + "]";
}

// The fields a vCPU and the total share.
std::string exit_stats_fields(const ExitStats& stats) {
    std::vector<std::string> reasons;
    for (size_t i = 0; i < kExitReasonCount; ++i) {
        const auto reason = static_cast<ExitReason>(i);
        if (stats.exits(reason) != 0) {
            reasons.push_back(fmt::format(
                R"({}:{{"exits":{},"user_time_ns":{}}})", json_string(exit_reason_name(reason)),
                stats.exits(reason), histogram_json(stats.user_time(reason))));
        }
    }
    return fmt::format(
        R"("exits":{},"kvm_run_ns":{},"user_space_ns":{},"by_reason":{{{}}},"io_ports":{},"io_ports_distinct":{},"mmio_addresses":{},"mmio_addresses_distinct":{})",
        stats.total_exits(), stats.kvm_run_ns(), stats.total_user_time().sum_ns(), join(reasons),
        hottest_json(stats.ports(), "port"), stats.ports().distinct(),
        hottest_json(stats.mmio(), "address"), stats.mmio().distinct());
}

std::string kvm_stat_json(const KvmStat& stat) {
    std::vector<std::string> values;
    for (uint64_t value : stat.values) {
        values.push_back(std::to_string(value));
    }
    return fmt::format(
        R"({{"name":{},"type":"{}","unit":"{}","base":{},"exponent":{},"bucket_size":{},"values":[{}]}})",
        json_string(stat.name), stat.type_name(), stat.unit_name(), stat.base(), stat.exponent,
        stat.bucket_size, join(values));
}

std::string kvm_stats_json(std::span<const KvmStat> stats) {
    std::vector<std::string> items;
    for (const KvmStat& stat : stats) {
        items.push_back(kvm_stat_json(stat));
    }
    return "[" + join(items) + "]";
}

std::string kvm_json(const KvmStatsReport& kvm) {
    if (!kvm.available) {
        return fmt::format(R"({{"available":false,"reason":{}}})", json_string(kvm.reason));
    }
    std::vector<std::string> vcpus;
    for (size_t i = 0; i < kvm.vcpus.size(); ++i) {
        vcpus.push_back(fmt::format(R"({{"vcpu":{},"id":{},"stats":{}}})", i,
                                    json_string(kvm.vcpus[i].id),
                                    kvm_stats_json(kvm.vcpus[i].stats)));
    }
    return fmt::format(
        R"({{"available":true,"vm":{{"id":{},"stats":{}}},"vcpus":[{}],"vcpu_total":{}}})",
        json_string(kvm.vm.id), kvm_stats_json(kvm.vm.stats), join(vcpus),
        kvm_stats_json(sum_kvm_stats(kvm.vcpus)));
}

}  // namespace

ExitStats ExitReport::total() const {
    ExitStats total;
    for (const ExitStats& vcpu : vcpus) {
        total.merge(vcpu);
    }
    return total;
}

std::string format_duration(uint64_t ns) {
    const auto value = static_cast<double>(ns);
    if (ns < 1'000) {
        return fmt::format("{} ns", ns);
    }
    if (ns < 1'000'000) {
        return fmt::format("{:.3g} us", value / 1e3);
    }
    if (ns < 1'000'000'000) {
        return fmt::format("{:.3g} ms", value / 1e6);
    }
    return fmt::format("{:.2f} s", value / 1e9);
}

void print_exit_report(const ExitReport& report, std::FILE* out) {
    const ExitStats total = report.total();
    const uint64_t exits = total.total_exits();
    std::fprintf(out, "berth: exit statistics: %llu exits to Berth in %.3f s, %zu vCPU%s\n",
                 static_cast<unsigned long long>(exits), report.vm_seconds, report.vcpus.size(),
                 report.vcpus.size() == 1 ? "" : "s");
    std::fprintf(out, "berth:   %-16s %10s %7s   user-space time per exit: %-9s %-9s %-9s %s\n",
                 "reason", "exits", "share", "p50", "p99", "max", "total");
    for (size_t i = 0; i < kExitReasonCount; ++i) {
        const auto reason = static_cast<ExitReason>(i);
        if (total.exits(reason) == 0) {
            continue;
        }
        const LatencyHistogram& time = total.user_time(reason);
        // "-": no time measured (an exit recorded without a next KVM_RUN).
        const auto duration = [&time](uint64_t ns) {
            return time.count() == 0 ? std::string("-") : format_duration(ns);
        };
        std::fprintf(out, "berth:   %-16s %10llu %6.1f%%   %26s%-9s %-9s %-9s %s\n",
                     std::string(exit_reason_name(reason)).c_str(),
                     static_cast<unsigned long long>(total.exits(reason)),
                     share(total.exits(reason), exits), "",
                     duration(time.percentile_ns(0.50)).c_str(),
                     duration(time.percentile_ns(0.99)).c_str(), duration(time.max_ns()).c_str(),
                     duration(time.sum_ns()).c_str());
    }
    if (report.vcpus.size() > 1) {
        for (size_t id = 0; id < report.vcpus.size(); ++id) {
            std::fprintf(out, "berth:   vcpu%zu: %llu exits (%s)\n", id,
                         static_cast<unsigned long long>(report.vcpus[id].total_exits()),
                         reasons_in_brief(report.vcpus[id]).c_str());
        }
    }
    const uint64_t user_ns = total.total_user_time().sum_ns();
    std::fprintf(out, "berth:   time in KVM_RUN %s, in Berth between runs %s (%.1f%%)\n",
                 format_duration(total.kvm_run_ns()).c_str(), format_duration(user_ns).c_str(),
                 share(user_ns, user_ns + total.kvm_run_ns()));
    print_hottest(out, "hottest I/O ports", total.ports());
    print_hottest(out, "hottest MMIO addresses", total.mmio());

    const DeliverySnapshot& d = report.deliveries;
    std::fprintf(out, "berth:   delivered without an exit to Berth:\n");
    std::fprintf(out,
                 "berth:     ioeventfd doorbells    %llu guest kicks in %llu wake-ups of the event "
                 "loop\n",
                 static_cast<unsigned long long>(d.ioeventfd_kicks),
                 static_cast<unsigned long long>(d.ioeventfd_wakeups));
    std::fprintf(out,
                 "berth:     MSIs (KVM_SIGNAL_MSI)  %llu delivered, %llu blocked by the guest\n",
                 static_cast<unsigned long long>(d.msi_delivered),
                 static_cast<unsigned long long>(d.msi_blocked));
    std::fprintf(out, "berth:     IRQ lines (KVM_IRQ_LINE) %llu raised, %llu lowered\n",
                 static_cast<unsigned long long>(d.irq_line_raised),
                 static_cast<unsigned long long>(d.irq_line_lowered));

    if (!report.kvm.available) {
        std::fprintf(out, "berth:   KVM's own counters: not available (%s)\n",
                     report.kvm.reason.c_str());
    } else {
        const std::vector<KvmStat> vcpu_total = sum_kvm_stats(report.kvm.vcpus);
        if (const KvmStat* kvm_exits = find_stat(vcpu_total, "exits")) {
            std::fprintf(out, "berth:   KVM saw %llu exits; %llu (%.1f%%) came out to Berth\n",
                         static_cast<unsigned long long>(kvm_exits->values[0]),
                         static_cast<unsigned long long>(exits),
                         share(exits, kvm_exits->values[0]));
        }
        print_kvm_counters(out,
                           "KVM's vCPU counters (KVM_GET_STATS_FD, summed, non-zero):", vcpu_total);
        print_kvm_counters(out, "KVM's VM counters (non-zero):", report.kvm.vm.stats);
    }
    if (report.trace) {
        std::fprintf(out, "berth:   trace: %llu lines shown, %llu exits hidden by the rate limit\n",
                     static_cast<unsigned long long>(report.trace->lines_shown),
                     static_cast<unsigned long long>(report.trace->exits_not_shown));
    }
}

void write_exit_report_json(const ExitReport& report, std::ostream& out) {
    std::vector<std::string> vcpus;
    for (size_t id = 0; id < report.vcpus.size(); ++id) {
        vcpus.push_back(
            fmt::format(R"({{"vcpu":{},{}}})", id, exit_stats_fields(report.vcpus[id])));
    }
    const DeliverySnapshot& d = report.deliveries;
    const std::string deliveries = fmt::format(
        R"({{"ioeventfd_wakeups":{},"ioeventfd_kicks":{},"msi_delivered":{},"msi_blocked":{},"irq_line_raised":{},"irq_line_lowered":{}}})",
        d.ioeventfd_wakeups, d.ioeventfd_kicks, d.msi_delivered, d.msi_blocked, d.irq_line_raised,
        d.irq_line_lowered);
    const std::string trace =
        report.trace
            ? fmt::format(
                  R"({{"lines_shown":{},"exits_not_shown":{},"lines_per_second":{},"burst":{}}})",
                  report.trace->lines_shown, report.trace->exits_not_shown,
                  report.trace->lines_per_second, report.trace->burst)
            : "null";
    out << fmt::format(
        R"({{"format":"berth-exit-stats","version":1,"vm_seconds":{:.6f},"vcpu_count":{},"total":{{{}}},"vcpus":[{}],"deliveries_without_exit":{},"kvm_stats":{},"trace":{}}})",
        report.vm_seconds, report.vcpus.size(), exit_stats_fields(report.total()), join(vcpus),
        deliveries, kvm_json(report.kvm), trace);
    out << '\n';
}

void write_exit_report_file(const std::string& path, const ExitReport& report) {
    std::ostringstream text;
    write_exit_report_json(report, text);
    std::ofstream file(path, std::ios::trunc);
    file << text.str();
    file.close();
    if (!file) {
        throw SystemError(fmt::format("writing the exit statistics to {}", path),
                          errno != 0 ? errno : EIO);
    }
}

}  // namespace berth::trace
