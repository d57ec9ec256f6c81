#include "vmm/boot/vmlinux.h"

#include <elf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

// A kernel has a handful of segments (6.1: four PT_LOADs and a PT_NOTE); a
// header claiming thousands is a broken or hostile file, not a kernel.
constexpr uint16_t kMaxProgramHeaders = 64;
// x86's COMMAND_LINE_SIZE is 2048 bytes, the NUL included.
constexpr uint32_t kVmlinuxCmdlineSize = 2047;
// The kernel's default initrd limit (boot.rst, initrd_addr_max: 0x37ffffff
// before protocol 2.03; a 64-bit kernel takes anything below 2 GiB).
constexpr uint32_t kVmlinuxInitrdAddrMax = 0x7fffffff;
// head_64.S needs the kernel 2 MiB-aligned (CONFIG_PHYSICAL_ALIGN).
constexpr uint32_t kVmlinuxAlignment = 2u << 20;
constexpr uint16_t kVmlinuxProtocol = 0x020f;

template <typename T>
T read_struct(std::span<const uint8_t> file, uint64_t offset) {
    T value;
    std::memcpy(&value, file.data() + offset, sizeof(T));
    return value;
}

void check_elf_header(std::span<const uint8_t> file, const Elf64_Ehdr& header) {
    if (header.e_ident[EI_CLASS] != ELFCLASS64) {
        throw UserError("a 32-bit ELF file: Berth boots 64-bit x86 kernels only");
    }
    if (header.e_ident[EI_DATA] != ELFDATA2LSB) {
        throw UserError("a big-endian ELF file: an x86 kernel is little-endian");
    }
    if (header.e_machine != EM_X86_64) {
        throw UserError(
            fmt::format("an ELF file for machine {}, not x86-64 (62)", header.e_machine));
    }
    if (header.e_type != ET_EXEC) {
        throw UserError(
            "an ELF file that is not an executable (ET_EXEC): give the kernel's vmlinux, not an "
            "object file or a shared library");
    }
    if (header.e_phentsize != sizeof(Elf64_Phdr)) {
        throw UserError(fmt::format("the ELF program headers are {} bytes each instead of {}",
                                    header.e_phentsize, sizeof(Elf64_Phdr)));
    }
    if (header.e_phnum == 0 || header.e_phnum > kMaxProgramHeaders) {
        throw UserError(fmt::format("the ELF file has {} program headers; a kernel has 1 to {}",
                                    header.e_phnum, kMaxProgramHeaders));
    }
    if (!inside_file(header.e_phoff, uint64_t{header.e_phnum} * sizeof(Elf64_Phdr), file.size())) {
        throw UserError("the ELF program headers run past the end of the file");
    }
}

VmlinuxSegment checked_segment(const Elf64_Phdr& ph, uint64_t file_size) {
    if (!inside_file(ph.p_offset, ph.p_filesz, file_size)) {
        throw UserError(fmt::format(
            "the segment for {:#x} runs past the end of the file: the kernel is truncated",
            ph.p_paddr));
    }
    if (ph.p_filesz > ph.p_memsz) {
        throw UserError(fmt::format(
            "the segment for {:#x} holds more file bytes than it has memory", ph.p_paddr));
    }
    const uint64_t low = layout::kHighMemStart.value();
    const uint64_t high = layout::kMmioHoleStart.value();
    if (ph.p_paddr < low || ph.p_paddr > high || ph.p_memsz > high - ph.p_paddr) {
        throw UserError(fmt::format(
            "the segment at {:#x} ({} bytes) is not between 1 MiB and the MMIO hole at {:#x}",
            ph.p_paddr, ph.p_memsz, high));
    }
    return {ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_paddr};
}

}  // namespace

bool inside_file(uint64_t offset, uint64_t size, uint64_t file_size) {
    return offset <= file_size && size <= file_size - offset;
}

bool is_elf_file(std::span<const uint8_t> file) {
    return file.size() >= SELFMAG && std::memcmp(file.data(), ELFMAG, SELFMAG) == 0;
}

Vmlinux parse_vmlinux(std::span<const uint8_t> file) {
    if (!is_elf_file(file) || file.size() < sizeof(Elf64_Ehdr)) {
        throw UserError("not an ELF file, or too short to hold an ELF header");
    }
    const auto header = read_struct<Elf64_Ehdr>(file, 0);
    check_elf_header(file, header);

    Vmlinux kernel;
    bool entry_found = false;
    for (uint16_t i = 0; i < header.e_phnum; ++i) {
        const auto ph = read_struct<Elf64_Phdr>(file, header.e_phoff + i * sizeof(Elf64_Phdr));
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) {
            continue;
        }
        const VmlinuxSegment segment = checked_segment(ph, file.size());
        // The entry must be code the file actually provides, not .bss.
        if ((ph.p_flags & PF_X) != 0 && header.e_entry >= segment.address &&
            header.e_entry - segment.address < segment.file_size) {
            entry_found = true;
        }
        kernel.segments.push_back(segment);
    }
    if (kernel.segments.empty()) {
        throw UserError("the ELF file has no loadable segment");
    }
    if (!entry_found) {
        throw UserError(fmt::format("the entry point {:#x} is not inside an executable segment",
                                    header.e_entry));
    }
    std::sort(kernel.segments.begin(), kernel.segments.end(),
              [](const auto& a, const auto& b) { return a.address < b.address; });
    for (size_t i = 1; i < kernel.segments.size(); ++i) {
        const VmlinuxSegment& before = kernel.segments[i - 1];
        if (before.address + before.memory_size > kernel.segments[i].address) {
            throw UserError(fmt::format("the segments at {:#x} and {:#x} overlap", before.address,
                                        kernel.segments[i].address));
        }
    }
    kernel.entry = header.e_entry;
    kernel.load_start = kernel.segments.front().address;
    kernel.load_end = kernel.segments.back().address + kernel.segments.back().memory_size;
    if (kernel.load_start % kVmlinuxAlignment != 0) {
        throw UserError(fmt::format("the kernel starts at {:#x}, which is not 2 MiB-aligned",
                                    kernel.load_start));
    }
    return kernel;
}

BzImage vmlinux_boot_header(const Vmlinux& kernel) {
    setup_header header{};
    header.boot_flag = kBootFlag;
    header.header = kHdrSMagic;
    header.version = kVmlinuxProtocol;
    header.loadflags = LOADED_HIGH;
    header.kernel_alignment = kVmlinuxAlignment;
    header.relocatable_kernel = 0;
    header.cmdline_size = kVmlinuxCmdlineSize;
    header.initrd_addr_max = kVmlinuxInitrdAddrMax;
    header.xloadflags = XLF_KERNEL_64;
    header.pref_address = kernel.load_start;
    // parse_vmlinux keeps every segment below the MMIO hole: this fits in 32 bits.
    header.init_size = static_cast<uint32_t>(kernel.load_end - kernel.load_start);

    BzImage image = header_fields(header);
    std::memcpy(image.setup_header_bytes.data(), &header, sizeof(header));
    image.setup_header_length = sizeof(header);
    // No payload: load_vmlinux copies the segments instead.
    return image;
}

}  // namespace berth::boot
