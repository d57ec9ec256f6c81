#include "vmm/boot/linux_loader.h"

#include <asm/bootparam.h>
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "vmm/boot/guest_write.h"
#include "vmm/boot/zero_page.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

constexpr uint64_t kPageSize = 0x1000;
constexpr uint64_t kMiB = 1ull << 20;

constexpr uint64_t align_down(uint64_t value, uint64_t alignment) {
    return value & ~(alignment - 1);
}

// nullopt when rounding up would wrap; `alignment` must be a power of two.
std::optional<uint64_t> checked_align_up(uint64_t value, uint64_t alignment) {
    uint64_t sum = 0;
    if (__builtin_add_overflow(value, alignment - 1, &sum)) {
        return std::nullopt;
    }
    return align_down(sum, alignment);
}

// Copies file bytes [offset, +size) to guest `address`, straight from the
// file when it is one (file_bytes.h).
void copy_file_to_guest(const GuestMemory& memory, GuestAddress address, const FileBytes& file,
                        uint64_t offset, uint64_t size, std::string_view what) {
    file.copy_to(offset, guest_room(memory, address, size, what), what);
}

uint64_t reserved_size(const BzImage& kernel) {
    return std::max<uint64_t>(kernel.init_size, kernel.payload_size);
}

// The lowest address the kernel may be loaded at: 1 MiB rounded up to its
// alignment when it is relocatable (boot.rst, relocatable_kernel), else the
// address it was linked for (boot.rst, pref_address).
uint64_t lowest_load_address(const BzImage& kernel) {
    if (kernel.relocatable) {
        // kernel_alignment is a power of two below 4 GiB (parse_bzimage checks it).
        return *checked_align_up(layout::kHighMemStart.value(), kernel.kernel_alignment);
    }
    if (kernel.pref_address < layout::kHighMemStart.value()) {
        throw UserError(fmt::format(
            "the kernel is not relocatable and must load at {:#x}, below 1 MiB where Berth keeps "
            "its boot structures",
            kernel.pref_address));
    }
    return kernel.pref_address;
}

void check_cmdline_length(const BzImage& kernel, uint64_t length) {
    if (length > kernel.cmdline_size) {
        throw UserError(fmt::format(
            "the kernel command line is {} bytes long, but this kernel accepts at most {}", length,
            kernel.cmdline_size));
    }
    if (length > layout::kCmdlineMaxSize - 1) {
        throw UserError(fmt::format(
            "the kernel command line is {} bytes long, but Berth has room for at most {}", length,
            layout::kCmdlineMaxSize - 1));
    }
}

struct Placement {
    uint64_t kernel = 0;
    uint64_t initrd = 0;  // 0 when there is no initrd
};

// Puts the kernel at `load_address` and the initrd as high as possible below
// both its limit and `ram_end` (boot.rst, initrd_addr_max: "the maximum
// address that may be occupied by the initial ramdisk/ramfs contents"), and
// above everything the kernel claims. nullopt when that does not fit.
std::optional<Placement> place(const BzImage& kernel, uint64_t load_address, uint64_t initrd_size,
                               uint64_t ram_end) {
    uint64_t kernel_end = 0;
    if (__builtin_add_overflow(load_address, reserved_size(kernel), &kernel_end) ||
        kernel_end > ram_end) {
        return std::nullopt;
    }
    if (initrd_size == 0) {
        return Placement{load_address, 0};
    }
    const uint64_t top = std::min(uint64_t{kernel.initrd_addr_max} + 1, ram_end);
    if (initrd_size > top) {
        return std::nullopt;
    }
    const uint64_t initrd = align_down(top - initrd_size, kPageSize);
    if (initrd < kernel_end) {
        return std::nullopt;
    }
    return Placement{load_address, initrd};
}

// End of the RAM region at guest address 0, the only one below 4 GiB.
uint64_t low_ram_end(const GuestMemory& memory) {
    for (const MemoryRegion& region : memory.regions()) {
        if (region.start.value() == 0) {
            return region.size;
        }
    }
    throw UserError("guest memory has no RAM at address 0, where the boot structures go");
}

}  // namespace

uint64_t minimum_memory_size(const BzImage& kernel, uint64_t initrd_size, uint64_t cmdline_length) {
    check_cmdline_length(kernel, cmdline_length);
    const uint64_t load_address = lowest_load_address(kernel);

    uint64_t kernel_end = 0;
    std::optional<uint64_t> kernel_pages;
    std::optional<uint64_t> initrd_pages = checked_align_up(initrd_size, kPageSize);
    uint64_t needed = 0;
    if (__builtin_add_overflow(load_address, reserved_size(kernel), &kernel_end) ||
        !(kernel_pages = checked_align_up(kernel_end, kPageSize)) || !initrd_pages ||
        __builtin_add_overflow(*kernel_pages, *initrd_pages, &needed) ||
        needed > layout::kMmioHoleStart.value()) {
        throw UserError(fmt::format(
            "the kernel and initrd need more than the {} MiB of RAM below the 32-bit MMIO hole",
            layout::kMmioHoleStart.value() / kMiB));
    }
    // The initrd ends at the lower of the memory's end and initrd_addr_max + 1,
    // so beyond that limit more memory does not help.
    if (initrd_size > 0 && needed > uint64_t{kernel.initrd_addr_max} + 1) {
        throw UserError(fmt::format(
            "the initrd ({} MiB) does not fit between the kernel and {:#x}, the highest address "
            "this kernel accepts for an initrd",
            (initrd_size + kMiB - 1) / kMiB, kernel.initrd_addr_max));
    }
    return needed;
}

