#include "vmm/bench/bench_command.h"

#include <memory>
#include <string>

#include "vmm/bench/startup_bench.h"
#include "vmm/bench/startup_options.h"

namespace berth::bench {
namespace {

// The option values CLI11 fills in; they outlive add_bench_command().
struct StartupTexts {
    StartupOptions options;
    std::string systems = "berth,berth-vmlinux,qemu-microvm,qemu-pc,runc,crun,docker";
    std::string memory = "512M";
};

}  // namespace

BenchCommand add_bench_command(CLI::App& berth_app) {
    auto texts = std::make_shared<StartupTexts>();
    CLI::App* bench = berth_app.add_subcommand("bench", "Measure Berth against other systems");
    bench->require_subcommand(1);

    CLI::App* startup = bench->add_subcommand(
        "startup",
        "Start one workload as a VM (Berth, QEMU) and as a container (runc, crun, docker), "
        "interleaved, many times; tables, CSV and charts of start-up time, CPU and memory");
    StartupOptions& o = texts->options;
    startup->add_option("--runs", o.runs, "measured runs per system")
        ->type_name("N")
        ->default_str("20");
    startup->add_option("--warmup", o.warmup, "rounds run first and discarded")
        ->type_name("N")
        ->default_str("1");
    startup
        ->add_option("--systems", texts->systems,
                     "comma-separated: berth,berth-stats,berth-vmlinux,qemu-microvm,qemu-pc,runc,"
                     "crun,docker (berth-stats: Berth with --stats, the exit observatory on; "
                     "berth-vmlinux: Berth booting the uncompressed kernel); those that cannot "
                     "run here are listed as skipped, with the reason")
        ->type_name("LIST")
        ->default_str(texts->systems);
    startup->add_option("--cpus", o.cpus, "vCPUs of every VM")->type_name("N")->default_str("1");
    startup->add_option("--memory", texts->memory, "memory of every VM, e.g. 256M or 1G")
        ->type_name("SIZE")
        ->default_str("512M");
    startup->add_option("--out", o.out_dir, "output folder (default build/bench/startup-DATE)")
        ->type_name("DIR");
    startup
        ->add_option("--run-timeout", o.run_timeout_minutes,
                     "minutes after which a run that has not ended fails and is killed")
        ->type_name("MINUTES")
        ->default_str("10");
    startup->add_option("--kernel", o.kernel, "the VMs' kernel (default build/guest/vmlinuz)")
        ->type_name("PATH");
    startup
        ->add_option("--vmlinux", o.vmlinux,
                     "berth-vmlinux's kernel, the same one uncompressed (default: vmlinux next "
                     "to --kernel)")
        ->type_name("PATH");
    startup
        ->add_option("--workload", o.workload,
                     "guest/build-workload's output (default build/workload)")
        ->type_name("DIR");
    startup->footer(
        "Writes runs.csv, berth-timeline.csv, results.md, startup.svg and berth-phases.svg to\n"
        "--out and prints a summary. Where /dev/kvm is nested (scripts/kvm-sandbox) only the\n"
        "ratios between systems mean anything. Exit status: 0 when every run was ok, 1 when\n"
        "some failed or no system could run, 2 on bad options.");

    auto run = [texts, startup]() -> int {
        StartupOptions options = texts->options;
        options.systems = parse_systems(texts->systems);
        options.memory_bytes = parse_memory_option(texts->memory);
        if (startup->parsed()) {
            return run_startup_bench(options);
        }
        return 2;
    };
    return BenchCommand{bench, run};
}

}  // namespace berth::bench
