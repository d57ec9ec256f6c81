// The pure parts of `berth bench startup` that read what other programs
// write (Berth's --timings, /proc, cgroup files) or prepare what they read
// (OCI config, command lines), and how a run is judged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vmm/bench/availability.h"
#include "vmm/bench/cgroup.h"
#include "vmm/bench/environment.h"
#include "vmm/bench/launch.h"
#include "vmm/bench/memory_sample.h"
#include "vmm/bench/oci_bundle.h"
#include "vmm/bench/run_judgement.h"
#include "vmm/bench/timings.h"
#include "vmm/common/error.h"

namespace berth::bench {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

// What `berth run --timings` prints (vmm/timeline.cpp), after the guest's
// power-off line and with a named event among the milestones.
constexpr const char* kBerthStderr =
    "\r\nberth: guest powered off (ACPI S5)\n"
    "berth: boot timeline (microseconds since process start)\n"
    "berth:         2101 us  kvm-ready\n"
    "berth:         2950 us  memory-mapped\n"
    "berth:        14002 us  kernel-loaded\n"
    "berth:        14480 us  first-kvm-run\n"
    "berth:       901234 us  virtio-blk DRIVER_OK\n"
    "berth:      1503000 us  guest-init-reached\n"
    "berth:      1503999 us  first-serial-byte\n"
    "berth:      1612345 us  vm-stopped\n";

TEST(ParseTimings, ReadsEveryLineOfTheTimeline) {
    EXPECT_THAT(
        parse_timings(kBerthStderr),
        ElementsAre(TimingLine{"kvm-ready", 2101}, TimingLine{"memory-mapped", 2950},
                    TimingLine{"kernel-loaded", 14002}, TimingLine{"first-kvm-run", 14480},
                    TimingLine{"virtio-blk DRIVER_OK", 901234},
                    TimingLine{"guest-init-reached", 1503000},
                    TimingLine{"first-serial-byte", 1503999}, TimingLine{"vm-stopped", 1612345}));
}

TEST(ParseKernelTimings, PlacesTheKernelsMilestonesOnBerthsClock) {
    const std::string text =
        std::string(kBerthStderr) +
        "berth: guest kernel timeline (seconds since the guest kernel started)\n"
        "berth:     0.000000 s   kernel-start\n"
        "berth:     0.118403 s   cpus-up\r\n"
        "berth:    12.500000 s   init-started\n"
        "berth: guest kernel clock started at 400000 us (estimated)\n";
    EXPECT_THAT(parse_kernel_timings(text),
                ElementsAre(TimingLine{"kernel: clock-start", 400000},
                            TimingLine{"kernel: kernel-start", 400000},
                            TimingLine{"kernel: cpus-up", 518403},
                            TimingLine{"kernel: init-started", 12900000}));
    // The host's lines are not the kernel's, and the kernel's are not the host's.
    EXPECT_EQ(parse_timings(text), parse_timings(kBerthStderr));
}

TEST(ParseKernelTimings, NothingWithoutTheClockLineOrForMalformedLines) {
    EXPECT_TRUE(parse_kernel_timings(kBerthStderr).empty());
    EXPECT_TRUE(parse_kernel_timings("berth:     0.000000 s   kernel-start\n").empty());
    const char* text =
        "berth:     1.5 s   short-fraction\n"  // not six digits
        "berth:     1.500000 ms  wrong-unit\n"
        "berth:     x.500000 s   not-a-number\n"
        "berth:     2.000000 s   \n"  // no name
        "berth:     3.000000 s   cpus-up\n"
        "berth: guest kernel clock started at 7 ms (estimated)\n"  // not microseconds
        "berth: guest kernel clock started at 1000 us (estimated)\n";
    EXPECT_THAT(parse_kernel_timings(text), ElementsAre(TimingLine{"kernel: clock-start", 1000},
                                                        TimingLine{"kernel: cpus-up", 3001000}));
}

TEST(ParseTimings, IgnoresOtherLinesAndKeepsTheFirstOfARepeatedName) {
    const char* text =
        "berth: warning: /dev/kvm is slow\n"
        "berth: 12 us\n"            // no name
        "berth: x12 us  bad\n"      // no number
        "berth:     5 ms  wrong\n"  // not microseconds
        "berth:     7 us  kvm-ready\r\n"
        "guest text 9 us  kvm-ready\n"
        "berth:     8 us  kvm-ready\n"
        "berth:    10 us  vm-stopped";  // no final newline
    EXPECT_THAT(parse_timings(text),
                ElementsAre(TimingLine{"kvm-ready", 7}, TimingLine{"vm-stopped", 10}));
    EXPECT_TRUE(parse_timings("").empty());
}

TEST(ParseSmapsRollup, RssAndPssInKib) {
    const char* text =
        "55d0c0a00000-7ffd1b5f3000 ---p 00000000 00:00 0                          [rollup]\n"
        "Rss:              524836 kB\n"
        "Pss:              519320 kB\n"
        "Pss_Dirty:        512000 kB\n"
        "Pss_Anon:         511000 kB\n"
        "Shared_Clean:       5600 kB\n";
    const MemoryUse use = parse_smaps_rollup(text);
    EXPECT_EQ(use.rss_kib, 524836u);
    EXPECT_EQ(use.pss_kib, 519320u);  // not Pss_Dirty or Pss_Anon
    EXPECT_EQ(parse_smaps_rollup("").rss_kib, 0u);
}

TEST(ProcessTree, IncludesThisProcess) {
    EXPECT_THAT(process_tree(::getpid()), ::testing::Contains(::getpid()));
    EXPECT_GT(sample_tree_memory(::getpid()).rss_kib, 0u);
}

TEST(ParseCpuStat, UsageInMilliseconds) {
    EXPECT_THAT(parse_cpu_stat_ms("usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n"),
                Optional(123.456));
    EXPECT_EQ(parse_cpu_stat_ms("user_usec 5\n"), std::nullopt);
    EXPECT_EQ(parse_cpu_stat_ms(""), std::nullopt);
}

TEST(RootIsInitramfs, TheLastMountOnSlashDecides) {
    EXPECT_TRUE(root_is_initramfs("none / rootfs rw 0 0\nproc /proc proc rw 0 0\n"));
    EXPECT_TRUE(root_is_initramfs("rootfs / rootfs rw,size=4000k 0 0\n"));
    EXPECT_FALSE(root_is_initramfs("/dev/vda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\n"));
    // An initramfs that switched to a real root: that root is in use.
    EXPECT_FALSE(root_is_initramfs("rootfs / rootfs rw 0 0\n/dev/vda / ext4 rw 0 0\n"));
    EXPECT_FALSE(root_is_initramfs(""));
}

constexpr const char* kConfig = R"({
	"ociVersion": "1.0.2-dev",
	"root": {
		"path": "../rootfs",
		"readonly": true
	},
	"linux": {
		"namespaces": []
	}
})";

