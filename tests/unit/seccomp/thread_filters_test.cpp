// The compiled filters, read by a BPF interpreter, and installed for real in
// forked children (gtest death tests): a call outside the list ends the
// child with Berth's report and status 159, calls on the list go through.
#include "vmm/seccomp/thread_filters.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <csignal>

#include <barrier>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tests/unit/seccomp/bpf_interpreter.h"

namespace berth::seccomp {
namespace {

using testing::Call;
using testing::run_filter;

PolicyOptions options_for_this_process() {
    PolicyOptions options;
    options.pid = getpid();
    options.rng = true;
    return options;
}

bool kernel_can_trap() {
    uint32_t action = SECCOMP_RET_TRAP;
    return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0;
}

class ThreadFiltersTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!kernel_can_trap()) {
            GTEST_SKIP() << "this kernel has no seccomp filters";
        }
        unsetenv(kTestViolationVariable);
    }
};

// How a violation ends the process: the report, then exit status 159. Under
// ASan, _exit() runs sanitizer code of its own whose system calls the filter
// stops again, so the process ends by SIGSYS after the same report.
bool ended_by_violation(int status) {
#if defined(__SANITIZE_ADDRESS__)
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
        return true;
    }
#endif
    return WIFEXITED(status) && WEXITSTATUS(status) == kViolationExitStatus;
}

TEST_F(ThreadFiltersTest, CompiledProgramsFollowTheLists) {
    const auto filters = ThreadFilters::compile(Mode::kOn, options_for_this_process());
    for (ThreadKind kind : kThreadKinds) {
        const auto program = filters->program(kind);
        ASSERT_FALSE(program.empty());
        const auto calls = allowed_calls(kind, options_for_this_process());
        for (const AllowedCall& call : calls) {
            if (!call.checks.empty()) {
                continue;
            }
            EXPECT_EQ(run_filter(program, {call.number}), SECCOMP_RET_ALLOW)
                << thread_kind_name(kind) << ": " << call.name;
        }
        for (long number :
             {SYS_execve, SYS_fork, SYS_clone, SYS_clone3, SYS_openat, SYS_socket, SYS_getppid}) {
            if (kind == ThreadKind::kMain && number == SYS_openat) {
                continue;  // not without --trace-boot or --stats-json, tested below
            }
            EXPECT_EQ(run_filter(program, {number}), SECCOMP_RET_TRAP)
                << thread_kind_name(kind) << ": system call " << number;
        }
        const bool vcpu = kind == ThreadKind::kVcpu;
        EXPECT_EQ(run_filter(program, {SYS_ioctl, {3, KVM_RUN}}),
                  vcpu ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP)
            << thread_kind_name(kind);
    }
}

