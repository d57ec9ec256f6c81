#include "vmm/cli/cli.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "berth_config.h"
#include "vmm/bench/bench_command.h"
#include "vmm/boot_inputs.h"
#include "vmm/cli/device_options.h"
#include "vmm/cli/size.h"
#include "vmm/common/error.h"
#include "vmm/gdb/listen_address.h"
#include "vmm/seccomp/seccomp_mode.h"
#include "vmm/trace/chrome_trace.h"
#include "vmm/trace/exit_filter.h"
#include "vmm/trace/exit_stats_report.h"
#include "vmm/trace/guest_clock.h"
#include "vmm/trace/kernel_log.h"
#include "vmm/vm.h"

namespace berth::cli {
namespace {

constexpr int kUsageError = 2;

uint64_t parse_entry_address(const std::string& text) {
    size_t used = 0;
    uint64_t value = 0;
    try {
        value = std::stoull(text, &used, 0);  // base 0: 0x7c00, 31744 and 075000 all work
    } catch (const std::exception&) {
        used = 0;
    }
    if (text.empty() || used != text.size() || text[0] == '-') {
        throw UserError(fmt::format("--entry {}: not an address; write e.g. 0x7c00", text));
    }
    return value;
}

// --kernel or --image, and what goes with each: a lab guest has no command
// line or initrd, runs on one vCPU, and without an in-kernel irqchip it has
// no interrupts for virtio devices to use.
void apply_machine_options(const CLI::App& run, const std::string& image_path,
                           const std::string& mode_text, const std::string& entry_text,
                           const std::string& irqchip_text, VmConfig& config) {
    const bool image = run.count("--image") > 0;
    if (!image && run.count("--kernel") == 0) {
        throw UserError(
            "nothing to boot: give --kernel PATH (a Linux bzImage) or --image PATH "
            "(a lab guest)");
    }
    if (!image) {
        for (const char* option : {"--mode", "--entry"}) {
            if (run.count(option) > 0) {
                throw UserError(fmt::format("{} only applies to --image lab guests", option));
            }
        }
    }
    if (irqchip_text.empty()) {
        config.irqchip = image ? IrqchipKind::kNone : IrqchipKind::kKernel;
    } else if (irqchip_text == "kernel") {
        config.irqchip = IrqchipKind::kKernel;
    } else if (irqchip_text == "none") {
        config.irqchip = IrqchipKind::kNone;
    } else {
        throw UserError(fmt::format("--irqchip {}: give kernel or none", irqchip_text));
    }
    if (!image) {
        if (config.irqchip == IrqchipKind::kNone) {
            throw UserError(
                "--irqchip none is for --image lab guests: Linux needs the in-kernel "
                "irqchip");
        }
        return;
    }
    for (const char* option : {"--initrd", "--cmdline"}) {
        if (run.count(option) > 0) {
            throw UserError(fmt::format("{} is for Linux kernels, not --image lab guests", option));
        }
    }
    if (config.cpus != 1) {
        throw UserError("--image lab guests run on one vCPU: leave out --cpus");
    }
    const bool virtio = !config.disks.empty() || !config.nets.empty() || config.rng ||
                        config.console == ConsoleKind::kVirtio;
    if (virtio && config.irqchip == IrqchipKind::kNone) {
        throw UserError("virtio devices need interrupts: add --irqchip kernel");
    }
    config.image = ImageConfig{
        image_path, boot::parse_cpu_mode(mode_text),
        entry_text.empty() ? std::nullopt : std::optional(parse_entry_address(entry_text))};
}

int run_command(const VmConfig& config) {
    // Bad input: found before anything is made.
    if (!config.trace_boot_path.empty()) {
        trace::check_trace_path(config.trace_boot_path);
    }
    if (!config.stats_json_path.empty()) {
        trace::check_trace_path(config.stats_json_path, "--stats-json");
    }
    BootInputs inputs = load_boot_inputs(config);
    Timeline timeline;
    StopReason reason;
    std::vector<trace::KernelMilestone> kernel_milestones;
    std::optional<trace::ExitReport> exit_report;
    {
        Vm vm(config, inputs, timeline);
        reason = vm.run();
        kernel_milestones = vm.kernel_log().milestones();
        if (vm.exit_report() != nullptr) {
            exit_report = *vm.exit_report();
        }
    }
    // The guest may have left the cursor mid-line.
    std::fprintf(stderr, "\r\nberth: %s\n", reason.detail.c_str());
    if (config.timings) {
        timeline.print(stderr);
        trace::print_kernel_milestones(kernel_milestones, stderr);
        trace::print_guest_clock_origin(
            trace::guest_clock_origin(timeline.entries(), kernel_milestones), stderr);
    }
    if (!config.trace_boot_path.empty()) {
        trace::write_boot_trace_file(config.trace_boot_path, timeline.entries(), kernel_milestones);
    }
    if (exit_report && config.stats) {
        trace::print_exit_report(*exit_report, stderr);
    }
    if (exit_report && !config.stats_json_path.empty()) {
        trace::write_exit_report_file(config.stats_json_path, *exit_report);
    }
    return reason.exit_status();
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Berth: a small, readable KVM virtual machine monitor", "berth"};
    app.set_version_flag("--version", std::string("berth ") + BERTH_VERSION);
    app.require_subcommand(1);

    VmConfig config;
    std::string memory_text = "512M";
    double timeout_seconds = 0;
    std::vector<std::string> disk_texts;
    std::vector<std::string> net_texts;
    std::string console_text = "serial";
    std::string gdb_text;
    std::string trace_exits_text;
    std::string seccomp_text = "on";

    CLI::App* run = app.add_subcommand("run", "Boot a Linux kernel (bzImage) in a new VM");
    std::string image_path;
    std::string mode_text = "real";
    std::string entry_text;
    std::string irqchip_text;
    CLI::Option* kernel_option =
        run->add_option("-k,--kernel", config.kernel_path,
                        "Linux kernel: a bzImage (boot protocol 2.12 or newer, 64-bit)")
            ->type_name("PATH");
    CLI::Option* image_option =
        run->add_option("--image", image_path,
                        "instead of a kernel: a flat binary (a lab guest, docs/lab-machine.md), "
                        "loaded at 0x7c00 in real mode, else at 1 MiB")
            ->type_name("PATH")
            ->excludes(kernel_option);
    kernel_option->excludes(image_option);
    run->add_option("--mode", mode_text,
                    "with --image: the CPU mode it starts in: real, "
                    "protected (flat 32-bit segments) or long (64-bit, "
                    "first 4 GiB identity-mapped)")
        ->type_name("MODE")
        ->default_str("real");
    run->add_option("--entry", entry_text,
                    "with --image: the address to start at (default: where the image loads)")
        ->type_name("ADDR");
    run->add_option(
           "--irqchip", irqchip_text,
           "interrupt controllers and PIT: kernel (KVM emulates them; the default for "
           "Linux) or none (the default with --image: hlt exits to Berth and ends the run)")
        ->type_name("KIND");
    run->add_option("-i,--initrd", config.initrd_path, "initramfs loaded next to the kernel")
        ->type_name("PATH");
    run->add_option("-p,--cmdline", config.cmdline,
                    "kernel command line; words after ' -- ' go to the guest's init")
        ->type_name("TEXT")
        ->default_str(kDefaultCmdline);
    run->add_option("-m,--memory", memory_text, "guest RAM, e.g. 256M or 2G (a bare number is MiB)")
        ->type_name("SIZE")
        ->default_str("512M");
    run->add_option("-c,--cpus", config.cpus, "number of vCPUs, 1 to 254")
        ->type_name("N")
        ->default_str("1");
    run->add_option("--disk", disk_texts,
                    "a virtio-blk disk backed by a raw image (repeatable; the first is vda): "
                    "PATH[,ro][,serial=ID][,direct=on]")
        ->type_name("PATH[,...]")
        ->allow_extra_args(false);
    run->add_option("--net", net_texts,
                    "a virtio-net interface on a host TAP device, created if missing "
                    "(repeatable): tap=NAME[,mac=52:54:00:12:34:56]")
        ->type_name("tap=NAME[,...]")
        ->allow_extra_args(false);
    run->add_option("--console", console_text,
                    "the guest's interactive console: serial (ttyS0, the 16550 UART) or virtio "
                    "(hvc0, virtio-console; the default command line then says console=hvc0)")
        ->type_name("KIND")
        ->default_str("serial");
    run->add_flag("--rng", config.rng,
                  "give the guest a virtio-rng device (entropy from the host's getrandom)");
    run->add_flag("--timings", config.timings,
                  "when the VM stops, print its boot timeline (microseconds since Berth started) "
                  "and the guest kernel's milestones");
    run->add_option("--trace-boot", config.trace_boot_path,
                    "when the VM stops, write its boot timeline and the guest kernel's "
                    "milestones to FILE as a Chrome/Perfetto trace (ui.perfetto.dev)")
        ->type_name("FILE");
    run->add_option("--trace-exits", trace_exits_text,
                    "print each VM exit on stderr as it happens, at most 2000 lines/s; FILTER: "
                    "comma-separated reasons (io, mmio, hlt, shutdown, system-event, intr, ...), "
                    "port=A[-B], addr=A[-B], device=NAME; same kind OR'ed, kinds AND'ed")
        ->type_name("[=FILTER]")
        ->expected(0, 1)
        ->allow_extra_args(false);
    run->add_flag("--stats", config.stats,
                  "when the VM stops, print its exit statistics: exits by reason, time in user "
                  "space per exit, hottest ports and MMIO addresses, KVM's own counters");
    run->add_option("--stats-json", config.stats_json_path,
                    "when the VM stops, write the exit statistics to FILE as JSON "
                    "(docs/exit-stats.schema.json)")
        ->type_name("FILE");
    run->add_option("--gdb", gdb_text,
                    "serve gdb's remote protocol on 127.0.0.1:PORT (or ADDRESS:PORT); the guest "
                    "waits for gdb's continue (docs/gdb.md)")
        ->type_name("[ADDRESS:]PORT");
    run->add_option("--timeout", timeout_seconds, "stop the VM after this many seconds")
        ->type_name("SECONDS");
    run->add_option("--seccomp", seccomp_text,
                    "each Berth thread's system-call allow-list: on (a call outside it ends "
                    "Berth with status 159), log (the kernel logs the call and lets it run) or "
                    "off (docs/seccomp.md)")
        ->type_name("MODE")
        ->default_str("on");
    run->footer(
        "The guest's console (ttyS0, or hvc0 with --console virtio) is this terminal: Ctrl-A x\n"
        "quits, Ctrl-A Ctrl-A sends Ctrl-A. Exit status: 0 when the guest powers off, reboots or\n"
        "panics (panic=-1) or you quit; 1 on a VMM error; 2 on bad input; 124 after --timeout;\n"
        "128+N on signal N.");
    const bench::BenchCommand bench_command = bench::add_bench_command(app);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp& help) {
        return app.exit(help);
    } catch (const CLI::CallForVersion& version) {
        return app.exit(version);
    } catch (const CLI::ParseError& error) {
        std::fprintf(stderr, "berth: %s (see berth --help)\n", error.what());
        return kUsageError;
    }

