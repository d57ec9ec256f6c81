// Where a bench ran, stated in every result file: host CPU and kernel, what
// kind of /dev/kvm, the guest kernel and the runtimes' versions. Figures
// from the nested sandbox are emulated twice over, and the report must say
// so wherever it shows an absolute time.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace berth::bench {

struct Environment {
    std::string started_at;   // "2026-11-28 19:50 UTC"
    std::string host_cpu;     // /proc/cpuinfo's model name, and the CPU count
    std::string host_kernel;  // uname: release and machine
    std::string kvm;          // what /dev/kvm is here, in words
    bool emulated = false;    // nested sandbox: only ratios count
    std::string guest_kernel;
    // (tool, first line of its --version, or why there is none), e.g.
    // ("qemu", "QEMU emulator version 7.2.19 (Debian ...)").
    std::vector<std::pair<std::string, std::string>> tools;
};

// Collects the above. `kernel_path` is the guest kernel; its version comes
// from the kernel-version file guest/build-guest writes next to it.
Environment collect_environment(const std::string& kernel_path);

// What /dev/kvm is, from /proc/cpuinfo's flags and the sandbox's
// BERTH_IN_SANDBOX: (description, emulated).
std::pair<std::string, bool> describe_kvm(const std::string& cpuinfo, bool in_sandbox);

}  // namespace berth::bench
