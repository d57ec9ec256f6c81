#include "vmm/boot/e820.h"

#include <asm/e820.h>

#include <algorithm>

#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

// Appends the part of [start, end) that lies inside [lo, hi), if any.
void add_clipped(std::vector<boot_e820_entry>& map, uint64_t start, uint64_t end, uint64_t lo,
                 uint64_t hi, uint32_t type) {
    const uint64_t from = std::max(start, lo);
    const uint64_t to = std::min(end, hi);
    if (from < to) {
        map.push_back({from, to - from, type});
    }
}

}  // namespace

std::vector<boot_e820_entry> build_e820_map(const GuestMemory& memory) {
    const uint64_t ebda = layout::kEbdaStart.value();
    const uint64_t high = layout::kHighMemStart.value();
    std::vector<boot_e820_entry> map;
    for (const MemoryRegion& region : memory.regions()) {
        // Regions are mapped by Berth from its own layout: this cannot overflow.
        const uint64_t start = region.start.value();
        const uint64_t end = start + region.size;
        add_clipped(map, start, end, 0, ebda, E820_RAM);
        add_clipped(map, start, end, high, UINT64_MAX, E820_RAM);
    }
    // The last KiB below 640 KiB, where a PC keeps its EBDA: a PC's e820 does not call it RAM.
    map.push_back({ebda, ISA_START_ADDRESS - ebda, E820_RESERVED});
    // Reserved rather than E820_ACPI ("reclaimable"): the tables stay valid
    // for the guest's whole life, and nothing may ever allocate over them.
    map.push_back({layout::kAcpiStart.value(), layout::kAcpiSize, E820_RESERVED});

    std::sort(map.begin(), map.end(),
              [](const boot_e820_entry& a, const boot_e820_entry& b) { return a.addr < b.addr; });
    if (map.size() > E820_MAX_ENTRIES_ZEROPAGE) {
        throw UserError("the guest's memory map has more entries than the zero page can hold");
    }
    return map;
}

}  // namespace berth::boot
