// Which guest-physical ranges hold RAM for a guest of a given size.
#pragma once

#include <cstdint>
#include <vector>

#include "vmm/memory/guest_address.h"

namespace berth {

struct RamRange {
    GuestAddress start;
    uint64_t size = 0;
    GuestAddress end() const { return start + size; }
};

// RAM runs from 0 up to the MMIO hole (3 GiB); whatever does not fit below it
// continues at 4 GiB, so the hole stays free for devices.
std::vector<RamRange> x86_ram_ranges(uint64_t memory_size);

}  // namespace berth
