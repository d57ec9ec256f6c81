// libFuzzer target: the ELF vmlinux parser and its loader (vmm/boot/vmlinux,
// load_vmlinux in vmm/boot/linux_loader, vmm/boot/zero_page) on arbitrary
// kernel file bytes, with a guest memory size, an initrd size and a command
// line from the fuzzer. The seeds are small synthetic ELF files (a few
// PT_LOAD segments and a PT_NOTE), never a real kernel.
//
// Every input either loads or is refused with UserError; anything else thrown
// is a crash. It checks:
//   - parse_vmlinux() accepts only a 64-bit little-endian x86-64 ET_EXEC
//     whose segments are exactly the file's non-empty PT_LOAD headers, each
//     with its bytes inside the file, no more file bytes than memory, inside
//     [1 MiB, MMIO hole), sorted and apart; the entry inside an executable
//     segment's file bytes; load_start 2 MiB-aligned; load_end the last end;
//   - vmlinux_boot_header() describes that kernel: not relocatable, at
//     load_start, init_size covering every segment, no payload;
//   - after load_vmlinux(), every segment's file bytes at its address and the
//     rest of its memory_size zero (the memory is dirtied first, as a reboot
//     would leave it); the initrd page-aligned above load_end and inside RAM
//     below initrd_addr_max; the command line with its NUL, and the zero
//     page's cmd_line_ptr, ramdisk_image and ramdisk_size where they went;
//   - minimum_memory_size(vmlinux_boot_header(...)) is honest: with at least
//     that much RAM the load succeeds, and a load that succeeds never needed
//     more;
//   - through guard pages right before and after every RAM mapping, that no
//     write lands outside guest memory (ASan does not see into mmap'd RAM).
//
// Input: a 6-byte header (fuzz_linux_loader's, with a larger RAM unit, since
// a vmlinux loads where it was linked, typically 16 MiB), then the file.
//   [0]     RAM size: (value + 1) * 256 KiB
//   [1]     bit 0: 3 GiB more RAM (the low part then fills all 3 GiB below
//           the MMIO hole, the rest goes above 4 GiB);
//           bit 1: a NUL in the middle of the command line;
//           bit 2: the initrd size counts 64-byte units, not bytes
//   [2..3]  initrd size (little-endian)
//   [4..5]  command line length (little-endian)
//   [6..]   the vmlinux file
//
// tests/fuzz/make_seeds.py writes the seeds in tests/fuzz/corpus/vmlinux.
//
// clang-format off
// fuzz-sources: vmm/boot/vmlinux.cpp vmm/boot/bzimage.cpp vmm/boot/linux_loader.cpp vmm/boot/file_bytes.cpp vmm/boot/zero_page.cpp vmm/memory/guest_memory.cpp vmm/memory/memory_layout.cpp vmm/common/error.cpp
// clang-format on

#include <asm/bootparam.h>
#include <elf.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tests/fuzz/boot_memory.h"
#include "tests/fuzz/check.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/linux_loader.h"
#include "vmm/boot/vmlinux.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/memory/memory_layout.h"

using namespace berth;
using namespace berth::boot;
using namespace berth::fuzz;

namespace {

constexpr size_t kHeaderSize = 6;
constexpr uint64_t kRamUnit = 256 << 10;
constexpr uint64_t kPage = 0x1000;
constexpr uint64_t kKernelAlignment = 2 << 20;
// With 3 GiB of RAM a fuzzed kernel may claim gigabytes of .bss, and
// dirtying, zeroing and checking it would take seconds per input: larger
// kernels are only parsed, not loaded.
constexpr uint64_t kMaxLoadedSize = 32 << 20;
// What every byte of a segment holds before the load, so that a byte the
// loader forgets to copy or to zero shows.
constexpr uint8_t kDirt = 0xa5;

template <typename T>
T file_struct(std::span<const uint8_t> file, uint64_t offset) {
    T value;
    std::memcpy(&value, file.data() + offset, sizeof(T));
    return value;
}

// The file's non-empty PT_LOAD headers, read straight from the file (only
// called once parse_vmlinux() has checked that the headers are inside it).
NO_COVERAGE std::vector<Elf64_Phdr> loadable_headers(std::span<const uint8_t> file) {
    const auto header = file_struct<Elf64_Ehdr>(file, 0);
    std::vector<Elf64_Phdr> loads;
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        const auto ph = file_struct<Elf64_Phdr>(file, header.e_phoff + i * sizeof(Elf64_Phdr));
        if (ph.p_type == PT_LOAD && ph.p_memsz != 0) {
            loads.push_back(ph);
        }
    }
    std::ranges::sort(loads, {}, &Elf64_Phdr::p_paddr);
    return loads;
}

