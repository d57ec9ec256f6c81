// A fresh cgroup v2 per run, so that a run's CPU time and peak memory cover
// everything it started: the VMM, or the container runtime and the container
// (whose own cgroup the bench nests inside the run's), and so that a run
// that times out can be killed whole (cgroup.kill).
//
//   /sys/fs/cgroup/berth-bench-<pid>/           one per bench, cpu memory pids
//       run-<n>/                                one per run: the figures
//           launcher/                           the process the bench spawns
//           container/                          a container's cgroupsPath
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "vmm/common/unique_fd.h"

namespace berth::bench {

enum class CgroupMode {
    kNone,     // nothing mounted at /sys/fs/cgroup
    kLegacy,   // cgroup v1 controllers only
    kHybrid,   // cgroup v1 controllers and a v2 hierarchy at /sys/fs/cgroup/unified
    kUnified,  // cgroup v2 at /sys/fs/cgroup
};

CgroupMode cgroup_mode();

class RunCgroup;

class BenchCgroup {
public:
    // Makes the bench's cgroup, or returns null and says why not (no cgroup
    // v2, not root, no memory controller...).
    static std::unique_ptr<BenchCgroup> create(std::string& why_not);
    ~BenchCgroup();
    BenchCgroup(const BenchCgroup&) = delete;
    BenchCgroup& operator=(const BenchCgroup&) = delete;

    // A new run-<n> cgroup; null when it cannot be made.
    std::unique_ptr<RunCgroup> start_run(int n);
    const std::string& name() const { return name_; }  // "berth-bench-<pid>"

private:
    explicit BenchCgroup(std::string name) : name_(std::move(name)) {}
    std::string name_;
};

class RunCgroup {
public:
    ~RunCgroup();  // kills what is left and removes the cgroups
    RunCgroup(const RunCgroup&) = delete;
    RunCgroup& operator=(const RunCgroup&) = delete;

    // cgroup.procs of launcher/, for ProcessRequest::cgroup_procs_fd.
    int launcher_procs_fd() const { return launcher_procs_.get(); }
    // The container's cgroupsPath (from the cgroup root): "/berth-bench-<pid>/run-<n>/container".
    std::string container_path() const;
    // cpu.stat usage_usec and memory.peak of run-<n>, children included.
    std::optional<double> cpu_ms() const;
    std::optional<uint64_t> peak_kib() const;
    // Kills every process left in run-<n> (cgroup.kill, Linux 5.14).
    void kill_all() const;
    // run-<n>/cgroup.kill, open for writing (-1 when the kernel lacks it),
    // for ProcessRequest::cgroup_kill_fd.
    int kill_fd() const { return kill_.get(); }

private:
    friend class BenchCgroup;
    RunCgroup(std::string relative, UniqueFd launcher_procs, UniqueFd kill)
        : relative_(std::move(relative)),
          launcher_procs_(std::move(launcher_procs)),
          kill_(std::move(kill)) {}
    std::string relative_;  // "berth-bench-<pid>/run-<n>"
    UniqueFd launcher_procs_;
    UniqueFd kill_;
};

// The usage_usec value of a cpu.stat text, in ms.
std::optional<double> parse_cpu_stat_ms(std::string_view text);

}  // namespace berth::bench
