// The CSV files of a bench run: every run (runs.csv) and every Berth
// run's timeline (berth-timeline.csv), which scripts/bench/startup-charts.py
// and anyone's spreadsheet read.
#pragma once

#include <span>
#include <string>

#include "vmm/bench/run_record.h"

namespace berth::bench {

// Header
//   system,round,position,status,wall_running_ms,wall_exit_ms,cpu_ms,rss_kib,
//   pss_kib,cgroup_cpu_ms,cgroup_peak_kib,detail
// then one line per record in the order given. status is "ok" or "failed";
// an unmeasured value is an empty field; times have three decimals (us);
// detail is quoted when it holds a comma, quote or line break (RFC 4180).
std::string format_runs_csv(std::span<const RunRecord> records);

// Header system,round,name,us, then one line per timeline entry.
std::string format_timeline_csv(std::span<const BerthTimeline> timelines);

// One CSV field, quoted as RFC 4180 asks when it needs to be.
std::string csv_field(std::string_view text);

}  // namespace berth::bench