TEST_F(ThreadFiltersTest, ArgumentsAreChecked) {
    const auto filters = ThreadFilters::compile(Mode::kOn, options_for_this_process());
    const auto vcpu = filters->program(ThreadKind::kVcpu);
    // The kernel reads the request as 32 bits: the upper half changes nothing.
    EXPECT_EQ(run_filter(vcpu, {SYS_ioctl, {3, KVM_RUN | (uint64_t{1} << 32)}}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(run_filter(vcpu, {SYS_ioctl, {3, KVM_CREATE_VCPU}}), SECCOMP_RET_TRAP);
    EXPECT_EQ(run_filter(vcpu, {SYS_ioctl, {3, TCSETS}}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(run_filter(vcpu, {SYS_ioctl, {3, TIOCSTI}}), SECCOMP_RET_TRAP);
    // mmap and mprotect: anything but executable.
    EXPECT_EQ(run_filter(vcpu, {SYS_mmap, {0, 4096, PROT_READ | PROT_WRITE}}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(run_filter(vcpu, {SYS_mmap, {0, 4096, PROT_READ | PROT_EXEC}}), SECCOMP_RET_TRAP);
    EXPECT_EQ(run_filter(vcpu, {SYS_mprotect, {0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC}}),
              SECCOMP_RET_TRAP);
    // Signals to Berth's own threads only.
    const auto pid = static_cast<uint64_t>(getpid());
    EXPECT_EQ(run_filter(vcpu, {SYS_tgkill, {pid, 1234, SIGUSR1}}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(run_filter(vcpu, {SYS_tgkill, {pid + 1, 1234, SIGUSR1}}), SECCOMP_RET_TRAP);
    EXPECT_EQ(run_filter(vcpu, {SYS_madvise, {0, 4096, MADV_DONTNEED}}), SECCOMP_RET_ALLOW);
    EXPECT_EQ(run_filter(vcpu, {SYS_madvise, {0, 4096, MADV_DODUMP}}), SECCOMP_RET_TRAP);
    // i386's system calls (int 0x80) are another ABI: refused whatever the number.
    EXPECT_EQ(run_filter(vcpu, {SYS_write, {}, AUDIT_ARCH_I386}), SECCOMP_RET_TRAP);
}

TEST_F(ThreadFiltersTest, MainOpensReportFilesForWritingOnly) {
    PolicyOptions options = options_for_this_process();
    EXPECT_EQ(run_filter(ThreadFilters::compile(Mode::kOn, options)->program(ThreadKind::kMain),
                         {SYS_openat, {0, 0, O_WRONLY | O_CREAT | O_TRUNC}}),
              SECCOMP_RET_TRAP);
    options.write_report_files = true;
    const auto filters = ThreadFilters::compile(Mode::kOn, options);
    const auto main = filters->program(ThreadKind::kMain);
    EXPECT_EQ(run_filter(main, {SYS_openat, {0, 0, O_WRONLY | O_CREAT | O_TRUNC}}),
              SECCOMP_RET_ALLOW);
    EXPECT_EQ(run_filter(main, {SYS_openat, {0, 0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC}}),
              SECCOMP_RET_ALLOW);
    EXPECT_EQ(run_filter(main, {SYS_openat, {0, 0, O_RDONLY}}), SECCOMP_RET_TRAP);
    EXPECT_EQ(run_filter(main, {SYS_openat, {0, 0, O_RDWR | O_CREAT | O_TRUNC}}), SECCOMP_RET_TRAP);
}

TEST_F(ThreadFiltersTest, LogModeLogsWhatOnWouldTrap) {
    const auto filters = ThreadFilters::compile(Mode::kLog, options_for_this_process());
    const auto vcpu = filters->program(ThreadKind::kVcpu);
    EXPECT_EQ(run_filter(vcpu, {SYS_execve}), SECCOMP_RET_LOG);
    EXPECT_EQ(run_filter(vcpu, {SYS_ioctl, {3, KVM_RUN}}), SECCOMP_RET_ALLOW);
}

TEST_F(ThreadFiltersTest, OffCompilesNothing) {
    const auto filters = ThreadFilters::compile(Mode::kOff, options_for_this_process());
    for (ThreadKind kind : kThreadKinds) {
        EXPECT_TRUE(filters->program(kind).empty());
    }
}

TEST_F(ThreadFiltersTest, ThreadsOutsideAVmAreNotConfined) {
    confine_current_thread(ThreadKind::kVcpu);  // no ActiveFilters: nothing happens
    EXPECT_FALSE(current_thread_kind().has_value());
    EXPECT_EQ(getppid(), getppid());
}

TEST_F(ThreadFiltersTest, ACallOutsideTheListEndsBerthWithItsReport) {
    const auto filters = ThreadFilters::compile(Mode::kOn, options_for_this_process());
    EXPECT_EXIT(
        {
            filters->install(ThreadKind::kVcpu);
            syscall(SYS_getppid);
        },
        ended_by_violation,
        "berth: seccomp: a vCPU thread made a forbidden system call 110 \\(getppid\\); this is "
        "a bug in Berth or an attack, see docs/seccomp.md");
    EXPECT_EXIT(
        {
            filters->install(ThreadKind::kEventLoop);
            ioctl(STDIN_FILENO, KVM_RUN, 0);
        },
        ended_by_violation, "an event loop thread made a forbidden system call 16 \\(ioctl\\)");
}

TEST_F(ThreadFiltersTest, CallsOnTheListGoThrough) {
    const auto filters = ThreadFilters::compile(Mode::kOn, options_for_this_process());
    EXPECT_EXIT(
        {
            const int event = eventfd(0, EFD_NONBLOCK);
            const int epoll = epoll_create1(0);
            filters->install(ThreadKind::kEventLoop);
            const uint64_t one = 1;
            uint64_t got = 0;
            bool ok = syscall(SYS_write, event, &one, sizeof(one)) == sizeof(one);
            ok = ok && syscall(SYS_read, event, &got, sizeof(got)) == sizeof(got) && got == 1;
            epoll_event events[1];
            ok = ok && syscall(SYS_epoll_wait, epoll, events, 1, 0) == 0;
            timespec now{};
            ok = ok && syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now) == 0;
            void* page =
                reinterpret_cast<void*>(syscall(SYS_mmap, nullptr, 4096, PROT_READ | PROT_WRITE,
                                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
            ok = ok && page != MAP_FAILED && syscall(SYS_munmap, page, 4096) == 0;
            // A request the list does not name, but the call itself is allowed:
            // KVM_SIGNAL_MSI on an eventfd fails with ENOTTY rather than trapping.
            ok = ok && syscall(SYS_ioctl, event, KVM_SIGNAL_MSI, nullptr) == -1;
            syscall(SYS_exit_group, ok ? 0 : 1);
        },
        ::testing::ExitedWithCode(0), "");
}

// glibc's malloc opens files on some first paths (the ninth arena asks for
// the CPU count, a shrinking heap for the overcommit policy); compile()
// settles both first. Sixteen threads that each allocate and free enough to
// trim their heap, all under the vCPU filter, must not trap. In a fresh
// process (threadsafe death tests re-run the binary), so that glibc has
// computed nothing yet.
TEST_F(ThreadFiltersTest, ManyFilteredThreadsMayAllocateAndFree) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "ASan's allocator makes calls of its own (madvise hints)";
#endif
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            const auto filters = ThreadFilters::compile(Mode::kOn, options_for_this_process());
            constexpr int kThreads = 16;
            std::barrier all_filtered(kThreads);
            std::vector<std::thread> threads;
            for (int i = 0; i < kThreads; ++i) {
                threads.emplace_back([&] {
                    filters->install(ThreadKind::kVcpu);
                    all_filtered.arrive_and_wait();
                    std::vector<void*> blocks;
                    for (int j = 0; j < 64; ++j) {
                        blocks.push_back(std::malloc(100'000));
                    }
                    for (void* block : blocks) {
                        std::free(block);
                    }
                });
            }
            for (std::thread& thread : threads) {
                thread.join();
            }
            std::_Exit(0);
        },
        ::testing::ExitedWithCode(0), "");
}

TEST_F(ThreadFiltersTest, TheTestHookRunsAProgramRightAfterTheFilter) {
    PolicyOptions options = options_for_this_process();
    // With the filter, the hook's execve is the forbidden call.
    EXPECT_EXIT(
        {
            setenv(kTestViolationVariable, "device-io", 1);
            const auto filters = ThreadFilters::compile(Mode::kOn, options);
            ActiveFilters active(filters.get());
            confine_current_thread(ThreadKind::kDeviceIo);
        },
        ended_by_violation, "a device I/O thread made a forbidden system call 59 \\(execve\\)");
    // Without one, it runs: the process becomes /bin/sh, which exits 0.
    EXPECT_EXIT(
        {
            setenv(kTestViolationVariable, "device-io", 1);
            const auto filters = ThreadFilters::compile(Mode::kOff, options);
            ActiveFilters active(filters.get());
            confine_current_thread(ThreadKind::kDeviceIo);
        },
        ::testing::ExitedWithCode(0), "");
    // Another kind's thread is left alone.
    setenv(kTestViolationVariable, "vcpu", 1);
    const auto filters = ThreadFilters::compile(Mode::kOff, options);
    unsetenv(kTestViolationVariable);
    EXPECT_EQ(filters->test_violation(), ThreadKind::kVcpu);
    ActiveFilters active(filters.get());
    confine_current_thread(ThreadKind::kEventLoop);
    SUCCEED();
}

}  // namespace
}  // namespace berth::seccomp
