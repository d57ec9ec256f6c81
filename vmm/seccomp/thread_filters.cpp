#include "vmm/seccomp/thread_filters.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <malloc.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string_view>

#include <fmt/format.h>

#include "vmm/common/error.h"
#include "vmm/common/unique_fd.h"
#include "vmm/console/raw_terminal.h"

namespace berth::seccomp {
namespace {

size_t index_of(ThreadKind kind) {
    return static_cast<size_t>(kind);
}

std::atomic<const ThreadFilters*> active_filters{nullptr};

// Which filter this thread installed: read by the SIGSYS handler, so in
// static TLS (no allocation on first use).
[[gnu::tls_model("initial-exec")]] thread_local int current_kind = -1;

// --- The violation report (Mode::kOn) ----------------------------------------

// System call names for the report, resolved by libseccomp ahead of time:
// the handler may not allocate, and libseccomp's lookup does.
constexpr size_t kNamedCalls = 512;
constexpr size_t kNameLength = 32;
char call_names[kNamedCalls][kNameLength];

void resolve_call_names() {
    static std::once_flag once;
    std::call_once(once, [] {
        for (size_t number = 0; number < kNamedCalls; ++number) {
            char* name =
                seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, static_cast<int>(number));
            if (name != nullptr) {
                std::strncpy(call_names[number], name, kNameLength - 1);
                std::free(name);
            }
        }
    });
}

// A line built without allocating, for the signal handler.
class LineBuffer {
public:
    void add(std::string_view text) {
        for (char c : text) {
            if (length_ < sizeof(bytes_)) {
                bytes_[length_++] = c;
            }
        }
    }
    void add_number(unsigned long value) {
        char digits[24];
        size_t count = 0;
        do {
            digits[count++] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        while (count > 0) {
            add(std::string_view(&digits[--count], 1));
        }
    }
    void write_to(int fd) const {
        size_t done = 0;
        while (done < length_) {
            const ssize_t written = ::write(fd, bytes_ + done, length_ - done);
            if (written <= 0) {
                return;
            }
            done += static_cast<size_t>(written);
        }
    }

private:
    char bytes_[320];
    size_t length_ = 0;
};

// SIGSYS from a trapped system call: say which thread made which call, put
// the terminal back, and end Berth. Async-signal-safe calls only (write,
// tcsetattr, _exit), all of which every list allows.
void report_violation(int, siginfo_t* info, void*) {
    const int kind = current_kind;
    const std::string_view name =
        kind >= 0 ? thread_kind_name(static_cast<ThreadKind>(kind)) : "Berth";
    LineBuffer line;
    line.add("\r\nberth: seccomp: ");
    line.add(std::string_view("aeiou").find(name.front()) != std::string_view::npos ? "an " : "a ");
    line.add(name);
    line.add(" thread made a forbidden system call ");
    const unsigned number = static_cast<unsigned>(info->si_syscall);
    line.add_number(number);
    if (info->si_arch != AUDIT_ARCH_X86_64) {
        line.add(" (of another ABI)");
    } else if (number < kNamedCalls && call_names[number][0] != '\0') {
        line.add(" (");
        line.add(call_names[number]);
        line.add(")");
    }
    line.add("; this is a bug in Berth or an attack, see docs/seccomp.md\n");
    console::restore_terminal_from_signal_handler();
    line.write_to(STDERR_FILENO);
    _exit(kViolationExitStatus);
}

void install_violation_handler() {
    struct sigaction action {};
    action.sa_sigaction = report_violation;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSYS, &action, nullptr) != 0) {
        throw SystemError("sigaction(SIGSYS)", errno);
    }
}

// Whether the kernel can filter with `action` (SECCOMP_RET_TRAP or _LOG).
void check_kernel_support(Mode mode) {
    uint32_t action = mode == Mode::kLog ? SECCOMP_RET_LOG : SECCOMP_RET_TRAP;
    if (::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) != 0) {
        const int error = errno;
        throw UserError(fmt::format(
            "--seccomp {}: this kernel cannot filter system calls that way ({}; Linux 4.14 "
            "or newer with CONFIG_SECCOMP_FILTER can); run with --seccomp off",
            mode == Mode::kLog ? "log" : "on", std::strerror(error)));
    }
}

// glibc's malloc opens files the first time some paths run, in whichever
// thread gets there, and no list lets a thread open a file:
// - the ninth arena (one per thread that allocates, up to 8 per CPU) asks
//   how many CPUs there are, from /sys/devices/system/cpu/online, unless the
//   limit is set;
// - a thread's heap that shrinks reads /proc/sys/vm/overcommit_memory, which
//   a trim threshold no heap reaches prevents.
// Both are settled here, before any filter: the same arena limit as glibc's
// default, and free memory at the top of a heap kept for reuse (large
// blocks are mmap'd and unmapped on free anyway).
void settle_malloc() {
    const long cpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
    ::mallopt(M_ARENA_MAX, static_cast<int>(std::min(8 * cpus, long{INT_MAX})));
    ::mallopt(M_TRIM_THRESHOLD, INT_MAX);
}

// --- Compiling ---------------------------------------------------------------

struct ContextDeleter {
    void operator()(void* context) const { seccomp_release(context); }
};

bool same_call(const AllowedCall& a, const AllowedCall& b) {
    if (a.number != b.number || a.checks.size() != b.checks.size()) {
        return false;
    }
    for (size_t i = 0; i < a.checks.size(); ++i) {
        if (a.checks[i].index != b.checks[i].index || a.checks[i].mask != b.checks[i].mask ||
            a.checks[i].value != b.checks[i].value) {
            return false;
        }
    }
    return true;
}

