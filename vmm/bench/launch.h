// How each system is started: the command line of one run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/bench/system.h"

namespace berth::bench {

// What the workload prints once it runs, and just before it stops.
inline constexpr std::string_view kRunningMarker = "berth-workload: running";
inline constexpr std::string_view kExitingMarker = "berth-workload: exiting";

// Every VM boots with this command line: the serial console (QEMU's and
// Berth's ttyS0), `quiet` because each console character costs a VM exit,
// and a panic ends the VMM instead of hanging it.
inline constexpr std::string_view kVmCmdline = "console=ttyS0 quiet panic=-1 reboot=k";
// Added for a kernel-log run: guest/workload/init then runs dmesg at its end.
inline constexpr std::string_view kKernelLogParameter = "berth.kmsg";

// The Docker image guest/build-workload imports.
inline constexpr std::string_view kDockerImage = "berth-workload:latest";

struct LaunchContext {
    std::string berth;    // this executable
    std::string kernel;   // the guest kernel (bzImage)
    std::string vmlinux;  // the same kernel uncompressed (ELF), for berth-vmlinux
    std::string initrd;   // the workload's initramfs
    int cpus = 1;
    uint64_t memory_mib = 512;
    int timeout_seconds = 600;  // Berth's own --timeout: it stops itself cleanly
    // Berth only: add `berth.kmsg` to the command line, so that the workload
    // prints the kernel's log before it powers off (the kernel-log run).
    bool kernel_log = false;
    // QEMU firmware folders (-L), those that exist: SeaBIOS for -M pc,
    // qboot for -M microvm. scripts/kvm-sandbox carries them at these paths.
    std::vector<std::string> qemu_firmware_dirs;
    std::string bundle;        // runc/crun: this run's bundle folder
    std::string runtime_root;  // runc/crun: --root, their state folder
    bool no_pivot = false;     // runc/crun: --no-pivot (root is an initramfs)
};

// argv of one run; `id` names the container (runc, crun, docker).
std::vector<std::string> launch_command(SystemKind system, const LaunchContext& context,
                                        const std::string& id);

// The runtime's clean-up after a failed container run ("runc --root R
// delete --force ID"); empty for systems that need none.
std::vector<std::string> cleanup_command(SystemKind system, const LaunchContext& context,
                                         const std::string& id);

}  // namespace berth::bench
