// Everything `berth run` was asked to do, as parsed from the command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace berth {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint32_t kMaxCpus = 254;  // APIC ids 0..253 fit the MADT's xAPIC entries

// Serial console, reboot through the keyboard controller, and reboot (which
// ends Berth) on panic rather than hanging.
inline constexpr const char* kDefaultCmdline = "console=ttyS0 reboot=k panic=-1";

struct VmConfig {
    std::string kernel_path;
    std::string initrd_path;  // empty: no initrd
    std::string cmdline = kDefaultCmdline;
    uint64_t memory_size = 512 * kMiB;
    uint32_t cpus = 1;
    bool timings = false;
    bool rng = false;  // a virtio-rng device on the PCI bus
    std::optional<std::chrono::milliseconds> timeout;
    std::string kvm_device = "/dev/kvm";
};

}  // namespace berth
