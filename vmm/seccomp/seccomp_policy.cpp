#include "vmm/seccomp/seccomp_policy.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <algorithm>

#include "vmm/kvm/flex_array_ioctls.h"

namespace berth::seccomp {
namespace {

// The kernel reads an ioctl's request as an unsigned int and ignores the
// upper half of the register, so only the lower 32 bits are compared.
constexpr uint64_t kLow32 = 0xffff'ffff;
constexpr uint64_t kAll = ~uint64_t{0};

// KVM_GET_MSRS with the C size of struct kvm_msrs (see flex_array_ioctls.h).
constexpr unsigned long kGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, kvm::kMsrsHeaderSize);
static_assert(kGetMsrs == 0xc008ae88);

AllowedCall ioctl_request(unsigned long request, std::string_view name) {
    return {SYS_ioctl, name, {{1, kLow32, request}}};
}

// "ioctl(KVM_RUN)" and so on, named after the macro.
#define BERTH_IOCTL(request) ioctl_request(request, "ioctl(" #request ")")
#define BERTH_CALL(name)      \
    AllowedCall {             \
        SYS_##name, #name, {} \
    }

// What every thread does: allocate (malloc, thread stacks going away),
// lock (futex), take the time, write a line to stderr, close what it owns,
// block signals, kick another Berth thread (tgkill), and end. The crash
// paths too: abort() and the handlers that put the terminal back
// (rt_sigaction, tgkill, ioctl(TCSETS)).
void add_every_thread(std::vector<AllowedCall>& calls, const PolicyOptions& options) {
    calls.push_back(BERTH_CALL(brk));
    calls.push_back({SYS_mmap, "mmap (not executable)", {{2, PROT_EXEC, 0}}});
    calls.push_back({SYS_mprotect, "mprotect (not executable)", {{2, PROT_EXEC, 0}}});
    calls.push_back(BERTH_CALL(munmap));
    calls.push_back(BERTH_CALL(mremap));
    // glibc gives back free memory of a thread's arena and the unused part
    // of an ending thread's stack with MADV_DONTNEED.
    calls.push_back({SYS_madvise, "madvise(MADV_DONTNEED)", {{2, kAll, MADV_DONTNEED}}});
    calls.push_back(BERTH_CALL(futex));
    calls.push_back(BERTH_CALL(sched_yield));
    calls.push_back(BERTH_CALL(sched_getaffinity));  // malloc, when it sizes its arenas
    calls.push_back(BERTH_CALL(clock_gettime));      // where the vDSO falls back to the kernel
    calls.push_back(BERTH_CALL(clock_nanosleep));
    calls.push_back(BERTH_CALL(write));
    calls.push_back(BERTH_CALL(close));
    calls.push_back(BERTH_CALL(rt_sigprocmask));
    calls.push_back(BERTH_CALL(rt_sigreturn));
    calls.push_back(BERTH_CALL(rt_sigaction));
    calls.push_back(BERTH_CALL(getpid));
    calls.push_back(BERTH_CALL(gettid));
    calls.push_back({SYS_tgkill,
                     "tgkill (Berth's own threads)",
                     {{0, kAll, static_cast<uint64_t>(options.pid)}}});
    calls.push_back(BERTH_CALL(restart_syscall));
    calls.push_back(BERTH_CALL(exit));
    calls.push_back(BERTH_CALL(exit_group));
    calls.push_back(BERTH_IOCTL(TCSETS));  // tcsetattr(): the terminal put back after a crash
}

// The devices a port or MMIO access can reach, and a virtio queue notify
// that KVM did not turn into an ioeventfd (any length but 2).
void add_vcpu(std::vector<AllowedCall>& calls, const PolicyOptions& options) {
    calls.push_back(BERTH_IOCTL(KVM_RUN));
    calls.push_back(BERTH_IOCTL(KVM_GET_REGS));  // the rip of a KVM internal error
    calls.push_back(BERTH_IOCTL(KVM_SIGNAL_MSI));
    calls.push_back(BERTH_IOCTL(KVM_IOEVENTFD));  // doorbells follow a BAR the guest moves
    if (options.kernel_irqchip) {
        calls.push_back(BERTH_IOCTL(KVM_IRQ_LINE));  // the UART's interrupt
    } else {
        calls.push_back(BERTH_IOCTL(KVM_INTERRUPT));   // the user-space PIC's vector
        calls.push_back(BERTH_CALL(timerfd_settime));  // the guest programs the PIT
    }
    if (options.nets) {
        // The driver starts, resets or kicks an interface: offloads, its
        // thread's eventfds, a frame sent to the tap.
        calls.push_back(BERTH_IOCTL(TUNSETOFFLOAD));
        calls.push_back(BERTH_CALL(read));
        calls.push_back(BERTH_CALL(writev));
    }
    if (options.rng) {
        calls.push_back(BERTH_CALL(getrandom));
    }
    if (options.gdb) {
        // The debugger's requests run on the parked vCPU's own thread.
        for (const AllowedCall& call :
             {BERTH_IOCTL(KVM_SET_REGS), BERTH_IOCTL(KVM_GET_SREGS), BERTH_IOCTL(KVM_SET_SREGS),
              BERTH_IOCTL(KVM_GET_FPU), BERTH_IOCTL(KVM_SET_FPU),
              ioctl_request(kGetMsrs, "ioctl(KVM_GET_MSRS)"),
              ioctl_request(kvm::kSetMsrs, "ioctl(KVM_SET_MSRS)"), BERTH_IOCTL(KVM_SET_GUEST_DEBUG),
              BERTH_IOCTL(KVM_TRANSLATE)}) {
            calls.push_back(call);
        }
    }
}

// Doorbells: read the ioeventfd, run the device, interrupt with an MSI.
void add_event_loop(std::vector<AllowedCall>& calls, const PolicyOptions& options) {
    calls.push_back(BERTH_CALL(epoll_wait));
    calls.push_back(BERTH_CALL(read));  // ioeventfds, the PIT's timerfd
    calls.push_back(BERTH_IOCTL(KVM_SIGNAL_MSI));
    if (options.nets) {
        calls.push_back(BERTH_CALL(writev));
    }
    if (options.rng) {
        calls.push_back(BERTH_CALL(getrandom));
    }
}

// A disk's worker: the image's I/O. A network interface's thread: epoll over
// the tap and its eventfds, frames in and out.
void add_device_io(std::vector<AllowedCall>& calls, const PolicyOptions& options) {
    calls.push_back(BERTH_IOCTL(KVM_SIGNAL_MSI));
    if (options.disks) {
        calls.push_back(BERTH_CALL(preadv));
        calls.push_back(BERTH_CALL(pwritev));
        calls.push_back(BERTH_CALL(fdatasync));
        calls.push_back(BERTH_CALL(fallocate));  // discard, write zeroes
    }
    if (options.nets) {
        calls.push_back(BERTH_CALL(epoll_wait));
        calls.push_back(BERTH_CALL(epoll_ctl));
        calls.push_back(BERTH_CALL(read));
        calls.push_back(BERTH_CALL(writev));
    }
}

// stdin into the UART (an IRQ line) or hvc0 (an MSI).
void add_console_input(std::vector<AllowedCall>& calls, const PolicyOptions& options) {
    calls.push_back(BERTH_CALL(poll));
    calls.push_back(BERTH_CALL(read));
    if (options.kernel_irqchip) {
        calls.push_back(BERTH_IOCTL(KVM_IRQ_LINE));
        calls.push_back(BERTH_IOCTL(KVM_SIGNAL_MSI));
    }
}

// One TCP connection at a time; the vCPU threads do the KVM side.
void add_gdb_server(std::vector<AllowedCall>& calls) {
    calls.push_back(BERTH_CALL(poll));
    calls.push_back(BERTH_CALL(accept4));
    calls.push_back(BERTH_CALL(setsockopt));  // TCP_NODELAY
    calls.push_back(BERTH_CALL(read));
    calls.push_back(BERTH_CALL(sendto));  // send()
    calls.push_back(BERTH_CALL(shutdown));
}

// Once it has started the others: wait for a stop (signalfd, RunControl's
// eventfd, --timeout), kick and join the threads, tear the VM down, report.
void add_main(std::vector<AllowedCall>& calls, const PolicyOptions& options) {
    calls.push_back(BERTH_CALL(poll));
    calls.push_back(BERTH_CALL(read));       // the signalfd
    calls.push_back(BERTH_CALL(epoll_ctl));  // doorbells leave the event loop
    if (options.virtio_console) {
        calls.push_back(BERTH_IOCTL(TIOCGWINSZ));      // SIGWINCH: hvc0 follows the terminal
        calls.push_back(BERTH_IOCTL(KVM_SIGNAL_MSI));  // and tells the driver
    }
    if (options.disks) {
        calls.push_back(BERTH_CALL(fdatasync));  // each disk is flushed when the VM stops
    }
    if (options.kvm_stats) {
        calls.push_back(BERTH_IOCTL(KVM_CHECK_EXTENSION));
        calls.push_back(BERTH_IOCTL(KVM_GET_STATS_FD));
        calls.push_back(BERTH_CALL(pread64));
    }
    if (options.write_report_files) {
        // Create or truncate a file for writing; never open one for reading.
        calls.push_back({SYS_openat,
                         "openat (O_WRONLY|O_CREAT|O_TRUNC)",
                         {{2, O_ACCMODE | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_TRUNC}}});
        calls.push_back(BERTH_CALL(newfstatat));
        calls.push_back(BERTH_CALL(fstat));
        calls.push_back(BERTH_CALL(lseek));
        calls.push_back(BERTH_CALL(writev));  // std::ofstream's large writes
    }
}

#undef BERTH_IOCTL
#undef BERTH_CALL

// By ThreadKind's value: the name for messages, the word for the test hook.
struct KindNames {
    std::string_view name;
    std::string_view id;
};
constexpr std::array<KindNames, kThreadKinds.size()> kKindNames{{
    {"main", "main"},
    {"vCPU", "vcpu"},
    {"event loop", "event-loop"},
    {"device I/O", "device-io"},
    {"console input", "console-input"},
    {"gdb server", "gdb-server"},
}};

}  // namespace

