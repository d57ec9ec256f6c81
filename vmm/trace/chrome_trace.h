// The boot as a Chrome/Perfetto trace (`berth run --trace-boot FILE`): the
// JSON trace-event format ("Trace Event Format", Google, the "JSON Object
// Format" with a traceEvents array), which ui.perfetto.dev and
// chrome://tracing open.
//
// Two processes, each one track:
//   pid 1 "berth (host)": the Timeline's milestones and events as instant
//         events, and each stretch between consecutive ones as a complete
//         ("X") event named "A to B", starting at process start;
//   pid 2 "guest kernel": the KernelLog's milestones the same way.
// Times are microseconds ("ts", "dur"), shown in milliseconds.
//
// The guest's printk clock starts at some unknown host time. The trace puts
// guest-kernel time 0 where guest_clock_origin (guest_clock.h) estimates it:
// the latest moment it can have been, so guest events are drawn at most
// slightly late; each carries the host time Berth saw its line
// (host_seen_us). The trace says so in its otherData and the guest
// process's labels. Without first-kvm-run (the guest never ran) or without
// kernel milestones the guest track is left out.
#pragma once

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "vmm/timeline.h"
#include "vmm/trace/kernel_log.h"

namespace berth::trace {

inline constexpr int kHostPid = 1;
inline constexpr int kGuestPid = 2;

// Writes the whole trace for `host` (Timeline::entries(), any order) and
// `guest` (KernelLog::milestones(), any order) to `out`.
void write_boot_trace(std::span<const TimelineEntry> host, std::span<const KernelMilestone> guest,
                      std::ostream& out);

// The same to the file `path`, replacing it. Throws SystemError naming the
// path and the reason when it cannot be written.
void write_boot_trace_file(const std::string& path, std::span<const TimelineEntry> host,
                           std::span<const KernelMilestone> guest);

// Checks, before a VM is built, that `path` could be written: an existing
// file Berth may write, or a new name in a directory it may write to. Creates
// nothing. Throws UserError saying what is wrong, naming `option`.
void check_trace_path(const std::string& path, std::string_view option = "--trace-boot");

// `text` as a JSON string literal, quotes included (RFC 8259 §7): quotes,
// backslashes and control characters escaped, and each byte that is not part
// of valid UTF-8 replaced by U+FFFD, since guest console text may be anything.
std::string json_string(std::string_view text);

}  // namespace berth::trace
