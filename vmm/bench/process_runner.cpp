#include "vmm/bench/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "vmm/bench/memory_sample.h"
#include "vmm/common/unique_fd.h"

namespace berth::bench {
namespace {

using Clock = std::chrono::steady_clock;

// How often memory is sampled while a process runs. Reading smaps_rollup
// walks the page tables of a VMM with hundreds of MiB mapped: often enough
// to catch a short-lived container, not so often that the sampling itself
// competes with the system measured.
constexpr std::chrono::milliseconds kSampleInterval{25};
// After the process exits, how long its pipes may stay open (held by a
// descendant) before the bench stops reading them.
constexpr std::chrono::milliseconds kDrainGrace{2000};
// After the SIGKILL at the timeout, how long the bench waits for the process
// to go before leaving it behind: a process stuck in the kernel (a nested
// hypervisor that lost a CPU) may never die, and the bench must still end.
constexpr std::chrono::seconds kKillGrace{60};

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

double timeval_ms(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1000.0 + static_cast<double>(tv.tv_usec) / 1000.0;
}

// What the child reports through the exec pipe when it cannot exec.
struct ChildFailure {
    int stage;  // 0: cgroup.procs, 1: exec
    int error;
};

// Reads what is there; returns false at end of file (or error).
bool read_some(int fd, std::string& into) {
    char buffer[16384];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return true;
    }
    if (n <= 0) {
        return false;
    }
    const size_t room = kMaxCapture > into.size() ? kMaxCapture - into.size() : 0;
    into.append(buffer, std::min(room, static_cast<size_t>(n)));
    return true;
}

// What the signal handler kills: the running child's process group and
// cgroup (0 and -1 when nothing runs).
volatile sig_atomic_t running_group = 0;
volatile sig_atomic_t running_cgroup_kill = -1;
volatile sig_atomic_t interrupted_by = 0;

void stop_child(int signal_number) {
    interrupted_by = signal_number;
    const pid_t group = running_group;
    if (group > 0) {
        ::kill(-group, SIGKILL);
    }
    const int cgroup_kill = running_cgroup_kill;
    if (cgroup_kill >= 0) {
        [[maybe_unused]] ssize_t ignored = ::write(cgroup_kill, "1", 1);
    }
    // A second signal ends the bench as it would have without the handler.
    ::signal(signal_number, SIG_DFL);
}

[[noreturn]] void child_fail(int report_fd, int stage) {
    const ChildFailure failure{stage, errno};
    [[maybe_unused]] ssize_t ignored = ::write(report_fd, &failure, sizeof failure);
    _exit(127);
}

}  // namespace

