// Which exits `berth run --trace-exits=FILTER` prints.
//
// FILTER is a comma-separated list of terms of three kinds:
//   reason    io, mmio, hlt, shutdown, system-event, fail-entry,
//             internal-error, intr, irq-window, unknown
//   location  port=A or port=A-B (I/O ports, at most 0xffff), and
//             addr=A or addr=A-B (guest-physical MMIO addresses);
//             numbers are decimal or 0x-hex, ranges inclusive
//   device    device=NAME (BusDevice::name(), e.g. uart-16550; "unhandled"
//             for accesses no device claimed)
// Terms of the same kind are OR'ed, the kinds are AND'ed, and a kind with
// no terms lets everything through. So "io,port=0x3f8-0x3ff" is "an I/O exit
// on a UART port", and "port=0x3f8,addr=0xd0000000" is "port 0x3f8 or the
// boot marker". A location or device term only ever matches I/O and MMIO
// exits (only they have one); a location matches when the access starts in
// its range. An empty FILTER shows every exit.
#pragma once

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vmm/trace/exit_event.h"

namespace berth::trace {

class ExitFilter {
public:
    // Every exit.
    ExitFilter() = default;

    // Parses FILTER (the text after `--trace-exits=`). A pure function:
    // throws UserError with one line naming the bad term and the fix.
    static ExitFilter parse(std::string_view text);

    bool matches(const ExitEvent& event) const;

    struct Range {
        uint64_t first = 0;
        uint64_t last = 0;  // inclusive
        bool contains(uint64_t value) const { return value >= first && value <= last; }
        bool operator==(const Range&) const = default;
    };
    const std::bitset<kExitReasonCount>& reasons() const { return reasons_; }
    const std::vector<Range>& ports() const { return ports_; }
    const std::vector<Range>& addresses() const { return addresses_; }
    const std::vector<std::string>& devices() const { return devices_; }

private:
    std::bitset<kExitReasonCount> reasons_;  // none set: any reason
    std::vector<Range> ports_;               // with addresses_: the location terms
    std::vector<Range> addresses_;
    std::vector<std::string> devices_;
};

}  // namespace berth::trace
