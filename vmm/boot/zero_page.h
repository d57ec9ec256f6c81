// The zero page (struct boot_params) Berth hands to Linux, and the e820
// memory map inside it: what a boot loader must tell a kernel it enters
// through the 64-bit entry point (Documentation/arch/x86/boot.rst, "64-bit
// BOOT PROTOCOL" and "Details of Header Fields"; zero-page.rst for the
// layout; ACPI 6.5 §15, "System Address Map Interfaces", for the e820 types).
//
// Both functions only compute: load_linux (linux_loader.h) places the kernel,
// initrd and command line in guest memory, then writes build_zero_page's
// result at layout::kZeroPageStart. Lab 7 (docs/labs/07-boot-linux.md) has
// students write this file.
#pragma once

#include <asm/bootparam.h>

#include <cstdint>
#include <span>
#include <vector>

#include "vmm/boot/bzimage.h"
#include "vmm/memory/guest_memory.h"

namespace berth::boot {

// Usable RAM is every guest RAM region except the legacy area from the EBDA
// to 1 MiB; the EBDA and Berth's ACPI tables are listed as reserved, and the
// VGA/ROM hole between them and the MMIO hole below 4 GiB are left out (not RAM).
// Entries come sorted by address and never overlap; throws UserError if
// there would be more than E820_MAX_ENTRIES_ZEROPAGE.
std::vector<boot_e820_entry> build_e820_map(const GuestMemory& memory);

// Where load_linux put everything the zero page points at.
struct ZeroPageInputs {
    GuestAddress kernel_load;               // the protected-mode kernel (code32_start)
    GuestAddress cmdline;                   // the NUL-terminated command line (cmd_line_ptr)
    GuestAddress initrd;                    // 0 when there is no initrd (ramdisk_image)
    uint64_t initrd_size = 0;               // ramdisk_size
    GuestAddress acpi_rsdp;                 // 0: none, the guest then searches for the RSDP itself
    std::span<const boot_e820_entry> e820;  // build_e820_map's result (e820_table)
};

// The zero page for `kernel` (parsed by parse_bzimage): all zeros except the
// kernel's setup header (its first setup_header_length bytes, as the file
// declares them) with the boot loader's fields filled in (type_of_loader
// 0xff, vid_mode 0xffff, CAN_USE_HEAP added to loadflags, heap_end_ptr
// 0xfe00, code32_start, cmd_line_ptr, ramdisk_image, ramdisk_size), the high
// halves of the three 64-bit addresses and sizes (ext_cmd_line_ptr,
// ext_ramdisk_image, ext_ramdisk_size), acpi_rsdp_addr and the e820 table
// with e820_entries. Throws UserError for more than E820_MAX_ENTRIES_ZEROPAGE
// e820 entries.
boot_params build_zero_page(const BzImage& kernel, const ZeroPageInputs& in);

}  // namespace berth::boot
