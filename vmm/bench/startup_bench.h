// `berth bench startup`: start the workload with every system, interleaved,
// many times; write runs.csv, berth-timeline.csv, results.md and the charts
// to the output folder; summarise on stdout.
#pragma once

#include "vmm/bench/startup_options.h"

namespace berth::bench {

// Exit status: 0 when every measured run was ok, 1 when some failed or no
// system could run at all (the results are written either way). Mistakes in
// the options or missing inputs throw UserError before anything runs.
int run_startup_bench(const StartupOptions& options);

}  // namespace berth::bench
