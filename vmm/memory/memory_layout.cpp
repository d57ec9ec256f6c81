#include "vmm/memory/memory_layout.h"

#include <algorithm>

#include "vmm/layout.h"

namespace berth {

std::vector<RamRange> x86_ram_ranges(uint64_t memory_size) {
    const uint64_t below_hole = layout::kMmioHoleStart.value();
    std::vector<RamRange> ranges;
    ranges.push_back({GuestAddress(0), std::min(memory_size, below_hole)});
    if (memory_size > below_hole) {
        ranges.push_back({layout::kHighRamStart, memory_size - below_hole});
    }
    return ranges;
}

}  // namespace berth