// What vmlinux.h promises about a file parse_vmlinux() accepted, checked
// against the file itself.
NO_COVERAGE void check_parsed(std::span<const uint8_t> file, const Vmlinux& kernel) {
    CHECK(is_elf_file(file) && file.size() >= sizeof(Elf64_Ehdr));
    const auto header = file_struct<Elf64_Ehdr>(file, 0);
    CHECK(header.e_ident[EI_CLASS] == ELFCLASS64 && header.e_ident[EI_DATA] == ELFDATA2LSB);
    CHECK(header.e_machine == EM_X86_64 && header.e_type == ET_EXEC);
    CHECK(kernel.entry == header.e_entry);

    // The segments are the file's loadable ones, no more, no fewer.
    const std::vector<Elf64_Phdr> loads = loadable_headers(file);
    CHECK(!kernel.segments.empty() && kernel.segments.size() == loads.size());
    const uint64_t hole = layout::kMmioHoleStart.value();
    for (size_t i = 0; i < loads.size(); ++i) {
        const VmlinuxSegment& segment = kernel.segments[i];
        CHECK(segment.address == loads[i].p_paddr && segment.memory_size == loads[i].p_memsz);
        CHECK(segment.file_offset == loads[i].p_offset && segment.file_size == loads[i].p_filesz);
        CHECK(segment.file_offset <= file.size() &&
              segment.file_size <= file.size() - segment.file_offset);
        CHECK(segment.file_size <= segment.memory_size);
        CHECK(segment.address >= layout::kHighMemStart.value() && segment.address < hole &&
              segment.memory_size <= hole - segment.address);
        if (i > 0) {
            const VmlinuxSegment& before = kernel.segments[i - 1];
            CHECK(before.address + before.memory_size <= segment.address);
        }
    }

    // The entry is code the file provides: in an executable segment's file bytes.
    CHECK(std::ranges::any_of(loads, [&](const Elf64_Phdr& ph) {
        return (ph.p_flags & PF_X) != 0 && kernel.entry >= ph.p_paddr &&
               kernel.entry - ph.p_paddr < ph.p_filesz;
    }));

    CHECK(kernel.load_start == kernel.segments.front().address);
    CHECK(kernel.load_start % kKernelAlignment == 0);
    const VmlinuxSegment& last = kernel.segments.back();
    CHECK(kernel.load_end == last.address + last.memory_size);
}

// The header the loader uses in place of a bzImage's: the kernel runs where
// it was linked, with room for every segment.
NO_COVERAGE void check_boot_header(const Vmlinux& kernel, const BzImage& header) {
    CHECK(!header.relocatable && header.pref_address == kernel.load_start);
    CHECK(header.init_size == kernel.load_end - kernel.load_start);
    CHECK(header.version >= kMinimumBootProtocol);
    CHECK((header.xloadflags & XLF_KERNEL_64) && (header.loadflags & LOADED_HIGH));
    CHECK(header.payload_size == 0);
    CHECK(header.setup_header_length <= sizeof(setup_header));
}

NO_COVERAGE bool memory_is_zero(const GuestMemory& memory, uint64_t address, uint64_t size) {
    const auto held = memory.slice(GuestAddress(address), size);
    return held && std::ranges::all_of(*held, [](uint8_t byte) { return byte == 0; });
}

// A segment's memory as a reboot may leave it: anything but its contents.
NO_COVERAGE void dirty_segments(const GuestMemory& memory, const Vmlinux& kernel) {
    for (const VmlinuxSegment& segment : kernel.segments) {
        if (auto held = memory.slice(GuestAddress(segment.address), segment.memory_size)) {
            std::ranges::fill(*held, kDirt);
        }
    }
}

