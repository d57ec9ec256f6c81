#include "vmm/boot/zero_page.h"

#include <asm/e820.h>

#include <algorithm>
#include <cstring>

#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

// boot.rst, type_of_loader: 0xff means "undefined", which is what a loader
// without an assigned ID must use.
constexpr uint8_t kLoaderTypeUndefined = 0xff;
// boot.rst, vid_mode: 0xffff is "normal" (80x25); Berth has no display anyway.
constexpr uint16_t kVidModeNormal = 0xffff;
// boot.rst, heap_end_ptr: end of the setup heap, relative to the real-mode
// code, minus 0x200 (the value boot.rst's sample loader uses for a modern kernel).
constexpr uint16_t kHeapEndPtr = 0xfe00;

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

boot_params build_zero_page(const BzImage& kernel, const ZeroPageInputs& in) {
    if (in.e820.size() > E820_MAX_ENTRIES_ZEROPAGE) {
        throw UserError("the guest's memory map has more entries than the zero page can hold");
    }

    // boot.rst, "64-bit BOOT PROTOCOL": start from zeros, take the kernel's
    // own setup header (parse_bzimage kept the bytes from 0x1f1 to its end,
    // 0x202 + the byte at 0x201), then fill in what a boot loader must.
    boot_params params{};
    static_assert(sizeof(params.hdr) == sizeof(kernel.setup_header_bytes));
    std::memcpy(&params.hdr, kernel.setup_header_bytes.data(),
                std::min(kernel.setup_header_length, sizeof(params.hdr)));
    params.hdr.type_of_loader = kLoaderTypeUndefined;
    params.hdr.vid_mode = kVidModeNormal;
    params.hdr.loadflags |= CAN_USE_HEAP;
    params.hdr.heap_end_ptr = kHeapEndPtr;

    // The kernel lies below 4 GiB (load_linux keeps it there). The command
    // line and the initrd do too, but their ext_ fields take the high 32 bits
    // whatever they are.
    params.hdr.code32_start = static_cast<uint32_t>(in.kernel_load.value());
    params.hdr.cmd_line_ptr = static_cast<uint32_t>(in.cmdline.value());
    params.ext_cmd_line_ptr = static_cast<uint32_t>(in.cmdline.value() >> 32);
    params.hdr.ramdisk_image = static_cast<uint32_t>(in.initrd.value());
    params.ext_ramdisk_image = static_cast<uint32_t>(in.initrd.value() >> 32);
    params.hdr.ramdisk_size = static_cast<uint32_t>(in.initrd_size);
    params.ext_ramdisk_size = static_cast<uint32_t>(in.initrd_size >> 32);
    params.acpi_rsdp_addr = in.acpi_rsdp.value();

    std::copy(in.e820.begin(), in.e820.end(), params.e820_table);
    params.e820_entries = static_cast<uint8_t>(in.e820.size());  // at most 128, checked above
    return params;
}

}  // namespace berth::boot