std::string_view thread_kind_name(ThreadKind kind) {
    return kKindNames[static_cast<size_t>(kind)].name;
}

std::string_view thread_kind_id(ThreadKind kind) {
    return kKindNames[static_cast<size_t>(kind)].id;
}

std::optional<ThreadKind> parse_thread_kind_id(std::string_view id) {
    for (ThreadKind kind : kThreadKinds) {
        if (thread_kind_id(kind) == id) {
            return kind;
        }
    }
    return std::nullopt;
}

std::vector<AllowedCall> allowed_calls(ThreadKind kind, const PolicyOptions& options) {
    std::vector<AllowedCall> calls;
    add_every_thread(calls, options);
    switch (kind) {
        case ThreadKind::kMain:
            add_main(calls, options);
            break;
        case ThreadKind::kVcpu:
            add_vcpu(calls, options);
            break;
        case ThreadKind::kEventLoop:
            add_event_loop(calls, options);
            break;
        case ThreadKind::kDeviceIo:
            add_device_io(calls, options);
            break;
        case ThreadKind::kConsoleInput:
            add_console_input(calls, options);
            break;
        case ThreadKind::kGdbServer:
            add_gdb_server(calls);
            break;
    }
    return calls;
}

bool allows_call(std::span<const AllowedCall> calls, long number) {
    return std::any_of(calls.begin(), calls.end(),
                       [number](const AllowedCall& call) { return call.number == number; });
}

bool allows_ioctl(std::span<const AllowedCall> calls, unsigned long request) {
    return std::any_of(calls.begin(), calls.end(), [request](const AllowedCall& call) {
        if (call.number != SYS_ioctl) {
            return false;
        }
        if (call.checks.empty()) {
            return true;
        }
        return std::all_of(call.checks.begin(), call.checks.end(), [request](const auto& check) {
            return check.index != 1 || (request & check.mask) == check.value;
        });
    });
}

}  // namespace berth::seccomp
