// The systems `berth bench startup` starts the workload with: three VMMs
// booting the same kernel and initramfs, and three container engines
// running the same tree.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace berth::bench {

enum class SystemKind {
    kBerth,         // this executable, `berth run`
    kBerthStats,    // the same with --stats: what the exit observatory costs when on
    kBerthVmlinux,  // the same booting the uncompressed kernel: what decompression costs
    kQemuMicrovm,   // qemu-system-x86_64 -M microvm,rtc=on -accel kvm
    kQemuPc,        // qemu-system-x86_64 -M pc -accel kvm (SeaBIOS first)
    kRunc,          // runc run --bundle
    kCrun,          // crun run --bundle
    kDocker,        // docker run, from the image imported from the same tree
};

// Every system, in the order tables and charts list them (Berth first: the
// ratios are to Berth).
std::span<const SystemKind> all_systems();

// The name on the command line and in every output: "berth", "berth-stats",
// "berth-vmlinux", "qemu-microvm", "qemu-pc", "runc", "crun", "docker".
std::string_view system_name(SystemKind kind);
std::optional<SystemKind> system_from_name(std::string_view name);

// A VMM booting a kernel (as opposed to a container engine).
bool is_vm(SystemKind kind);

// One of the Berth variants (berth, berth-stats, berth-vmlinux): they print
// --timings, which the bench checks and records.
bool is_berth(SystemKind kind);

}  // namespace berth::bench
