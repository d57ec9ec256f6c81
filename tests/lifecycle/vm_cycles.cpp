// Lifecycle of a Vm inside one process (issue 6, item 7), run through
// scripts/kvm-sandbox by the integration suite:
//
//   berth-vm-cycles LAB6_IMAGE [CYCLES]
//
// 1. Cycles. CYCLES times (100 by default): build a Vm for lab 6's guest
//    (guest/labs/06-virtqueue: --image --mode protected --irqchip kernel
//    --rng, so PCI, virtio-pci, the ioeventfd event loop and MSI-X all run)
//    with a writable and a read-only virtio-blk disk besides, run it until the
//    guest writes 0 to its exit port, destroy it. The open file descriptors
//    and the threads of this process after the last cycle must be exactly
//    those after the first: nothing leaks per VM.
// 2. Stops flush. Every Vm's stop must fdatasync its writable disk (and
//    only that one): this file defines fdatasync(), which the Berth code
//    linked into it calls instead of the C library's, and records the path
//    of every descriptor synced. After each cycle (a guest exit) and after a
//    VM stopped by SIGTERM and one stopped by SIGINT (a guest that spins
//    until the signal ends it), the writable image must have been synced.
//
// The guests' console output (lab 6 prints five lines) goes to a file, not
// to stdout; it must hold CYCLES "got 16 bytes:" lines. Exit status 0 when
// every check passed, 1 otherwise; each result on stderr.
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "vmm/boot_inputs.h"
#include "vmm/run_control.h"
#include "vmm/timeline.h"
#include "vmm/vm.h"
#include "vmm/vm_config.h"

namespace {

// --- fdatasync, as Berth's code linked into this program sees it -----------

std::mutex synced_mutex;
std::vector<std::string> synced_paths;  // what each fdatasync() call synced

std::string fd_target(int fd) {
    char link[64];
    std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    char target[PATH_MAX];
    const ssize_t length = ::readlink(link, target, sizeof(target));
    return length > 0 ? std::string(target, static_cast<size_t>(length)) : std::string("?");
}

}  // namespace

// Replaces the C library's fdatasync for every caller in this executable
// (the static berth library included): records the path, then syncs.
extern "C" int fdatasync(int fd) {
    const std::string path = fd_target(fd);
    {
        std::lock_guard lock(synced_mutex);
        synced_paths.push_back(path);
    }
    return static_cast<int>(::syscall(SYS_fdatasync, fd));
}

namespace {

using berth::kMiB;

int failures = 0;

void check(bool ok, const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", ok ? "ok" : "FAIL", what.c_str());
    if (!ok) {
        ++failures;
    }
}

size_t times_synced(const std::string& path) {
    std::lock_guard lock(synced_mutex);
    size_t count = 0;
    for (const std::string& synced : synced_paths) {
        count += synced == path ? 1 : 0;
    }
    return count;
}

// fd number -> what it refers to, for this process (without the descriptor
// opendir() itself uses).
std::map<int, std::string> open_fds() {
    std::map<int, std::string> fds;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) {
        return fds;
    }
    const int own = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') {
            continue;
        }
        const int fd = std::atoi(entry->d_name);
        if (fd != own) {
            fds[fd] = fd_target(fd);
        }
    }
    ::closedir(dir);
    return fds;
}

size_t thread_count() {
    size_t count = 0;
    DIR* dir = ::opendir("/proc/self/task");
    if (dir == nullptr) {
        return 0;
    }
    while (const dirent* entry = ::readdir(dir)) {
        count += entry->d_name[0] != '.' ? 1 : 0;
    }
    ::closedir(dir);
    return count;
}

std::string describe_fds(const std::map<int, std::string>& fds) {
    std::ostringstream text;
    for (const auto& [fd, target] : fds) {
        text << " " << fd << "->" << target;
    }
    return text.str();
}

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) {
        throw std::runtime_error("cannot write " + path);
    }
}