NO_COVERAGE void check_loaded(const GuestMemory& memory, const Vmlinux& kernel,
                              const BzImage& header, std::span<const uint8_t> file,
                              std::span<const uint8_t> initrd, const std::string& cmdline,
                              const LinuxBootInfo& info, uint64_t ram_end) {
    CHECK(info.entry_point.value() == kernel.entry);
    CHECK(info.kernel_load.value() == kernel.load_start);
    CHECK(info.kernel_reserved_size == kernel.load_end - kernel.load_start);
    CHECK(kernel.load_end <= ram_end);
    for (const VmlinuxSegment& segment : kernel.segments) {
        CHECK(memory_holds(memory, segment.address,
                           file.subspan(segment.file_offset, segment.file_size)));
        CHECK(memory_is_zero(memory, segment.address + segment.file_size,
                             segment.memory_size - segment.file_size));
    }

    CHECK(info.initrd_size == initrd.size());
    if (initrd.empty()) {
        CHECK(info.initrd.value() == 0);
    } else {
        const uint64_t start = info.initrd.value();
        CHECK(start % kPage == 0 && start >= kernel.load_end);
        CHECK(start + initrd.size() <= std::min(ram_end, uint64_t{header.initrd_addr_max} + 1));
        CHECK(memory_holds(memory, start, initrd));
    }
    const auto* text = reinterpret_cast<const uint8_t*>(cmdline.c_str());
    CHECK(memory_holds(memory, layout::kCmdlineStart.value(), std::span(text, cmdline.size() + 1)));

    const std::optional<boot_params> params = memory.read_obj<boot_params>(info.zero_page);
    CHECK(params.has_value());
    CHECK(params->hdr.code32_start == kernel.load_start);
    CHECK(params->hdr.cmd_line_ptr == layout::kCmdlineStart.value());
    CHECK(params->hdr.ramdisk_image == info.initrd.value());
    CHECK(params->hdr.ramdisk_size == initrd.size());
    CHECK(params->acpi_rsdp_addr == layout::kAcpiStart.value());
    check_e820(memory, *params);
}

// The initrd: the first `size` bytes of one pattern made once, since
// filling megabytes per input would cost more than the whole load.
std::span<const uint8_t> initrd_bytes(size_t size) {
    static const std::vector<uint8_t> pattern = [] {
        std::vector<uint8_t> bytes(0xffff * 64);
        for (size_t i = 0; i < bytes.size(); ++i) {
            bytes[i] = static_cast<uint8_t>(i * 13 + 5);
        }
        return bytes;
    }();
    return std::span(pattern).first(size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderSize) {
        return 0;
    }
    const uint64_t low_ram = (data[0] + 1u) * kRamUnit;
    const uint64_t ram_size = (data[1] & 1) ? layout::kMmioHoleStart.value() + low_ram : low_ram;
    const std::span<const uint8_t> initrd =
        initrd_bytes((data[2] | (data[3] << 8)) * ((data[1] & 4) ? 64u : 1u));
    std::string cmdline(data[4] | (data[5] << 8), 'c');
    if ((data[1] & 2) && !cmdline.empty()) {
        cmdline[cmdline.size() / 2] = '\0';
    }
    const std::span<const uint8_t> file(data + kHeaderSize, size - kHeaderSize);

    // is_elf_file() is the ELF magic, nothing more.
    CHECK(is_elf_file(file) ==
          (file.size() >= SELFMAG && std::memcmp(file.data(), ELFMAG, SELFMAG) == 0));
    Vmlinux kernel;
    try {
        kernel = parse_vmlinux(file);
    } catch (const UserError&) {
        return 0;
    }
    check_parsed(file, kernel);
    const BzImage header = vmlinux_boot_header(kernel);
    check_boot_header(kernel, header);

    uint64_t loaded_size = 0;
    for (const VmlinuxSegment& segment : kernel.segments) {
        loaded_size += segment.memory_size;  // at most 64 segments below 3 GiB: no overflow
    }
    if (loaded_size > kMaxLoadedSize) {
        return 0;
    }

    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(ram_size));
    const uint64_t ram_end = memory.regions()[0].size;
    for (const MemoryRegion& region : memory.regions()) {
        madvise(region.host, region.size, MADV_NOHUGEPAGE);  // touch 4 KiB, not 2 MiB
    }
    const GuardPages guards(memory);
    dirty_segments(memory, kernel);

    std::optional<uint64_t> minimum;
    try {
        minimum = minimum_memory_size(header, initrd.size(), cmdline.size());
    } catch (const UserError&) {
    }
    const bool has_nul = cmdline.find('\0') != std::string::npos;
    try {
        const LinuxBootInfo info =
            load_vmlinux(memory, kernel, file, initrd, cmdline, layout::kAcpiStart);
        CHECK(!has_nul && minimum.has_value() && *minimum <= ram_end);
        check_loaded(memory, kernel, header, file, initrd, cmdline, info, ram_end);
    } catch (const UserError&) {
        // The CLI refuses a --memory below the minimum; above it, nothing may fail.
        CHECK(has_nul || !minimum.has_value() || *minimum > ram_end);
    }
    return 0;
}
