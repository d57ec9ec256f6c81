// The guest kernel's milestones from its console: printk timestamps parsed,
// Linux 6.1's well-known messages recognised, whatever the way the bytes are
// split between console writes.
#include "vmm/trace/kernel_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth::trace {
namespace {

// A real boot's console (Debian's 6.1 cloud kernel on Berth, trimmed), as the
// serial driver sends it: "\r\n" line ends, and lines that are not the
// kernel's in between.
constexpr std::string_view kBoot =
    "[    0.000000] Linux version 6.1.0-18-cloud-amd64 (debian-kernel@lists.debian.org) "
    "(gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP "
    "PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)\r\n"
    "[    0.000000] Command line: console=ttyS0 reboot=k panic=-1\r\n"
    "[    0.118403] smp: Brought up 1 node, 2 CPUs\r\n"
    "[    0.131020] ACPI: Interpreter enabled\r\n"
    "[    0.140551] PCI host bridge to bus 0000:00\r\n"
    "[    0.161873] clocksource: Switched to clocksource kvm-clock\r\n"
    "[    0.208316] Freeing initrd memory: 1824K\r\n"
    "[    0.312467] Freeing unused kernel image (initmem) memory: 2796K\r\n"
    "[    0.313102] Write protecting the kernel read-only data: 22528k\r\n"
    "[    0.315881] Freeing unused kernel image (rodata/data gap) memory: 1496K\r\n"
    "[    0.316004] Run /init as init process\r\n"
    "berth-guest: loading virtio modules\r\n"
    "[    0.402113] virtio_blk virtio0: 1/0/0 default/read/poll queues\r\n"
    "[    0.403550] virtio_blk virtio0: [vda] 131072 512-byte logical blocks (67.1 MB/64.0 MiB)\r\n"
    "[    0.431337] EXT4-fs (vda): mounted filesystem with ordered data mode. Quota mode: none.\r\n"
    "Linux version is not a kernel line without its timestamp\r\n"
    "[    1.507723] reboot: Power down\r\n";

struct Expected {
    std::string_view name;
    uint64_t guest_us;
};

constexpr Expected kExpected[] = {
    {"kernel-start", 0},
    {"cpus-up", 118403},
    {"acpi-enabled", 131020},
    {"pci-host-bridge", 140551},
    {"clocksource-switched", 161873},
    {"initramfs-unpacked", 208316},
    {"init-memory-freed", 312467},  // the first "Freeing unused kernel image", not the gap
    {"init-started", 316004},
    {"virtio-blk-disk", 403550},
    {"ext4-mounted", 431337},
    {"power-down", 1507723},
};

std::span<const uint8_t> bytes_of(std::string_view text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

void expect_boot_milestones(const KernelLog& log) {
    const std::vector<KernelMilestone> milestones = log.milestones();
    ASSERT_EQ(milestones.size(), std::size(kExpected));
    for (size_t i = 0; i < milestones.size(); ++i) {
        EXPECT_EQ(milestones[i].name, kExpected[i].name) << i;
        EXPECT_EQ(milestones[i].guest_us, kExpected[i].guest_us) << kExpected[i].name;
    }
    EXPECT_EQ(milestones[7].message, "Run /init as init process");  // no timestamp, no "\r"
}

TEST(KernelLog, RecognisesABootFedInOnePiece) {
    KernelLog log;
    log.feed(bytes_of(kBoot), 1000);
    expect_boot_milestones(log);
    EXPECT_EQ(log.milestones()[0].host_us, 1000u);
}

TEST(KernelLog, SplitsAnywhereGiveTheSameMilestones) {
    // Every piece size from one byte up, so that splits land inside
    // timestamps, inside "\r\n", inside the messages matched.
    for (size_t piece = 1; piece <= 40; ++piece) {
        KernelLog log;
        for (size_t at = 0; at < kBoot.size(); at += piece) {
            log.feed(bytes_of(kBoot.substr(at, piece)), at);
        }
        SCOPED_TRACE(piece);
        expect_boot_milestones(log);
    }
}

TEST(KernelLog, HostTimeIsWhenTheLineEnded) {
    KernelLog log;
    log.feed(bytes_of("[    0.316004] Run /init as"), 500);
    log.feed(bytes_of(" init process"), 600);
    EXPECT_TRUE(log.milestones().empty());  // no line end yet
    log.feed(bytes_of("\r\n"), 700);
    ASSERT_EQ(log.milestones().size(), 1u);
    EXPECT_EQ(log.milestones()[0].host_us, 700u);
    EXPECT_EQ(log.milestones()[0].guest_us, 316004u);
}

TEST(KernelLog, KeepsTheFirstLineOfEachMilestone) {
    KernelLog log;
    log.feed(bytes_of("[    2.000000] Run /init as init process\n"
                      "[    3.000000] Run /sbin/init as init process\n"),
             0);
    ASSERT_EQ(log.milestones().size(), 1u);
    EXPECT_EQ(log.milestones()[0].guest_us, 2'000'000u);
    EXPECT_EQ(log.milestones()[0].message, "Run /init as init process");
}

TEST(KernelLog, IgnoresMessagesNotAtALineStart) {
    KernelLog log;
    log.feed(bytes_of("$ echo [    1.000000] Run /init as init process\n"
                      "x[    1.000000] reboot: Power down\n"
                      "[    1.000000]Run /init as something else\n"),
             0);
    EXPECT_TRUE(log.milestones().empty());
}

TEST(KernelLog, ALongLineKeepsItsStartAndEndsAtItsNewline) {
    KernelLog log;
    std::string line = "[    0.000000] Linux version 6.1.0 ";
    line.append(10 * KernelLog::kMaxLineLength, 'x');
    line += "[    9.000000] reboot: Power down\n";  // in the long line's dropped tail
    line += "[    1.250000] smp: Brought up 1 node, 1 CPU\n";
    log.feed(bytes_of(line), 0);
    const auto milestones = log.milestones();
    ASSERT_EQ(milestones.size(), 2u);
    EXPECT_EQ(milestones[0].name, "kernel-start");
    EXPECT_EQ(milestones[0].message.size(),
              KernelLog::kMaxLineLength - std::string_view("[    0.000000] ").size());
    EXPECT_EQ(milestones[1].name, "cpus-up");
    EXPECT_EQ(milestones[1].guest_us, 1'250'000u);
}

TEST(KernelLog, RecognisesTheVirtioConsoleAndTheOtherEnds) {
    KernelLog log;
    log.feed(bytes_of("[    0.500000] printk: console [hvc0] enabled\n"
                      "[    7.000001] Kernel panic - not syncing: Attempted to kill init!\n"
                      "[    7.100000] reboot: Restarting system\n"),
             0);
    const auto milestones = log.milestones();
    ASSERT_EQ(milestones.size(), 3u);
    EXPECT_EQ(milestones[0].name, "hvc0-console");
    EXPECT_EQ(milestones[1].name, "kernel-panic");
    EXPECT_EQ(milestones[1].guest_us, 7'000'001u);
    EXPECT_EQ(milestones[2].name, "restarting");
}

TEST(KernelLog, EveryPatternHasANameAndSomethingToMatch) {
    for (const KernelMessagePattern& pattern : kernel_milestone_patterns()) {
        EXPECT_FALSE(pattern.name.empty());
        EXPECT_FALSE(pattern.prefix.empty() && pattern.contains.empty()) << pattern.name;
    }
}

TEST(PrintkLine, ParsesTimestamps) {
    auto line = parse_printk_line("[    1.234567] hello");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->guest_us, 1'234'567u);
    EXPECT_EQ(line->message, "hello");

    line = parse_printk_line("[12345.000001] late");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->guest_us, 12'345'000'001u);

    line = parse_printk_line("[0.5] short fraction");  // scaled up
    ASSERT_TRUE(line);
    EXPECT_EQ(line->guest_us, 500'000u);

    line = parse_printk_line("[    1.234567891] nanoseconds");  // truncated
    ASSERT_TRUE(line);
    EXPECT_EQ(line->guest_us, 1'234'567u);

    line = parse_printk_line("[    2.000000][    T1] Run /init as init process");
    ASSERT_TRUE(line);  // CONFIG_PRINTK_CALLER
    EXPECT_EQ(line->message, "Run /init as init process");

    line = parse_printk_line("[    2.000000][     C0] from a CPU");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->message, "from a CPU");

    line = parse_printk_line("[    2.000000]");
    ASSERT_TRUE(line);
    EXPECT_EQ(line->message, "");
}

TEST(PrintkLine, RefusesWhatIsNotATimestamp) {
    for (std::string_view text : {"", "[", "[]", "[    ] x", "[    1] x", "[    1.] x", "[   .5] x",
                                  "[    1.5 x", "[    1.5x] x", "[ -1.000000] x", "( 1.000000) x",
                                  " [    1.000000] x", "[12345678901.000000] too many seconds",
                                  "[    1.1234567890] too many digits", "[  1,000000] x"}) {
        EXPECT_FALSE(parse_printk_line(text)) << text;
    }
}

TEST(KernelLog, PrintsMilestonesInGuestTimeOrder) {
    const std::vector<KernelMilestone> milestones{
        {"init-started", 316004, 9000, "Run /init as init process"},
        {"kernel-start", 0, 8000, "Linux version 6.1.0"},
    };
    char* text = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&text, &size);
    ASSERT_NE(out, nullptr);
    print_kernel_milestones(milestones, out);
    std::fclose(out);
    const std::string printed(text, size);
    std::free(text);
    EXPECT_EQ(printed,
              "berth: guest kernel timeline (seconds since the guest kernel started)\n"
              "berth:     0.000000 s   kernel-start\n"
              "berth:     0.316004 s   init-started\n");

    out = open_memstream(&text, &size);
    print_kernel_milestones({}, out);
    std::fclose(out);
    EXPECT_EQ(size, 0u);  // nothing at all when the kernel said nothing (quiet)
    std::free(text);
}

}  // namespace
}  // namespace berth::trace