struct Paths {
    std::string dir;
    std::string disk;     // writable
    std::string ro_disk;  // ,ro
    std::string spin;     // a real-mode guest that only spins: jmp $
    std::string console;  // the guests' console output
};

berth::VmConfig config_for(const Paths& paths, const std::string& image, berth::boot::CpuMode mode,
                           bool rng) {
    berth::VmConfig config;
    config.image = berth::ImageConfig{image, mode, std::nullopt};
    config.irqchip = berth::IrqchipKind::kKernel;  // virtio needs it
    config.rng = rng;
    config.memory_size = 64 * kMiB;
    config.disks = {berth::DiskConfig{paths.disk, false, "cycles", false},
                    berth::DiskConfig{paths.ro_disk, true, "", false}};
    // A hang ends as a failed stop, not as the test's timeout.
    config.timeout = std::chrono::minutes(10);
    return config;
}

berth::StopReason run_vm(const berth::VmConfig& config) {
    berth::BootInputs inputs = berth::load_boot_inputs(config);
    berth::Timeline timeline;
    berth::Vm vm(config, inputs, timeline);
    return vm.run();
}

size_t count_lines_starting(const std::string& path, const std::string& prefix) {
    std::ifstream in(path, std::ios::binary);
    std::string line;
    size_t count = 0;
    while (std::getline(in, line)) {
        count += line.rfind(prefix, 0) == 0 ? 1 : 0;
    }
    return count;
}

