// Seccomp filters for Berth's threads: each kind's allow-list
// (seccomp_policy.h) compiled once with libseccomp, before any thread
// starts, and installed by each thread on itself as the first thing it does
// (docs/seccomp.md).
//
// A filter is inherited by the threads its thread creates later and can
// never be removed, only narrowed by another. So every thread of a VM is
// created before any filter exists: the main thread starts the vCPUs, the
// event loop, the console input and the gdb server, each of which installs
// its own filter; device workers are made with the devices (StandbyThread);
// only then does the main thread install its own, and only then do the
// vCPUs enter KVM_RUN for the first time. No list allows creating a thread.
#pragma once

#include <linux/filter.h>

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "vmm/seccomp/seccomp_mode.h"
#include "vmm/seccomp/seccomp_policy.h"

namespace berth::seccomp {

// Berth's exit status after a refused system call (--seccomp on): 128 +
// SIGSYS, what a shell shows for a process that SIGSYS killed.
inline constexpr int kViolationExitStatus = 159;

// Test-only: BERTH_TEST_SECCOMP_VIOLATION=KIND (a thread_kind_id(): vcpu,
// event-loop, device-io, console-input, gdb-server, main) makes the first
// thread of that kind, right after installing its filter, run
// `/bin/sh -c 'echo berth-seccomp-test-hook-ran'` with execve, which no
// list allows. tests/integration/seccomp.sh uses it to prove that a thread
// stepping outside its list is stopped (and, with --seccomp off, that the
// hook really runs the program).
inline constexpr const char* kTestViolationVariable = "BERTH_TEST_SECCOMP_VIOLATION";
inline constexpr const char* kTestViolationMarker = "berth-seccomp-test-hook-ran";

class ThreadFilters {
public:
    // Compiles every kind's list: a refused call traps (Mode::kOn: the
    // SIGSYS handler installed here prints one line and exits with
    // kViolationExitStatus) or is logged by the kernel and allowed
    // (Mode::kLog). Mode::kOff compiles nothing. Call it on the main thread
    // before any other thread exists. Throws UserError when the kernel
    // cannot filter system calls as `mode` asks, SystemError when libseccomp
    // fails.
    static std::unique_ptr<ThreadFilters> compile(Mode mode, const PolicyOptions& options);

    Mode mode() const { return mode_; }
    // `kind`'s BPF program (empty with Mode::kOff).
    std::span<const sock_filter> program(ThreadKind kind) const;
    // Installs `kind`'s program on the calling thread (nothing with
    // Mode::kOff). Throws SystemError.
    void install(ThreadKind kind) const;
    // The kind BERTH_TEST_SECCOMP_VIOLATION named when compile() ran.
    std::optional<ThreadKind> test_violation() const { return test_violation_; }

private:
    explicit ThreadFilters(Mode mode) : mode_(mode) {}

    Mode mode_;
    std::array<std::vector<sock_filter>, kThreadKinds.size()> programs_;
    std::optional<ThreadKind> test_violation_;
};

// Makes `filters` the ones Berth's threads install (confine_current_thread)
// while it lives. Vm holds one from before it creates its first thread until
// after it has joined its last.
class ActiveFilters {
public:
    explicit ActiveFilters(const ThreadFilters* filters);
    ~ActiveFilters();
    ActiveFilters(const ActiveFilters&) = delete;
    ActiveFilters& operator=(const ActiveFilters&) = delete;
};

// The first call of every thread a VM runs (and of the main thread, once it
// has started the others): installs `kind`'s filter on the calling thread
// when filters are active, and nothing otherwise (unit tests, berth bench).
// Failing to install one ends Berth: one line on stderr, exit status 1.
void confine_current_thread(ThreadKind kind);

// The kind of filter the calling thread installed, if any.
std::optional<ThreadKind> current_thread_kind();

}  // namespace berth::seccomp
