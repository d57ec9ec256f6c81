// Which system calls each kind of Berth thread may make: the allow-lists
// that thread_filters.cpp compiles into seccomp filters (docs/seccomp.md).
//
// Every thread of a running VM is one of these kinds and installs its kind's
// filter as the first thing it does; anything not listed is refused (trapped
// with --seccomp on, logged with --seccomp log). No kind may create a thread
// or process or run a program: the threads Berth needs all exist before the
// first filter is installed. ioctl is narrowed to the requests the kind
// makes, mmap and mprotect to mappings that are not executable, tgkill to
// Berth's own threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace berth::seccomp {

enum class ThreadKind : uint8_t {
    kMain,          // builds the VM, waits for a stop (signals, --timeout), tears down, reports
    kVcpu,          // KVM_RUN and the devices the guest's port and MMIO accesses reach
    kEventLoop,     // ioeventfd doorbells of virtio devices; the PIT's timer with --irqchip none
    kDeviceIo,      // a virtio-blk disk's I/O worker, a virtio-net interface's thread
    kConsoleInput,  // reads stdin into the guest's console
    kGdbServer,     // --gdb: serves the debugger
};

inline constexpr std::array<ThreadKind, 6> kThreadKinds{
    ThreadKind::kMain,     ThreadKind::kVcpu,         ThreadKind::kEventLoop,
    ThreadKind::kDeviceIo, ThreadKind::kConsoleInput, ThreadKind::kGdbServer};

// For messages: "main", "vCPU", "event loop", "device I/O", "console input",
// "gdb server". Async-signal-safe (the violation report uses it).
std::string_view thread_kind_name(ThreadKind kind);
// As a word: "main", "vcpu", "event-loop", "device-io", "console-input",
// "gdb-server" (the test hook's values, install.h).
std::string_view thread_kind_id(ThreadKind kind);
std::optional<ThreadKind> parse_thread_kind_id(std::string_view id);

// One condition on a system call's argument: (argument & mask) == value.
struct ArgumentCheck {
    unsigned index;  // 0..5
    uint64_t mask;
    uint64_t value;
};

// One form of a system call that a thread may make: the call whose
// arguments pass every check (none: any arguments). A call may be listed in
// several forms (ioctl, once per request); any one allows it.
struct AllowedCall {
    long number;            // SYS_...
    std::string_view name;  // "ioctl(KVM_RUN)", "mmap (not executable)", "read"
    std::vector<ArgumentCheck> checks;
};

// What the lists depend on besides the thread kind: the VM's configuration.
struct PolicyOptions {
    int pid = 0;                  // Berth's process id: tgkill may only signal its own threads
    bool kernel_irqchip = true;   // --irqchip kernel: KVM_IRQ_LINE; none: KVM_INTERRUPT, timerfd
    bool disks = false;           // --disk: the workers' preadv, pwritev, fdatasync, fallocate
    bool nets = false;            // --net: TUNSETOFFLOAD and the interfaces' threads
    bool rng = false;             // --rng: getrandom where a queue notify may be served
    bool virtio_console = false;  // --console virtio: hvc0 follows the terminal's size
    bool gdb = false;             // --gdb: vCPU threads read and write state for the debugger
    bool kvm_stats = false;       // --stats, --stats-json: KVM's binary statistics at the end
    bool write_report_files = false;  // --trace-boot, --stats-json: main writes them at the end
};

// The allow-list of `kind` under `options`.
std::vector<AllowedCall> allowed_calls(ThreadKind kind, const PolicyOptions& options);

// Whether `calls` allows system call `number` in some form (for tests and
// documentation: a form may still check arguments).
bool allows_call(std::span<const AllowedCall> calls, long number);
// Whether `calls` allows ioctl request `request` (on any file descriptor).
bool allows_ioctl(std::span<const AllowedCall> calls, unsigned long request);

}  // namespace berth::seccomp
