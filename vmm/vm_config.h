// Everything `berth run` was asked to do, as parsed from the command line.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vmm/boot/cpu_mode.h"
#include "vmm/gdb/listen_address.h"
#include "vmm/seccomp/seccomp_mode.h"
#include "vmm/trace/exit_filter.h"

namespace berth {

inline constexpr uint64_t kMiB = 1024 * 1024;
inline constexpr uint32_t kMaxCpus = 254;  // APIC ids 0..253 fit the MADT's xAPIC entries

// Serial console, reboot through the keyboard controller, and reboot (which
// ends Berth) on panic rather than hanging.
inline constexpr const char* kDefaultCmdline = "console=ttyS0 reboot=k panic=-1";
// The same with --console virtio: the kernel's console is hvc0, which exists
// once the guest has loaded virtio_console; messages from before are kept in
// the kernel's log buffer and replayed on hvc0.
inline constexpr const char* kDefaultVirtioConsoleCmdline = "console=hvc0 reboot=k panic=-1";

// One `--disk PATH[,ro][,serial=ID][,direct=on]`: a raw image file behind a
// virtio-blk device.
struct DiskConfig {
    std::string path;
    bool read_only = false;  // the guest sees VIRTIO_BLK_F_RO; the file is never opened for writing
    std::string serial;      // VIRTIO_BLK_T_GET_ID; at most 20 bytes (VIRTIO_BLK_ID_BYTES)
    bool direct = false;     // O_DIRECT: bypass the host page cache
};

// One `--net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]`: a TAP interface behind a
// virtio-net device.
struct NetConfig {
    std::string tap_name;
    std::optional<std::array<uint8_t, 6>> mac;  // nullopt: a locally administered one
};

// Where the guest's interactive console is: the 16550 UART (ttyS0), or
// virtio-console port 0 (hvc0). The UART is always there for early messages.
enum class ConsoleKind { kSerial, kVirtio };

// `--image FILE --mode real|protected|long [--entry ADDR]`: a bare-metal lab
// guest (a flat binary) instead of a Linux kernel; docs/lab-machine.md.
struct ImageConfig {
    std::string path;
    boot::CpuMode mode = boot::CpuMode::kReal;
    std::optional<uint64_t> entry;  // nullopt: the load address
};

// Who emulates the interrupt controllers (LAPIC, IOAPIC, PIC) and the PIT:
// KVM (kKernel, what Linux needs) or nobody (kNone: a lab machine without
// interrupts, where `hlt` exits to Berth and ends the run).
enum class IrqchipKind { kKernel, kNone };

struct VmConfig {
    std::string kernel_path;  // empty with --image
    std::optional<ImageConfig> image;
    IrqchipKind irqchip = IrqchipKind::kKernel;
    std::string initrd_path;  // empty: no initrd
    std::string cmdline = kDefaultCmdline;
    uint64_t memory_size = 512 * kMiB;
    uint32_t cpus = 1;
    bool timings = false;
    bool rng = false;  // a virtio-rng device on the PCI bus
    // --trace-boot: where the boot trace (Chrome/Perfetto JSON) goes; empty: nowhere.
    std::string trace_boot_path;
    // The exit observatory (docs/exit-observatory.md). --trace-exits[=FILTER]:
    // which exits to print as they happen (nullopt: none).
    std::optional<trace::ExitFilter> trace_exits;
    bool stats = false;           // --stats: print exit statistics when the VM stops
    std::string stats_json_path;  // --stats-json FILE: write them as JSON (empty: nowhere)
    bool collect_stats() const { return stats || !stats_json_path.empty(); }
    std::vector<DiskConfig> disks;
    std::vector<NetConfig> nets;
    ConsoleKind console = ConsoleKind::kSerial;
    std::optional<std::chrono::milliseconds> timeout;
    std::optional<gdb::ListenAddress> gdb;  // --gdb [ADDRESS:]PORT: serve gdb, start stopped
    // --seccomp: each thread's system-call allow-list (vmm/seccomp,
    // docs/seccomp.md). Off unless asked for: the main thread's filter lasts
    // as long as the process, so only a program that runs one VM and then
    // ends may turn it on. That is the berth CLI, where it is on by default.
    seccomp::Mode seccomp = seccomp::Mode::kOff;
    std::string kvm_device = "/dev/kvm";
};

}  // namespace berth