ProcessOutcome run_process(const ProcessRequest& request) {
    ProcessOutcome outcome;
    if (request.argv.empty()) {
        outcome.start_error = "no command";
        return outcome;
    }
    // Everything the child needs is made before fork(): it may not allocate.
    std::vector<char*> argv;
    for (const std::string& arg : request.argv) {
        argv.push_back(const_cast<char*>(arg.c_str()));
    }
    argv.push_back(nullptr);
    UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    int out_pipe[2];
    int err_pipe[2];
    int report_pipe[2];
    if (!dev_null.valid() || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
        outcome.start_error = std::string("pipe: ") + std::strerror(errno);
        return outcome;
    }
    UniqueFd out_read(out_pipe[0]);
    UniqueFd out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        outcome.start_error = std::string("pipe: ") + std::strerror(errno);
        return outcome;
    }
    UniqueFd err_read(err_pipe[0]);
    UniqueFd err_write(err_pipe[1]);
    if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
        outcome.start_error = std::string("pipe: ") + std::strerror(errno);
        return outcome;
    }
    UniqueFd report_read(report_pipe[0]);
    UniqueFd report_write(report_pipe[1]);

    const Clock::time_point start = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
        outcome.start_error = std::string("fork: ") + std::strerror(errno);
        return outcome;
    }
    if (pid == 0) {
        // Its own process group: a timeout kills everything it started.
        ::setpgid(0, 0);
        if (request.cgroup_procs_fd >= 0 && ::write(request.cgroup_procs_fd, "0", 1) != 1) {
            child_fail(report_write.get(), 0);
        }
        if (::dup2(dev_null.get(), STDIN_FILENO) < 0 ||
            ::dup2(out_write.get(), STDOUT_FILENO) < 0 ||
            ::dup2(err_write.get(), STDERR_FILENO) < 0) {
            child_fail(report_write.get(), 1);
        }
        ::execvp(argv[0], argv.data());
        child_fail(report_write.get(), 1);
    }
    ::setpgid(pid, pid);  // also here: no race with a kill before the child ran
    running_group = pid;
    running_cgroup_kill = request.cgroup_kill_fd;
    out_write.reset();
    err_write.reset();
    report_write.reset();

    // The report pipe closes on a successful exec (O_CLOEXEC) or carries why
    // the child could not get there.
    ChildFailure failure{};
    ssize_t got;
    do {
        got = ::read(report_read.get(), &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof failure)) {
        ::waitpid(pid, nullptr, 0);
        running_group = 0;
        running_cgroup_kill = -1;
        outcome.start_error = (failure.stage == 0 ? std::string("cannot join the run's cgroup: ")
                                                  : "cannot run " + request.argv[0] + ": ") +
                              std::strerror(failure.error);
        return outcome;
    }
    outcome.started = true;

    // A pidfd makes the exit one more thing to poll(); kernels before 5.3
    // lack it, and then the loop polls waitpid() every few milliseconds.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    const Clock::time_point deadline = start + request.timeout;
    Clock::time_point next_sample = start + kSampleInterval;
    size_t marker_scan_from = 0;
    bool exited = false;
    int status = 0;
    rusage usage{};

    auto take_sample = [&] {
        const MemoryUse use = sample_tree_memory(pid);
        outcome.peak_tree_rss_kib = std::max(outcome.peak_tree_rss_kib, use.rss_kib);
        outcome.peak_tree_pss_kib = std::max(outcome.peak_tree_pss_kib, use.pss_kib);
        ++outcome.memory_samples;
    };

    while (!exited) {
        Clock::time_point now = Clock::now();
        if (now >= deadline && !outcome.timed_out) {
            outcome.timed_out = true;
            ::kill(-pid, SIGKILL);
        }
        if (outcome.timed_out && now >= deadline + kKillGrace) {
            outcome.left_behind = true;
            outcome.exit_ms = ms_between(start, now);
            break;
        }
        auto wait_until = outcome.timed_out ? now + std::chrono::milliseconds(100)
                                            : std::min(deadline, next_sample);
        if (!request.sample_memory && !outcome.timed_out) {
            wait_until = deadline;
        }
        int timeout_ms = static_cast<int>(
            std::chrono::ceil<std::chrono::milliseconds>(wait_until - now).count());
        if (!pidfd.valid()) {
            timeout_ms = std::min(timeout_ms, 2);
        }
        pollfd fds[3] = {
            {out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}, {pidfd.get(), POLLIN, 0}};
        const int ready = ::poll(fds, 3, std::max(timeout_ms, 0));
        now = Clock::now();
        if (ready < 0 && errno != EINTR) {
            break;
        }
        if (fds[0].revents != 0 && !read_some(out_read.get(), outcome.out)) {
            out_read.reset();  // poll() ignores negative descriptors
        }
        if (!request.running_marker.empty() && !outcome.running_ms) {
            if (outcome.out.find(request.running_marker, marker_scan_from) != std::string::npos) {
                outcome.running_ms = ms_between(start, now);
                // The workload is up: the moment its memory matters most.
                if (request.sample_memory) {
                    take_sample();
                }
            } else if (outcome.out.size() >= request.running_marker.size()) {
                marker_scan_from = outcome.out.size() - request.running_marker.size();
            }
        }
        if (fds[1].revents != 0 && !read_some(err_read.get(), outcome.err)) {
            err_read.reset();
        }
        if (!pidfd.valid() || fds[2].revents != 0) {
            const pid_t done = ::wait4(pid, &status, pidfd.valid() ? 0 : WNOHANG, &usage);
            if (done == pid) {
                outcome.exit_ms = ms_between(start, Clock::now());
                exited = true;
                break;
            }
        }
        if (request.sample_memory && !outcome.timed_out && now >= next_sample) {
            take_sample();
            next_sample = now + kSampleInterval;
        }
    }
    if (!exited && !outcome.left_behind) {  // poll() failed: make sure of the end anyway
        ::kill(-pid, SIGKILL);
        ::wait4(pid, &status, 0, &usage);
        outcome.exit_ms = ms_between(start, Clock::now());
    }

    // What the process wrote just before it exited is still in the pipes.
    const Clock::time_point drain_until = Clock::now() + kDrainGrace;
    while (out_read.valid() || err_read.valid()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(drain_until - Clock::now());
        if (left.count() <= 0) {
            break;
        }
        pollfd fds[2] = {{out_read.get(), POLLIN, 0}, {err_read.get(), POLLIN, 0}};
        if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) {
            break;
        }
        if (fds[0].revents != 0 && !read_some(out_read.get(), outcome.out)) {
            out_read.reset();
        }
        if (fds[1].revents != 0 && !read_some(err_read.get(), outcome.err)) {
            err_read.reset();
        }
    }
    if (!request.running_marker.empty() && !outcome.running_ms &&
        outcome.out.find(request.running_marker) != std::string::npos) {
        // Read only after the exit: the time is an upper bound, the exit's.
        outcome.running_ms = outcome.exit_ms;
    }

    running_group = 0;
    running_cgroup_kill = -1;
    outcome.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                        : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                              : -1;
    outcome.cpu_ms = timeval_ms(usage.ru_utime) + timeval_ms(usage.ru_stime);
    outcome.max_rss_kib = static_cast<uint64_t>(usage.ru_maxrss);
    return outcome;
}

int interrupting_signal() {
    return interrupted_by;
}

void stop_children_on_signals() {
    struct sigaction action {};
    action.sa_handler = stop_child;
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        ::sigaction(signal_number, &action, nullptr);
    }
}

std::optional<std::string> capture_stdout(const std::vector<std::string>& argv,
                                          std::chrono::milliseconds timeout) {
    ProcessRequest request;
    request.argv = argv;
    request.timeout = timeout;
    request.sample_memory = false;
    ProcessOutcome outcome = run_process(request);
    if (!outcome.started || outcome.timed_out || outcome.exit_code != 0) {
        return std::nullopt;
    }
    return std::move(outcome.out);
}

}  // namespace berth::bench