TEST(AdaptOciConfig, AbsoluteRootAndTheRunsCgroup) {
    EXPECT_EQ(adapt_oci_config(kConfig, "/w/rootfs", std::string("/berth-bench-1/run-2/container")),
              R"({
	"ociVersion": "1.0.2-dev",
	"root": {
		"path": "/w/rootfs",
		"readonly": true
	},
	"linux": { "cgroupsPath": "/berth-bench-1/run-2/container",
		"namespaces": []
	}
})");
}

TEST(AdaptOciConfig, WithoutCgroupAndWithOddCharacters) {
    const std::string adapted = adapt_oci_config(kConfig, R"(/a "b"\c)", std::nullopt);
    EXPECT_THAT(adapted, HasSubstr(R"("path": "/a \"b\"\\c")"));
    EXPECT_THAT(adapted, ::testing::Not(HasSubstr("cgroupsPath")));
}

TEST(AdaptOciConfig, RefusesAForeignConfig) {
    EXPECT_THROW(adapt_oci_config(R"({"root": {"path": "rootfs"}, "linux": {}})", "/r", {}),
                 UserError);
    EXPECT_THROW(adapt_oci_config(R"({"root": {"path": "../rootfs"}})", "/r", {}), UserError);
}

LaunchContext test_context() {
    LaunchContext c;
    c.berth = "/repo/build/berth";
    c.kernel = "/repo/build/guest/vmlinuz";
    c.vmlinux = "/repo/build/guest/vmlinux";
    c.initrd = "/repo/build/workload/initrd.img";
    c.cpus = 2;
    c.memory_mib = 256;
    c.timeout_seconds = 600;
    c.qemu_firmware_dirs = {"/usr/share/seabios"};
    c.bundle = "/out/bundles/runc";
    c.runtime_root = "/out/bundles/runc-state";
    return c;
}

std::string joined(const std::vector<std::string>& argv) {
    std::string text;
    for (const std::string& arg : argv) {
        text += (text.empty() ? "" : " ") + arg;
    }
    return text;
}

TEST(LaunchCommand, VmmsBootTheSameKernelInitrdAndSizes) {
    const LaunchContext c = test_context();
    EXPECT_EQ(joined(launch_command(SystemKind::kBerth, c, "id")),
              "/repo/build/berth run --kernel /repo/build/guest/vmlinuz --initrd "
              "/repo/build/workload/initrd.img --memory 256M --cpus 2 --cmdline console=ttyS0 "
              "quiet panic=-1 reboot=k --timings --timeout 600");
    EXPECT_EQ(joined(launch_command(SystemKind::kQemuMicrovm, c, "id")),
              "qemu-system-x86_64 -M microvm,rtc=on -accel kvm -cpu host -m 256 -smp 2 "
              "-nodefaults -no-user-config -display none -serial stdio -no-reboot "
              "-L /usr/share/seabios -kernel /repo/build/guest/vmlinuz -initrd "
              "/repo/build/workload/initrd.img -append console=ttyS0 quiet panic=-1 reboot=k");
    // berth-stats: the same command with the exit observatory on.
    EXPECT_EQ(joined(launch_command(SystemKind::kBerthStats, c, "id")),
              joined(launch_command(SystemKind::kBerth, c, "id")) + " --stats");
    EXPECT_EQ(system_from_name("berth-stats"), SystemKind::kBerthStats);
    EXPECT_TRUE(is_vm(SystemKind::kBerthStats));
    // berth-vmlinux: the same command with the uncompressed kernel.
    std::string with_vmlinux = joined(launch_command(SystemKind::kBerth, c, "id"));
    with_vmlinux.replace(with_vmlinux.find("vmlinuz"), 7, "vmlinux");
    EXPECT_EQ(joined(launch_command(SystemKind::kBerthVmlinux, c, "id")), with_vmlinux);
    EXPECT_EQ(system_from_name("berth-vmlinux"), SystemKind::kBerthVmlinux);
    EXPECT_TRUE(is_vm(SystemKind::kBerthVmlinux));
    EXPECT_TRUE(is_berth(SystemKind::kBerthVmlinux));
    // The kernel-log run: the same with berth.kmsg on the kernel command line.
    LaunchContext kernel_log = c;
    kernel_log.kernel_log = true;
    std::string with_kmsg = joined(launch_command(SystemKind::kBerth, c, "id"));
    with_kmsg.replace(with_kmsg.find("reboot=k"), 8, "reboot=k berth.kmsg");
    EXPECT_EQ(joined(launch_command(SystemKind::kBerth, kernel_log, "id")), with_kmsg);
    EXPECT_FALSE(is_berth(SystemKind::kQemuMicrovm));
    const auto pc = launch_command(SystemKind::kQemuPc, c, "id");
    EXPECT_EQ(pc[2], "pc");
    EXPECT_EQ(pc.back(), std::string(kVmCmdline));
}

TEST(LaunchCommand, ContainersRunTheBundle) {
    LaunchContext c = test_context();
    EXPECT_EQ(joined(launch_command(SystemKind::kRunc, c, "b-1")),
              "runc --root /out/bundles/runc-state run --bundle /out/bundles/runc b-1");
    c.no_pivot = true;
    EXPECT_EQ(joined(launch_command(SystemKind::kCrun, c, "b-2")),
              "crun --root /out/bundles/runc-state run --bundle /out/bundles/runc --no-pivot b-2");
    EXPECT_EQ(joined(cleanup_command(SystemKind::kCrun, c, "b-2")),
              "crun --root /out/bundles/runc-state delete --force b-2");
    EXPECT_EQ(joined(launch_command(SystemKind::kDocker, c, "b-3")),
              "docker run --rm --network none --name b-3 berth-workload:latest /init");
    EXPECT_TRUE(cleanup_command(SystemKind::kBerth, c, "b-4").empty());
}

HostFacts everything_there() {
    HostFacts facts;
    facts.qemu = facts.runc = facts.crun = facts.docker = true;
    facts.docker_daemon = facts.docker_image = facts.root = true;
    facts.cgroups = CgroupMode::kUnified;
    return facts;
}

TEST(SkipReason, NoneWhenEverythingIsThere) {
    for (SystemKind system : all_systems()) {
        EXPECT_EQ(skip_reason(system, everything_there()), std::nullopt) << system_name(system);
    }
}

TEST(SkipReason, SaysWhyEachSystemCannotRun) {
    HostFacts facts = everything_there();
    facts.kvm_problem = "/dev/kvm: No such file or directory";
    EXPECT_THAT(skip_reason(SystemKind::kBerth, facts), Optional(HasSubstr("/dev/kvm")));
    EXPECT_THAT(skip_reason(SystemKind::kBerthVmlinux, facts), Optional(HasSubstr("/dev/kvm")));
    EXPECT_THAT(skip_reason(SystemKind::kQemuPc, facts), Optional(HasSubstr("/dev/kvm")));
    EXPECT_EQ(skip_reason(SystemKind::kRunc, facts), std::nullopt);

    facts = everything_there();
    facts.qemu = false;
    EXPECT_THAT(skip_reason(SystemKind::kQemuMicrovm, facts), Optional(HasSubstr("not installed")));
    facts.runc = false;
    EXPECT_THAT(skip_reason(SystemKind::kRunc, facts), Optional(HasSubstr("apt-get install runc")));
    EXPECT_EQ(skip_reason(SystemKind::kCrun, facts), std::nullopt);

    facts = everything_there();
    facts.root = false;
    EXPECT_THAT(skip_reason(SystemKind::kCrun, facts), Optional(HasSubstr("root")));
    facts = everything_there();
    facts.cgroups = CgroupMode::kNone;
    EXPECT_THAT(skip_reason(SystemKind::kRunc, facts), Optional(HasSubstr("mount -t cgroup2")));
    facts.cgroups = CgroupMode::kHybrid;
    EXPECT_EQ(skip_reason(SystemKind::kRunc, facts), std::nullopt);
    EXPECT_THAT(skip_reason(SystemKind::kCrun, facts), Optional(HasSubstr("hybrid")));

    facts = everything_there();
    facts.docker_image = false;
    EXPECT_THAT(skip_reason(SystemKind::kDocker, facts), Optional(HasSubstr("build-workload")));
    facts.docker_daemon = false;
    EXPECT_THAT(skip_reason(SystemKind::kDocker, facts), Optional(HasSubstr("no Docker daemon")));
}

TEST(DescribeKvm, SandboxHardwareNestedOrNone) {
    const std::string svm = "processor\t: 0\nflags\t\t: fpu sse2 svm\n";
    const std::string nested = "flags\t\t: fpu vmx hypervisor\n";
    EXPECT_TRUE(describe_kvm(svm, true).second);
    EXPECT_THAT(describe_kvm(svm, true).first, HasSubstr("nested sandbox"));
    EXPECT_FALSE(describe_kvm(svm, false).second);
    EXPECT_EQ(describe_kvm(svm, false).first, "hardware-assisted KVM");
    EXPECT_THAT(describe_kvm(nested, false).first, HasSubstr("itself a VM"));
    EXPECT_THAT(describe_kvm("flags\t: fpu hypervisor\n", false).first,
                HasSubstr("no hardware virtualisation"));
}

ProcessOutcome good_outcome() {
    ProcessOutcome o;
    o.started = true;
    o.exit_code = 0;
    o.running_ms = 1500.25;
    o.exit_ms = 1700.5;
    o.cpu_ms = 1650;
    o.max_rss_kib = 180000;
    o.peak_tree_rss_kib = 175000;
    o.peak_tree_pss_kib = 170000;
    o.memory_samples = 60;
    o.out = "berth-workload: running\nberth-workload: work done (1)\nberth-workload: exiting\n";
    o.err = kBerthStderr;
    return o;
}

TEST(JudgeRun, AGoodRunKeepsEveryFigure) {
    const RunRecord r =
        judge_run(SystemKind::kBerth, 3, 2, good_outcome(), CgroupFigures{1700.0, 190000});
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.detail, "");
    EXPECT_EQ(r.round, 3);
    EXPECT_EQ(r.position, 2);
    EXPECT_THAT(r.wall_running_ms, Optional(1500.25));
    EXPECT_THAT(r.wall_exit_ms, Optional(1700.5));
    EXPECT_THAT(r.cpu_ms, Optional(1650.0));
    EXPECT_THAT(r.rss_kib, Optional(180000u));  // ru_maxrss beat the samples
    EXPECT_THAT(r.pss_kib, Optional(170000u));
    EXPECT_THAT(r.cgroup_cpu_ms, Optional(1700.0));
    EXPECT_THAT(r.cgroup_peak_kib, Optional(190000u));
}

