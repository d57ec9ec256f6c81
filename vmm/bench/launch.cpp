#include "vmm/bench/launch.h"

namespace berth::bench {
namespace {

std::vector<std::string> qemu_command(const char* machine, const LaunchContext& c) {
    std::vector<std::string> argv = {
        "qemu-system-x86_64", "-M", machine, "-accel", "kvm", "-cpu", "host", "-m",
        std::to_string(c.memory_mib), "-smp", std::to_string(c.cpus),
        // Nothing but what the workload needs: no NIC (with its option ROM),
        // no VGA, no monitor, no config files; the serial port is stdout.
        "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
        // A guest reboot (a panic with panic=-1) ends QEMU as it ends Berth.
        "-no-reboot"};
    for (const std::string& dir : c.qemu_firmware_dirs) {
        argv.insert(argv.end(), {"-L", dir});
    }
    argv.insert(argv.end(),
                {"-kernel", c.kernel, "-initrd", c.initrd, "-append", std::string(kVmCmdline)});
    return argv;
}

const char* runtime_name(SystemKind system) {
    return system == SystemKind::kRunc ? "runc" : "crun";
}

}  // namespace

std::vector<std::string> launch_command(SystemKind system, const LaunchContext& c,
                                        const std::string& id) {
    switch (system) {
        case SystemKind::kBerth:
        case SystemKind::kBerthStats:
        case SystemKind::kBerthVmlinux: {
            std::vector<std::string> argv = {
                c.berth,
                "run",
                "--kernel",
                system == SystemKind::kBerthVmlinux ? c.vmlinux : c.kernel,
                "--initrd",
                c.initrd,
                "--memory",
                std::to_string(c.memory_mib) + "M",
                "--cpus",
                std::to_string(c.cpus),
                "--cmdline",
                c.kernel_log ? std::string(kVmCmdline) + " " + std::string(kKernelLogParameter)
                             : std::string(kVmCmdline),
                "--timings",
                "--timeout",
                std::to_string(c.timeout_seconds)};
            if (system == SystemKind::kBerthStats) {
                argv.push_back("--stats");  // the exit observatory on: every exit timed and counted
            }
            return argv;
        }
        case SystemKind::kQemuMicrovm:
            // rtc=on: without an RTC the default kernel stalls for seconds
            // probing one (docs/boot.md); microvm's default under KVM has none.
            return qemu_command("microvm,rtc=on", c);
        case SystemKind::kQemuPc:
            return qemu_command("pc", c);
        case SystemKind::kRunc:
        case SystemKind::kCrun: {
            std::vector<std::string> argv = {runtime_name(system), "--root", c.runtime_root, "run",
                                             "--bundle",           c.bundle};
            if (c.no_pivot) {
                argv.push_back("--no-pivot");
            }
            argv.push_back(id);
            return argv;
        }
        case SystemKind::kDocker:
            return {"docker", "run",    "--rm", "--network",
                    "none",   "--name", id,     std::string(kDockerImage),
                    "/init"};
    }
    return {};
}

std::vector<std::string> cleanup_command(SystemKind system, const LaunchContext& c,
                                         const std::string& id) {
    switch (system) {
        case SystemKind::kRunc:
        case SystemKind::kCrun:
            return {runtime_name(system), "--root", c.runtime_root, "delete", "--force", id};
        case SystemKind::kDocker:
            return {"docker", "rm", "--force", id};
        default:
            return {};
    }
}

}  // namespace berth::bench
