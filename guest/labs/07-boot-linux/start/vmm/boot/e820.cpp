// Lab 7 - Boot Linux: the guest's e820 memory map, for you to write.
// docs/labs/07-boot-linux.md walks through it (sections "The e820 map" and
// "Tasks"); e820.h says what build_e820_map promises, vmm/layout.h where
// everything lies, and Documentation/arch/x86/zero-page.rst (offsets 0x1e8
// and 0x2d0) where the map goes in the zero page. Until you write it,
// build_e820_map throws, so Berth refuses to boot Linux ("the e820 map is not
// written yet") and ./scripts/lab-check 7 fails.
#include "vmm/boot/e820.h"

#include <asm/e820.h>

#include <algorithm>

#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

// TODO 1 (optional helper): append the part of the guest RAM [start, end)
// that lies inside [lo, hi) to `map` as one entry of `type`, if that part is
// not empty. Clipping every RAM region against "below the EBDA" and "from
// 1 MiB up" is one way to leave the legacy area out.
[[maybe_unused]] void add_clipped(std::vector<boot_e820_entry>& map, uint64_t start, uint64_t end,
                                  uint64_t lo, uint64_t hi, uint32_t type) {
    (void)map;
    (void)start;
    (void)end;
    (void)lo;
    (void)hi;
    (void)type;
}

}  // namespace

// TODO 2: the e820 map Linux gets for `memory` (handout, "The e820 map"):
//   - E820_RAM for every byte of every region in memory.regions(), except
//     the legacy area from layout::kEbdaStart (0x9fc00) up to
//     layout::kHighMemStart (1 MiB), which no PC calls RAM;
//   - E820_RESERVED for the EBDA, [kEbdaStart, ISA_START_ADDRESS = 0xa0000),
//     and for Berth's ACPI tables, [layout::kAcpiStart, + layout::kAcpiSize);
//   - nothing at all for the VGA/ROM hole [0xa0000, 0xe0000) and the 32-bit
//     MMIO hole [layout::kMmioHoleStart, 4 GiB): they are not memory;
//   - entries sorted by address, none empty, none overlapping;
//   - more than E820_MAX_ENTRIES_ZEROPAGE (128, what the zero page's
//     e820_table holds) is a UserError.
// boot_e820_entry (<asm/bootparam.h>) is {addr, size, type}: a size, not an
// end address. Types are in <asm/e820.h> (E820_RAM 1, E820_RESERVED 2).
std::vector<boot_e820_entry> build_e820_map(const GuestMemory& memory) {
    (void)memory;
    throw UserError(
        "the e820 map is not written yet: lab 7, vmm/boot/e820.cpp (docs/labs/07-boot-linux.md)");
}

}  // namespace berth::boot