TEST(JudgeRun, SaysWhyARunFailed) {
    auto detail = [](auto change, SystemKind system = SystemKind::kQemuPc) {
        ProcessOutcome o = good_outcome();
        change(o);
        const RunRecord r = judge_run(system, 1, 1, o, {});
        EXPECT_FALSE(r.ok);
        return r.detail;
    };
    EXPECT_EQ(detail([](ProcessOutcome& o) {
                  o.started = false;
                  o.start_error = "cannot run runc: No such file or directory";
              }),
              "cannot run runc: No such file or directory");
    EXPECT_THAT(detail([](ProcessOutcome& o) {
                    o.timed_out = true;
                    o.exit_ms = 600000;
                }),
                HasSubstr("timed out after 600 s"));
    EXPECT_THAT(detail([](ProcessOutcome& o) {
                    o.timed_out = true;
                    o.left_behind = true;
                }),
                HasSubstr("left behind"));
    EXPECT_EQ(detail([](ProcessOutcome& o) {
                  o.exit_code = 1;
                  o.err = "qemu-system-x86_64: failed to initialize kvm: No such file\n\n";
              }),
              "exit status 1: qemu-system-x86_64: failed to initialize kvm: No such file");
    EXPECT_THAT(detail([](ProcessOutcome& o) { o.running_ms.reset(); }),
                HasSubstr("no 'berth-workload: running' line"));
    EXPECT_THAT(detail([](ProcessOutcome& o) { o.out = "berth-workload: running\n"; }),
                HasSubstr("did not finish"));
    EXPECT_THAT(
        detail([](ProcessOutcome& o) { o.err = "berth: guest powered off\n"; }, SystemKind::kBerth),
        HasSubstr("guest-init-reached"));
}

TEST(JudgeRun, DockerHasNoCgroupFigures) {
    const RunRecord r = judge_run(SystemKind::kDocker, 1, 1, good_outcome(), {5.0, 6});
    EXPECT_EQ(r.cgroup_cpu_ms, std::nullopt);
    EXPECT_EQ(r.cgroup_peak_kib, std::nullopt);
}

}  // namespace
}  // namespace berth::bench
