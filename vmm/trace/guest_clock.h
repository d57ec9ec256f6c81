// Where the guest kernel's clock starts on Berth's clock.
//
// The kernel stamps its log lines with its own clock ("[    1.234567] ..."),
// which starts at 0 some time after the vCPU first ran: after a bzImage has
// decompressed itself and the kernel's early C code has set up its clock.
// Berth never sees that moment, but it knows bounds for it:
//   - lower: first-kvm-run; the kernel cannot start before the vCPU runs;
//   - upper: for each recognised line, the host time Berth saw it minus its
//     guest time (a line cannot arrive before it was printed);
//   - upper: the host's guest-init-reached (the boot marker, init's first
//     act) minus the guest's init-started (the kernel's "Run /init" line,
//     printed just before it starts init). With `quiet` this is the only
//     close bound: the other lines are then only seen later, when init prints
//     the kernel log (the bench's workload does so with `berth.kmsg`).
// The estimate is the tightest upper bound, but never before the lower one:
// the latest the clock can have started, so guest events drawn on the host's
// clock are at most slightly late, never early. The gap from first-kvm-run to
// it is the kernel's time before its clock: decompression and early set-up.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "vmm/timeline.h"
#include "vmm/trace/kernel_log.h"

namespace berth::trace {

// Microseconds since Berth's process start at which guest-kernel time 0 lies,
// as above; nullopt without first-kvm-run (the guest never ran) or without
// any kernel milestone.
std::optional<uint64_t> guest_clock_origin(std::span<const TimelineEntry> host,
                                           std::span<const KernelMilestone> guest);

// "berth: guest kernel clock started at N us (estimated)", the line
// `--timings` prints after the guest kernel timeline; nothing when unknown.
void print_guest_clock_origin(std::optional<uint64_t> origin_us, std::FILE* out);

}  // namespace berth::trace
