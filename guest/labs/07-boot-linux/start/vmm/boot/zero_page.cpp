// Lab 7 - Boot Linux: the zero page Berth hands to Linux, and the e820 memory
// map inside it, for you to write. docs/labs/07-boot-linux.md walks through
// it (sections "The zero page", "The e820 map" and "Tasks"); zero_page.h
// says what both functions promise, vmm/layout.h where everything lies, and
// the kernel's Documentation/arch/x86/boot.rst ("Details of Header Fields",
// "64-bit BOOT PROTOCOL") and zero-page.rst what goes where. load_linux in
// vmm/boot/linux_loader.cpp calls them and writes the result at 0x7000.
// Until you write them they throw, so Berth refuses to boot Linux ("the zero
// page is not written yet") rather than start a kernel that would panic or
// hang on a zero page full of nothing, and ./scripts/lab-check 7 fails.
#include "vmm/boot/zero_page.h"

#include <asm/e820.h>

#include <algorithm>
#include <cstring>

#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

[[noreturn]] void not_written_yet() {
    throw UserError(
        "the zero page is not written yet: lab 7, vmm/boot/zero_page.cpp "
        "(docs/labs/07-boot-linux.md)");
}

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

// TODO 2: the e820 map Linux gets for `memory` (handout, "The e820 map";
// task 4):
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
    not_written_yet();
}

// TODO 3: the zero page for `kernel`, from where load_linux put everything
// (`in`; handout, "The zero page"; task 5), as boot.rst's "64-bit BOOT
// PROTOCOL" says:
//   - start from zeros: every field you do not set must be 0;
//   - copy the kernel's setup header into params.hdr: parse_bzimage kept the
//     file's bytes from 0x1f1 to the header's end (0x202 + the byte at
//     0x201) in kernel.setup_header_bytes, kernel.setup_header_length of
//     them; the rest of hdr stays zero;
//   - the boot loader's fields of the header (the handout's tables give the
//     values): type_of_loader, vid_mode, loadflags (keep the kernel's bits,
//     add CAN_USE_HEAP), heap_end_ptr, code32_start, cmd_line_ptr,
//     ramdisk_image and ramdisk_size;
//   - the high 32 bits of the command line's and the initrd's addresses and
//     of the initrd's size go to ext_cmd_line_ptr, ext_ramdisk_image and
//     ext_ramdisk_size (zero-page.rst, 0x0c0 to 0x0cb);
//   - acpi_rsdp_addr, and the e820 map: in.e820 into e820_table, its length
//     into e820_entries; more than E820_MAX_ENTRIES_ZEROPAGE entries is a
//     UserError.
// boot_params and setup_header are in <asm/bootparam.h>; the bit names of
// loadflags (LOADED_HIGH, CAN_USE_HEAP, ...) too.
boot_params build_zero_page(const BzImage& kernel, const ZeroPageInputs& in) {
    (void)kernel;
    (void)in;
    not_written_yet();
}

}  // namespace berth::boot