namespace {

// Everything but the kernel's own bytes, for both kinds of kernel: where the
// kernel goes (from `kernel`'s header), the initrd, the command line and the
// zero page. The caller copies the kernel to the returned kernel_load and
// sets entry_point.
LinuxBootInfo place_and_describe(const GuestMemory& memory, const BzImage& kernel,
                                 const FileBytes& initrd, std::string_view cmdline,
                                 GuestAddress acpi_rsdp) {
    check_cmdline_length(kernel, cmdline.size());
    if (cmdline.find('\0') != std::string_view::npos) {
        throw UserError("the kernel command line contains a NUL byte");
    }

    // Prefer pref_address (boot.rst: a relocatable kernel "should be loaded
    // at" it if possible); otherwise the lowest address the kernel accepts.
    const uint64_t ram_end = low_ram_end(memory);
    std::optional<Placement> placement;
    if (kernel.pref_address >= layout::kHighMemStart.value() &&
        (!kernel.relocatable || kernel.pref_address % kernel.kernel_alignment == 0)) {
        placement = place(kernel, kernel.pref_address, initrd.size(), ram_end);
    }
    if (!placement && kernel.relocatable) {
        placement = place(kernel, lowest_load_address(kernel), initrd.size(), ram_end);
    }
    if (!placement) {
        const uint64_t needed = minimum_memory_size(kernel, initrd.size(), cmdline.size());
        throw UserError(
            fmt::format("memory too small for the kernel and initrd: needs at least {} MiB",
                        (needed + kMiB - 1) / kMiB));
    }
    const GuestAddress kernel_load(placement->kernel);
    const GuestAddress initrd_start(placement->initrd);

    if (!initrd.empty()) {
        copy_file_to_guest(memory, initrd_start, initrd, 0, initrd.size(), "the initrd");
    }
    // Checked above: the command line and its NUL fit into kCmdlineMaxSize.
    // char and uint8_t have the same size and representation: this views the text as bytes.
    write_guest(memory, layout::kCmdlineStart,
                std::span(reinterpret_cast<const uint8_t*>(cmdline.data()), cmdline.size()),
                "the kernel command line");
    write_guest_obj(memory, layout::kCmdlineStart + cmdline.size(), uint8_t{0},
                    "the kernel command line");

    // The zero page (zero_page.h) tells the kernel where all of it is, and
    // where its RAM is.
    const std::vector<boot_e820_entry> e820 = build_e820_map(memory);
    const ZeroPageInputs placed{
        .kernel_load = kernel_load,
        .cmdline = layout::kCmdlineStart,
        .initrd = initrd_start,
        .initrd_size = initrd.size(),
        .acpi_rsdp = acpi_rsdp,
        .e820 = e820,
    };
    write_guest_obj(memory, layout::kZeroPageStart, build_zero_page(kernel, placed),
                    "the zero page");

    return LinuxBootInfo{
        .entry_point = GuestAddress(0),
        .zero_page = layout::kZeroPageStart,
        .kernel_load = kernel_load,
        .kernel_reserved_size = reserved_size(kernel),
        .initrd = initrd_start,
        .initrd_size = initrd.size(),
    };
}

}  // namespace

LinuxBootInfo load_linux(const GuestMemory& memory, const BzImage& kernel,
                         const FileBytes& kernel_file, const FileBytes& initrd,
                         std::string_view cmdline, GuestAddress acpi_rsdp) {
    // Checks that the payload lies inside this file (else it throws).
    const std::span<const uint8_t> payload = kernel.payload(kernel_file.view());
    LinuxBootInfo info = place_and_describe(memory, kernel, initrd, cmdline, acpi_rsdp);
    copy_file_to_guest(memory, info.kernel_load, kernel_file, kernel.payload_offset, payload.size(),
                       "the kernel");
    info.entry_point = info.kernel_load + kStartup64Offset;
    return info;
}

LinuxBootInfo load_vmlinux(const GuestMemory& memory, const Vmlinux& kernel,
                           const FileBytes& kernel_file, const FileBytes& initrd,
                           std::string_view cmdline, GuestAddress acpi_rsdp) {
    LinuxBootInfo info =
        place_and_describe(memory, vmlinux_boot_header(kernel), initrd, cmdline, acpi_rsdp);
    for (const VmlinuxSegment& segment : kernel.segments) {
        // copy_to throws std::invalid_argument when `kernel_file` is not the
        // file `kernel` was parsed from (a segment outside it).
        const GuestAddress address(segment.address);
        copy_file_to_guest(memory, address, kernel_file, segment.file_offset, segment.file_size,
                           "the kernel");
        // The rest of the segment is the kernel's .bss: zero, as the ELF
        // program header says (memory may hold an earlier boot's bytes).
        const uint64_t bss_size = segment.memory_size - segment.file_size;
        if (bss_size == 0) {
            continue;
        }
        const std::span<uint8_t> bss =
            guest_room(memory, address + segment.file_size, bss_size, "the kernel's .bss");
        std::fill(bss.begin(), bss.end(), uint8_t{0});
    }
    info.entry_point = GuestAddress(kernel.entry);
    return info;
}

}  // namespace berth::boot
