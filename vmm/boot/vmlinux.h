// Parsing an uncompressed Linux kernel, the ELF file `vmlinux` that a
// bzImage's decompressor would otherwise unpack at boot (the same file
// Firecracker boots). Berth copies its PT_LOAD segments to the physical
// addresses they name and enters `startup_64` (the ELF entry point) in
// 64-bit mode with %rsi pointing at the zero page, as the decompressor does
// (arch/x86/kernel/head_64.S: "someone has loaded an identity mapped page
// table for us"). Skipping the decompressor saves its copy, decompression and
// relocation work at every boot; the price is a larger file and no KASLR.
//
// ELF layout: the System V ABI's "ELF Header" and "Program Header" chapters,
// with the x86-64 psABI supplement; the types are glibc's <elf.h>.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "vmm/boot/bzimage.h"

namespace berth::boot {

// One PT_LOAD segment: file bytes [file_offset, +file_size) go to guest
// physical `address`; the rest of memory_size (the kernel's .bss) is zeroed.
struct VmlinuxSegment {
    uint64_t file_offset = 0;
    uint64_t file_size = 0;
    uint64_t memory_size = 0;
    uint64_t address = 0;
};

struct Vmlinux {
    uint64_t entry = 0;                    // physical address of startup_64
    std::vector<VmlinuxSegment> segments;  // sorted by address, never overlapping
    uint64_t load_start = 0;               // lowest segment address
    uint64_t load_end = 0;                 // end of the highest segment
};

// Whether [offset, offset + size) lies inside a file of `file_size` bytes,
// without overflowing.
bool inside_file(uint64_t offset, uint64_t size, uint64_t file_size);

// Whether `file` starts with the ELF magic (so it is not a bzImage).
bool is_elf_file(std::span<const uint8_t> file);

// Checks that `file` is a 64-bit x86 ELF executable whose loadable segments
// lie inside the file, above 1 MiB (below is Berth's boot structures) and
// below the 32-bit MMIO hole, without overlapping, and whose entry point is
// inside an executable segment's file bytes. Throws UserError with one
// sentence (without the file's path: the caller adds it) when it is not.
Vmlinux parse_vmlinux(std::span<const uint8_t> file);

// A vmlinux has no setup header of its own, so the boot loader supplies the
// one the zero page carries (boot.rst, "Details of Header Fields"): protocol
// 2.15, loaded high, 64-bit entry, not relocatable (it runs where it was
// linked, pref_address = load_start), init_size covering every segment,
// initrd below 2 GiB and x86's 2047-byte command line. Nothing in it comes
// from the file, so the rest of the loader treats both kinds of kernel alike.
BzImage vmlinux_boot_header(const Vmlinux& kernel);

}  // namespace berth::boot
