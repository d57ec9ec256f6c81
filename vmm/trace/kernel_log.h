// Guest kernel milestones, read from the guest's console output.
//
// Linux prefixes each console line with the time of its printk when built with
// CONFIG_PRINTK_TIME (Debian's kernels are): "[    1.234567] message", in
// seconds since the kernel's clock started, which is shortly after the kernel
// has decompressed itself and begun its C code. KernelLog watches the byte
// stream for such lines and keeps the first line matching each of a few
// well-known Linux 6.1 messages (kernel_milestone_patterns()), so that a boot
// can be split into the kernel's own phases. With `quiet` on the command line
// most of these lines are not printed, and then there is nothing to record.
//
// Times are the guest's clock, not Berth's: they are kept apart from host
// times, and only the trace writer lines the two clocks up.
//
// Memory is bounded: one line buffer of at most kMaxLineLength bytes (a longer
// line keeps its start, which is all the matching needs) and at most one
// milestone per pattern.
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth::trace {

// A recognised kernel message.
struct KernelMilestone {
    std::string name;     // "kernel-start", "init-started", ... (kernel_milestone_patterns())
    uint64_t guest_us;    // the printk timestamp, in microseconds of the guest kernel's clock
    uint64_t host_us;     // when Berth saw the line, microseconds since Berth's process start
    std::string message;  // the line after its timestamp, at most kMaxLineLength bytes
    bool operator==(const KernelMilestone&) const = default;
};

// One well-known message: a line whose message starts with `prefix` and, if
// `contains` is not empty, also contains `contains`, is milestone `name`.
struct KernelMessagePattern {
    std::string_view name;
    std::string_view prefix;
    std::string_view contains;
};

// The messages KernelLog recognises, in the order a boot prints them.
std::span<const KernelMessagePattern> kernel_milestone_patterns();

// A console line split into its printk timestamp and message.
struct PrintkLine {
    uint64_t guest_us;
    std::string_view message;
};

// Parses "[ SECONDS.FRACTION] message" at the start of `line` (leading spaces
// inside the brackets, 1 to 9 fraction digits, and an optional
// CONFIG_PRINTK_CALLER field such as "[    T1]" after it); nullopt for a line
// that does not start with a timestamp.
std::optional<PrintkLine> parse_printk_line(std::string_view line);

class KernelLog {
public:
    // Bytes of one line kept; the rest of a longer line is skipped.
    static constexpr size_t kMaxLineLength = 512;

    // Feeds console output as it arrives, split anywhere; `host_us` is when it
    // arrived (Timeline::now_since_process_start_us()). Any thread: calls are
    // serialised, since both the UART and virtio-console write the console.
    void feed(std::span<const uint8_t> bytes, uint64_t host_us);

    // The milestones recognised so far, in the order their lines arrived.
    std::vector<KernelMilestone> milestones() const;

private:
    void end_line_locked(uint64_t host_us);

    mutable std::mutex mutex_;  // protects everything below
    std::string line_;          // the current line, up to kMaxLineLength bytes
    std::vector<KernelMilestone> milestones_;
};

// "berth: guest kernel timeline (seconds since the guest kernel started)" and
// one line per milestone in guest-time order, "berth: <seconds> s   <name>"
// (no " us  ", so scripts reading the host lines skip them); nothing when empty.
void print_kernel_milestones(std::span<const KernelMilestone> milestones, std::FILE* out);

}  // namespace berth::trace