    try {
        if (bench_command.app->parsed()) {
            return bench_command.run();
        }
        if (run->parsed()) {
            auto memory = parse_size(memory_text);
            if (!memory || *memory == 0) {
                throw UserError(fmt::format(
                    "--memory {}: not a size; write a whole number with M or G, e.g. 512M or 2G",
                    memory_text));
            }
            config.memory_size = *memory;
            for (const std::string& text : disk_texts) {
                config.disks.push_back(parse_disk_option(text));
            }
            for (const std::string& text : net_texts) {
                config.nets.push_back(parse_net_option(text));
            }
            config.console = parse_console_option(console_text);
            apply_machine_options(*run, image_path, mode_text, entry_text, irqchip_text, config);
            if (run->count("--trace-exits") > 0) {
                config.trace_exits = trace::ExitFilter::parse(trace_exits_text);
            }
            if (config.console == ConsoleKind::kVirtio && run->count("--cmdline") == 0) {
                config.cmdline = kDefaultVirtioConsoleCmdline;
            }
            if (!gdb_text.empty()) {
                config.gdb = gdb::parse_listen_address(gdb_text);
                if (!config.gdb) {
                    throw UserError(fmt::format(
                        "--gdb {}: expected PORT or ADDRESS:PORT, e.g. 1234 or 0.0.0.0:1234",
                        gdb_text));
                }
            }
            const auto seccomp_mode = seccomp::parse_mode(seccomp_text);
            if (!seccomp_mode) {
                throw UserError(fmt::format("--seccomp {}: give on, log or off", seccomp_text));
            }
            config.seccomp = *seccomp_mode;
            if (timeout_seconds < 0) {
                throw UserError("--timeout must be a positive number of seconds");
            }
            if (timeout_seconds > 0) {
                config.timeout =
                    std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000));
            }
            return run_command(config);
        }
    } catch (const UserError& error) {
        std::fprintf(stderr, "berth: %s\n", error.what());
        return kUsageError;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "berth: error: %s\n", error.what());
        return 1;
    }
    return kUsageError;
}

}  // namespace berth::cli
