// The guest's physical memory map, as the zero page's e820 table hands it to
// Linux (Documentation/arch/x86/zero-page.rst, offset 0x2d0; ACPI 6.5 §15,
// "System Address Map Interfaces", for the entry types).
#pragma once

#include <asm/bootparam.h>

#include <vector>

#include "vmm/memory/guest_memory.h"

namespace berth::boot {

// Usable RAM is every guest RAM region except the legacy area from the EBDA
// to 1 MiB; the EBDA and Berth's ACPI tables are listed as reserved, and the
// VGA/ROM hole between them and the MMIO hole below 4 GiB are left out (not RAM).
// Entries come sorted by address and never overlap; throws UserError if
// there would be more than E820_MAX_ENTRIES_ZEROPAGE.
std::vector<boot_e820_entry> build_e820_map(const GuestMemory& memory);

}  // namespace berth::boot