std::vector<sock_filter> compile_program(ThreadKind kind, const PolicyOptions& options,
                                         uint32_t refused_action) {
    std::unique_ptr<void, ContextDeleter> context(seccomp_init(refused_action));
    if (!context) {
        throw SystemError("seccomp_init", ENOMEM);
    }
    // A call of another ABI (i386's int 0x80) is refused the same way.
    if (const int rc = seccomp_attr_set(context.get(), SCMP_FLTATR_ACT_BADARCH, refused_action);
        rc < 0) {
        throw SystemError("seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)", -rc);
    }
    const std::vector<AllowedCall> calls = allowed_calls(kind, options);
    for (size_t i = 0; i < calls.size(); ++i) {
        const AllowedCall& call = calls[i];
        bool listed_before = false;
        for (size_t j = 0; j < i && !listed_before; ++j) {
            listed_before = same_call(calls[j], call);
        }
        if (listed_before) {
            continue;
        }
        std::vector<scmp_arg_cmp> comparisons;
        for (const ArgumentCheck& check : call.checks) {
            comparisons.push_back(
                scmp_arg_cmp{check.index, SCMP_CMP_MASKED_EQ, check.mask, check.value});
        }
        const int rc = seccomp_rule_add_exact_array(
            context.get(), SCMP_ACT_ALLOW, static_cast<int>(call.number),
            static_cast<unsigned>(comparisons.size()), comparisons.data());
        if (rc < 0) {
            throw SystemError(fmt::format("seccomp: adding {} to the {} thread's list", call.name,
                                          thread_kind_name(kind)),
                              -rc);
        }
    }
    // libseccomp writes the program to a file descriptor: a memfd here.
    UniqueFd file(::memfd_create("berth-seccomp", MFD_CLOEXEC));
    if (!file.valid()) {
        throw SystemError("memfd_create", errno);
    }
    if (const int rc = seccomp_export_bpf(context.get(), file.get()); rc < 0) {
        throw SystemError("seccomp_export_bpf", -rc);
    }
    const off_t size = ::lseek(file.get(), 0, SEEK_END);
    if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
        throw SystemError("seccomp_export_bpf: an odd-sized program", EINVAL);
    }
    std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
    if (::pread(file.get(), program.data(), static_cast<size_t>(size), 0) != size) {
        throw SystemError("reading the seccomp program back", errno != 0 ? errno : EIO);
    }
    if (program.size() > BPF_MAXINSNS) {
        throw SystemError(fmt::format("the {} thread's seccomp program is too long ({} "
                                      "instructions)",
                                      thread_kind_name(kind), program.size()),
                          E2BIG);
    }
    return program;
}

// The test hook (see kTestViolationVariable): a system call no list allows.
[[gnu::noinline]] void run_test_violation() {
    char shell[] = "/bin/sh";
    char flag[] = "-c";
    char command[64];
    std::snprintf(command, sizeof(command), "echo %s", kTestViolationMarker);
    char* const argv[] = {shell, flag, command, nullptr};
    char* const envp[] = {nullptr};
    ::execve(shell, argv, envp);
    std::fprintf(stderr, "berth: seccomp test hook: execve %s: %s\n", shell, std::strerror(errno));
}

}  // namespace

std::unique_ptr<ThreadFilters> ThreadFilters::compile(Mode mode, const PolicyOptions& options) {
    std::unique_ptr<ThreadFilters> filters(new ThreadFilters(mode));
    if (const char* hook = std::getenv(kTestViolationVariable); hook != nullptr) {
        filters->test_violation_ = parse_thread_kind_id(hook);
    }
    if (mode == Mode::kOff) {
        return filters;
    }
    check_kernel_support(mode);
    settle_malloc();
    const uint32_t refused = mode == Mode::kLog ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
    for (ThreadKind kind : kThreadKinds) {
        filters->programs_[index_of(kind)] = compile_program(kind, options, refused);
    }
    if (mode == Mode::kOn) {
        resolve_call_names();
        install_violation_handler();
    }
    return filters;
}

std::span<const sock_filter> ThreadFilters::program(ThreadKind kind) const {
    return programs_[index_of(kind)];
}

void ThreadFilters::install(ThreadKind kind) const {
    if (mode_ == Mode::kOff) {
        return;
    }
    const std::vector<sock_filter>& program = programs_[index_of(kind)];
    // Without CAP_SYS_ADMIN the kernel takes a filter only from a thread
    // that can gain no privileges (no setuid programs: Berth runs none).
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        throw SystemError("prctl(PR_SET_NO_NEW_PRIVS)", errno);
    }
    current_kind = static_cast<int>(kind);
    sock_fprog fprog{static_cast<unsigned short>(program.size()),
                     const_cast<sock_filter*>(program.data())};
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) {
        const int error = errno;
        current_kind = -1;
        throw SystemError(
            fmt::format("installing the {} thread's seccomp filter", thread_kind_name(kind)),
            error);
    }
}

ActiveFilters::ActiveFilters(const ThreadFilters* filters) {
    active_filters.store(filters, std::memory_order_release);
}

ActiveFilters::~ActiveFilters() {
    active_filters.store(nullptr, std::memory_order_release);
}

void confine_current_thread(ThreadKind kind) {
    const ThreadFilters* filters = active_filters.load(std::memory_order_acquire);
    if (filters == nullptr) {
        return;
    }
    try {
        filters->install(kind);
    } catch (const std::exception& error) {
        console::restore_terminal_from_signal_handler();
        std::fprintf(stderr, "\r\nberth: %s\n", error.what());
        _exit(1);
    }
    if (filters->test_violation() == kind) {
        run_test_violation();
    }
}

std::optional<ThreadKind> current_thread_kind() {
    if (current_kind < 0) {
        return std::nullopt;
    }
    return static_cast<ThreadKind>(current_kind);
}

}  // namespace berth::seccomp
