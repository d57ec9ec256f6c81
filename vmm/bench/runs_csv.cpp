#include "vmm/bench/runs_csv.h"

#include <fmt/format.h>

namespace berth::bench {
namespace {

std::string number(const std::optional<double>& value) {
    return value ? fmt::format("{:.3f}", *value) : std::string();
}

std::string number(const std::optional<uint64_t>& value) {
    return value ? fmt::format("{}", *value) : std::string();
}

}  // namespace

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(text);
    }
    std::string quoted = "\"";
    for (char c : text) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    quoted += '"';
    return quoted;
}

std::string format_runs_csv(std::span<const RunRecord> records) {
    std::string csv =
        "system,round,position,status,wall_running_ms,wall_exit_ms,cpu_ms,rss_kib,pss_kib,"
        "cgroup_cpu_ms,cgroup_peak_kib,detail\n";
    for (const RunRecord& r : records) {
        csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", system_name(r.system), r.round,
                           r.position, r.ok ? "ok" : "failed", number(r.wall_running_ms),
                           number(r.wall_exit_ms), number(r.cpu_ms), number(r.rss_kib),
                           number(r.pss_kib), number(r.cgroup_cpu_ms), number(r.cgroup_peak_kib),
                           csv_field(r.detail));
    }
    return csv;
}

std::string format_timeline_csv(std::span<const BerthTimeline> timelines) {
    std::string csv = "system,round,name,us\n";
    for (const BerthTimeline& timeline : timelines) {
        for (const TimingLine& entry : timeline.entries) {
            csv += fmt::format("{},{},{},{}\n", system_name(timeline.system), timeline.round,
                               csv_field(entry.name), entry.us);
        }
    }
    return csv;
}

}  // namespace berth::bench