int run(const std::string& lab6_image, int cycles) {
    char dir_template[PATH_MAX];
    const char* tmp = std::getenv("TMPDIR");
    std::snprintf(dir_template, sizeof(dir_template), "%s/berth-vm-cycles.XXXXXX",
                  tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
    if (::mkdtemp(dir_template) == nullptr) {
        std::perror("mkdtemp");
        return 1;
    }
    char resolved[PATH_MAX];
    if (::realpath(dir_template, resolved) == nullptr) {
        std::perror("realpath");
        return 1;
    }
    Paths paths{resolved, std::string(resolved) + "/disk.img", std::string(resolved) + "/ro.img",
                std::string(resolved) + "/spin.bin", std::string(resolved) + "/console.out"};
    write_file(paths.disk, std::string(1 * kMiB, '\0'));
    write_file(paths.ro_disk, std::string(64 * 1024, 'r'));
    write_file(paths.spin, std::string("\xeb\xfe", 2));  // jmp $ (real mode, at 0x7c00)

    // The guests' console (the lab machine's debug console and the UART)
    // writes to stdout: send it to a file.
    const int console =
        ::open(paths.console.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (console < 0 || ::dup2(console, STDOUT_FILENO) < 0) {
        std::perror("console file");
        return 1;
    }
    ::close(console);

    // --- 1. Cycles -----------------------------------------------------------
    const auto fds_before = open_fds();
    const size_t threads_before = thread_count();
    std::map<int, std::string> fds_after_first;
    size_t threads_after_first = 0;
    int clean_stops = 0;
    int cycles_synced = 0;
    const auto cycles_config =
        config_for(paths, lab6_image, berth::boot::CpuMode::kProtected, /*rng=*/true);
    const auto started = std::chrono::steady_clock::now();
    for (int cycle = 1; cycle <= cycles; ++cycle) {
        const size_t synced_before = times_synced(paths.disk);
        const berth::StopReason reason = run_vm(cycles_config);
        if (reason.kind == berth::StopKind::kGuestExit && reason.guest_exit_status == 0) {
            ++clean_stops;
        } else {
            std::fprintf(stderr, "cycle %d stopped: %s\n", cycle, reason.detail.c_str());
        }
        cycles_synced += times_synced(paths.disk) > synced_before ? 1 : 0;
        if (cycle == 1) {
            fds_after_first = open_fds();
            threads_after_first = thread_count();
        }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto fds_after_last = open_fds();
    const size_t threads_after_last = thread_count();
    std::fprintf(stderr,
                 "%d cycles in %.1f s; open fds: %zu before, %zu after the first cycle, %zu after "
                 "the last; threads: %zu before, %zu after the first, %zu after the last\n",
                 cycles, seconds, fds_before.size(), fds_after_first.size(), fds_after_last.size(),
                 threads_before, threads_after_first, threads_after_last);
    check(clean_stops == cycles, "every guest ran to its exit port with status 0 (" +
                                     std::to_string(clean_stops) + " of " + std::to_string(cycles) +
                                     ")");
    const size_t printed = count_lines_starting(paths.console, "got 16 bytes:");
    check(printed == static_cast<size_t>(cycles),
          "every guest got its 16 random bytes through the virtqueue (" + std::to_string(printed) +
              " of " + std::to_string(cycles) + ")");
    check(fds_after_last == fds_after_first,
          "no file descriptor leaked (after the first cycle:" + describe_fds(fds_after_first) +
              "; after the last:" + describe_fds(fds_after_last) + ")");
    check(fds_after_last == fds_before, "the descriptors after the cycles are those before them");
    check(
        threads_after_last == threads_after_first && threads_after_last == 1,
        "no thread left behind (" + std::to_string(threads_after_last) + " after the last cycle)");
    check(cycles_synced == cycles, "each VM's stop flushed its writable disk (" +
                                       std::to_string(cycles_synced) + " of " +
                                       std::to_string(cycles) + " stops)");

    // --- 2. Signals: SIGTERM and SIGINT stop the VM and flush ----------------
    // Vm::run() reads SIGINT/SIGTERM from a signalfd. Sent before run()
    // starts (and blocked meanwhile), the signal is pending when it looks,
    // and ends a guest that would otherwise spin until --timeout.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    const auto spin_config = config_for(paths, paths.spin, berth::boot::CpuMode::kReal, false);
    for (const int signal_number : {SIGTERM, SIGINT}) {
        const std::string name = signal_number == SIGTERM ? "SIGTERM" : "SIGINT";
        const size_t synced_before = times_synced(paths.disk);
        ::kill(::getpid(), signal_number);
        const berth::StopReason reason = run_vm(spin_config);
        check(reason.kind == berth::StopKind::kSignal && reason.signal_number == signal_number &&
                  reason.exit_status() == 128 + signal_number,
              name + " stopped the VM (" + reason.detail + ", status " +
                  std::to_string(reason.exit_status()) + ")");
        check(times_synced(paths.disk) > synced_before,
              "the stop by " + name + " flushed the writable disk (fdatasync)");
    }
    check(times_synced(paths.ro_disk) == 0, "the read-only disk was never synced");
    const size_t on_disk = times_synced(paths.disk);
    size_t total_synced = 0;
    {
        std::lock_guard lock(synced_mutex);
        total_synced = synced_paths.size();
    }
    std::fprintf(stderr, "fdatasync calls: %zu, %zu of them on the writable disk\n", total_synced,
                 on_disk);

    for (const std::string& file : {paths.disk, paths.ro_disk, paths.spin, paths.console}) {
        ::unlink(file.c_str());
    }
    ::rmdir(paths.dir.c_str());
    std::fprintf(stderr, "%s\n", failures == 0 ? "all checks passed" : "some checks FAILED");
    return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || argc > 3) {
        std::fprintf(stderr, "usage: %s LAB6_IMAGE [CYCLES]\n", argv[0]);
        return 2;
    }
    const int cycles = argc == 3 ? std::atoi(argv[2]) : 100;
    if (cycles < 2) {
        std::fprintf(stderr, "CYCLES must be 2 or more\n");
        return 2;
    }
    try {
        return run(argv[1], cycles);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "FAIL: %s\n", error.what());
        return 1;
    }
}
