// Memory of a process tree right now: the sum of /proc/PID/smaps_rollup's
// Rss and Pss over a process and all its descendants (children found through
// /proc/PID/task/TID/children).
#pragma once

#include <sys/types.h>
#include <cstdint>
#include <string_view>
#include <vector>

namespace berth::bench {

struct MemoryUse {
    uint64_t rss_kib = 0;
    uint64_t pss_kib = 0;
};

// Rss: and Pss: of one smaps_rollup text (kB); missing lines count 0.
MemoryUse parse_smaps_rollup(std::string_view text);

// `pid` and its descendants, found now (a tree that changes while it is
// walked may be missed in part: it is a sample).
std::vector<pid_t> process_tree(pid_t pid);

// The tree's summed use; processes that vanish meanwhile count 0.
MemoryUse sample_tree_memory(pid_t pid);

}  // namespace berth::bench
