#include "vmm/seccomp/seccomp_policy.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <string>

#include "vmm/seccomp/seccomp_mode.h"

namespace berth::seccomp {
namespace {

PolicyOptions everything_off() {
    PolicyOptions options;
    options.pid = 4242;
    options.kernel_irqchip = true;
    return options;
}

// Every option that adds to a list.
PolicyOptions everything_on() {
    PolicyOptions options = everything_off();
    options.disks = true;
    options.nets = true;
    options.rng = true;
    options.virtio_console = true;
    options.gdb = true;
    options.kvm_stats = true;
    options.write_report_files = true;
    return options;
}

std::string describe(ThreadKind kind) {
    return std::string(thread_kind_name(kind));
}

TEST(SeccompPolicy, NoThreadMayRunAProgramMakeAProcessOrAThread) {
    for (const PolicyOptions& options : {everything_off(), everything_on()}) {
        for (ThreadKind kind : kThreadKinds) {
            const auto calls = allowed_calls(kind, options);
            for (long number : {SYS_execve,
                                SYS_execveat,
                                SYS_fork,
                                SYS_vfork,
                                SYS_clone,
                                SYS_clone3,
                                SYS_ptrace,
                                SYS_kill,
                                SYS_tkill,
                                SYS_socket,
                                SYS_connect,
                                SYS_bind,
                                SYS_open,
                                SYS_creat,
                                SYS_unlink,
                                SYS_unlinkat,
                                SYS_rename,
                                SYS_chmod,
                                SYS_mount,
                                SYS_setuid,
                                SYS_prctl,
                                SYS_seccomp,
                                SYS_process_vm_writev,
                                SYS_memfd_create,
                                SYS_init_module,
                                SYS_bpf,
                                SYS_userfaultfd}) {
                EXPECT_FALSE(allows_call(calls, number))
                    << describe(kind) << " allows system call " << number;
            }
        }
    }
}

TEST(SeccompPolicy, EveryThreadCanAllocateLockWriteAndEnd) {
    for (ThreadKind kind : kThreadKinds) {
        const auto calls = allowed_calls(kind, everything_off());
        for (long number : {SYS_brk, SYS_mmap, SYS_munmap, SYS_futex, SYS_write, SYS_close,
                            SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_exit, SYS_exit_group,
                            SYS_clock_gettime, SYS_tgkill, SYS_getpid}) {
            EXPECT_TRUE(allows_call(calls, number))
                << describe(kind) << " lacks system call " << number;
        }
        // What the SIGSYS report and the crash handlers need to put the terminal back.
        EXPECT_TRUE(allows_ioctl(calls, TCSETS)) << describe(kind);
    }
}

TEST(SeccompPolicy, OnlyVcpuThreadsRunTheGuest) {
    for (const PolicyOptions& options : {everything_off(), everything_on()}) {
        for (ThreadKind kind : kThreadKinds) {
            const auto calls = allowed_calls(kind, options);
            EXPECT_EQ(allows_ioctl(calls, KVM_RUN), kind == ThreadKind::kVcpu) << describe(kind);
            // Nothing creates KVM objects or changes guest memory once the VM runs.
            for (unsigned long request : {static_cast<unsigned long>(KVM_CREATE_VM),
                                          static_cast<unsigned long>(KVM_CREATE_VCPU),
                                          static_cast<unsigned long>(KVM_SET_USER_MEMORY_REGION),
                                          static_cast<unsigned long>(KVM_CREATE_IRQCHIP),
                                          static_cast<unsigned long>(TUNSETIFF)}) {
                EXPECT_FALSE(allows_ioctl(calls, request)) << describe(kind) << " " << request;
            }
        }
    }
}

TEST(SeccompPolicy, EveryIoctlNamesItsRequest) {
    for (ThreadKind kind : kThreadKinds) {
        for (const AllowedCall& call : allowed_calls(kind, everything_on())) {
            if (call.number != SYS_ioctl) {
                continue;
            }
            ASSERT_EQ(call.checks.size(), 1u) << call.name;
            EXPECT_EQ(call.checks[0].index, 1u) << call.name;
            EXPECT_EQ(call.checks[0].mask, 0xffffffffu) << call.name;
        }
    }
}

TEST(SeccompPolicy, VcpuIoctlsFollowTheConfiguration) {
    const auto plain = allowed_calls(ThreadKind::kVcpu, everything_off());
    EXPECT_TRUE(allows_ioctl(plain, KVM_IRQ_LINE));
    EXPECT_TRUE(allows_ioctl(plain, KVM_SIGNAL_MSI));
    EXPECT_TRUE(allows_ioctl(plain, KVM_IOEVENTFD));
    EXPECT_FALSE(allows_ioctl(plain, KVM_INTERRUPT));
    EXPECT_FALSE(allows_ioctl(plain, KVM_SET_REGS));
    EXPECT_FALSE(allows_ioctl(plain, KVM_SET_GUEST_DEBUG));
    EXPECT_FALSE(allows_ioctl(plain, TUNSETOFFLOAD));
    EXPECT_FALSE(allows_call(plain, SYS_getrandom));

    const auto all = allowed_calls(ThreadKind::kVcpu, everything_on());
    EXPECT_TRUE(allows_ioctl(all, KVM_SET_REGS));
    EXPECT_TRUE(allows_ioctl(all, KVM_SET_SREGS));
    EXPECT_TRUE(allows_ioctl(all, KVM_SET_GUEST_DEBUG));
    EXPECT_TRUE(allows_ioctl(all, KVM_TRANSLATE));
    EXPECT_TRUE(allows_ioctl(all, 0xc008ae88));  // KVM_GET_MSRS as C sizes it
    EXPECT_TRUE(allows_ioctl(all, TUNSETOFFLOAD));
    EXPECT_TRUE(allows_call(all, SYS_getrandom));

    PolicyOptions lab = everything_off();
    lab.kernel_irqchip = false;
    const auto user_space_pic = allowed_calls(ThreadKind::kVcpu, lab);
    EXPECT_TRUE(allows_ioctl(user_space_pic, KVM_INTERRUPT));
    EXPECT_FALSE(allows_ioctl(user_space_pic, KVM_IRQ_LINE));
    EXPECT_TRUE(allows_call(user_space_pic, SYS_timerfd_settime));
}

TEST(SeccompPolicy, DeviceIoGetsTheDisksAndNetsCalls) {
    const auto none = allowed_calls(ThreadKind::kDeviceIo, everything_off());
    for (long number : {SYS_preadv, SYS_pwritev, SYS_fdatasync, SYS_fallocate, SYS_epoll_wait}) {
        EXPECT_FALSE(allows_call(none, number)) << number;
    }
    PolicyOptions disks = everything_off();
    disks.disks = true;
    const auto disk_calls = allowed_calls(ThreadKind::kDeviceIo, disks);
    for (long number : {SYS_preadv, SYS_pwritev, SYS_fdatasync, SYS_fallocate}) {
        EXPECT_TRUE(allows_call(disk_calls, number)) << number;
    }
    EXPECT_FALSE(allows_call(disk_calls, SYS_epoll_wait));
    PolicyOptions nets = everything_off();
    nets.nets = true;
    const auto net_calls = allowed_calls(ThreadKind::kDeviceIo, nets);
    for (long number : {SYS_epoll_wait, SYS_epoll_ctl, SYS_read, SYS_writev}) {
        EXPECT_TRUE(allows_call(net_calls, number)) << number;
    }
    EXPECT_TRUE(allows_ioctl(net_calls, KVM_SIGNAL_MSI));
}

TEST(SeccompPolicy, OnlyMainOpensFilesAndOnlyToWriteReports) {
    for (ThreadKind kind : kThreadKinds) {
        const auto calls = allowed_calls(kind, everything_on());
        EXPECT_EQ(allows_call(calls, SYS_openat), kind == ThreadKind::kMain) << describe(kind);
    }
    EXPECT_FALSE(allows_call(allowed_calls(ThreadKind::kMain, everything_off()), SYS_openat));
    for (const AllowedCall& call : allowed_calls(ThreadKind::kMain, everything_on())) {
        if (call.number != SYS_openat) {
            continue;
        }
        ASSERT_EQ(call.checks.size(), 1u);
        const ArgumentCheck& flags = call.checks[0];
        EXPECT_EQ(flags.index, 2u);
        EXPECT_EQ(O_WRONLY | O_CREAT | O_TRUNC, flags.value);
        EXPECT_NE(O_RDONLY & flags.mask, flags.value);
        EXPECT_NE((O_RDWR | O_CREAT | O_TRUNC) & flags.mask, flags.value);
        EXPECT_NE((O_WRONLY | O_APPEND) & flags.mask, flags.value);  // no O_TRUNC, no O_CREAT
    }
}

TEST(SeccompPolicy, MappingsAreNeverExecutableAndSignalsStayInBerth) {
    for (ThreadKind kind : kThreadKinds) {
        const auto calls = allowed_calls(kind, everything_on());
        for (const AllowedCall& call : calls) {
            if (call.number == SYS_mmap || call.number == SYS_mprotect) {
                ASSERT_EQ(call.checks.size(), 1u) << call.name;
                EXPECT_EQ(call.checks[0].index, 2u);
                EXPECT_EQ(call.checks[0].mask, static_cast<uint64_t>(PROT_EXEC));
                EXPECT_EQ(call.checks[0].value, 0u);
            }
            if (call.number == SYS_tgkill) {
                ASSERT_EQ(call.checks.size(), 1u);
                EXPECT_EQ(call.checks[0].index, 0u);
                EXPECT_EQ(call.checks[0].value, 4242u);
            }
        }
    }
}

TEST(SeccompPolicy, ListsStaySmall) {
    // A reminder to look hard at what gets added: a list that grows past
    // this is no longer a short allow-list.
    for (ThreadKind kind : kThreadKinds) {
        EXPECT_LE(allowed_calls(kind, everything_on()).size(), 50u) << describe(kind);
    }
}

TEST(SeccompPolicy, ThreadKindIdsRoundTrip) {
    for (ThreadKind kind : kThreadKinds) {
        EXPECT_EQ(parse_thread_kind_id(thread_kind_id(kind)), kind);
    }
    EXPECT_EQ(parse_thread_kind_id("vcpu"), ThreadKind::kVcpu);
    EXPECT_FALSE(parse_thread_kind_id("vCPU").has_value());
    EXPECT_FALSE(parse_thread_kind_id("").has_value());
}

TEST(SeccompMode, ParsesOnLogOff) {
    EXPECT_EQ(parse_mode("on"), Mode::kOn);
    EXPECT_EQ(parse_mode("log"), Mode::kLog);
    EXPECT_EQ(parse_mode("off"), Mode::kOff);
    EXPECT_FALSE(parse_mode("ON").has_value());
    EXPECT_FALSE(parse_mode("trap").has_value());
    EXPECT_FALSE(parse_mode("").has_value());
}

}  // namespace
}  // namespace berth::seccomp
