// Starts one system's process and watches it: its stdout and stderr on
// pipes, the moment the workload's "running" line arrives, the moment it
// exits, its CPU time (wait4), and its memory sampled while it runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace berth::bench {

struct ProcessRequest {
    std::vector<std::string> argv;  // argv[0] is looked up on PATH
    // Text whose first appearance on stdout marks "running"; empty: none.
    std::string running_marker;
    std::chrono::milliseconds timeout{60'000};
    // When >= 0: an open cgroup.procs file; the child writes "0" to it (moving
    // itself) before exec, so that everything it starts is in that cgroup.
    int cgroup_procs_fd = -1;
    // When >= 0: that cgroup's open cgroup.kill, written when the bench is
    // interrupted (stop_children_on_signals) while this request runs.
    int cgroup_kill_fd = -1;
    // Memory samples while it runs (smaps_rollup of the process tree); off
    // for quick helper commands.
    bool sample_memory = true;
};

struct ProcessOutcome {
    bool started = false;              // fork and exec worked
    std::string start_error;           // why not
    bool timed_out = false;            // killed (its process group) at the timeout
    bool left_behind = false;          // ...and still there a minute after SIGKILL
    int exit_code = -1;                // exit status, or 128 + signal number
    std::optional<double> running_ms;  // spawn -> marker read
    double exit_ms = 0;                // spawn -> exit seen
    double cpu_ms = 0;                 // ru_utime + ru_stime from wait4
    uint64_t max_rss_kib = 0;          // wait4's ru_maxrss: the largest process
    uint64_t peak_tree_rss_kib = 0;    // sampled: largest sum over the tree
    uint64_t peak_tree_pss_kib = 0;
    int memory_samples = 0;
    std::string out;  // stdout and stderr, the first kMaxCapture bytes each
    std::string err;
};

// Keeps this much of each stream (a booting guest's console is far less).
inline constexpr size_t kMaxCapture = 1 << 20;

// Runs the request to its end (or timeout) and returns what was measured.
// stdin is /dev/null; the child leads a new process group, which a timeout
// kills with SIGKILL.
ProcessOutcome run_process(const ProcessRequest& request);

// From now on the first SIGINT, SIGTERM or SIGHUP kills whatever
// run_process() is running (its process group, and its cgroup when it has
// one) and is remembered, so that the caller can clean up (a container
// runtime killed this way leaves its container behind) and stop; a second
// one ends this process at once. The child leads a process group of its
// own, so a Ctrl-C on the terminal would not reach it otherwise.
void stop_children_on_signals();

// The signal that interrupted the bench, or 0.
int interrupting_signal();

// Runs a short helper command and returns its stdout, or nullopt when it
// could not start, failed or took longer than `timeout`.
std::optional<std::string> capture_stdout(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout);

}  // namespace berth::bench
