// The uncompressed-kernel path: parse_vmlinux's checks on synthetic ELF
// files, vmlinux_boot_header, and load_vmlinux placing segments, .bss,
// initrd, command line and zero page.
#include "vmm/boot/vmlinux.h"

#include <asm/bootparam.h>
#include <elf.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "tests/unit/virtio/blk/temp_image.h"
#include "vmm/boot/linux_loader.h"
#include "vmm/common/error.h"
#include "vmm/common/mapped_file.h"
#include "vmm/layout.h"
#include "vmm/memory/memory_layout.h"

namespace berth::boot {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1ull << 20;
constexpr GuestAddress kRsdp{0xe0000};

// One program header of a synthetic kernel; its file bytes are generated.
struct FakeSegment {
    uint32_t type = PT_LOAD;
    uint32_t flags = PF_R | PF_X;
    uint64_t address = 0;
    uint64_t file_size = 0;
    uint64_t memory_size = 0;
};

uint8_t segment_byte(size_t segment, uint64_t offset) {
    return static_cast<uint8_t>(segment * 31 + offset * 7 + 1);
}

// A vmlinux-like ELF file: header, program headers, then each segment's
// bytes at a 4 KiB-aligned offset, as the kernel's own linker script lays it out.
class FakeVmlinux {
public:
    FakeVmlinux() {
        // Like Linux 6.1's: code at 16 MiB (the entry), data after it with a .bss.
        segments = {
            {PT_LOAD, PF_R | PF_X, 0x1000000, 0x3000, 0x3000},
            {PT_LOAD, PF_R | PF_W, 0x1200000, 0x1000, 0x5000},
            {PT_NOTE, PF_R, 0x1001000, 0x100, 0x100},
        };
        header.e_entry = 0x1000000;
    }

    std::vector<uint8_t> file() const {
        Elf64_Ehdr h = header;
        std::memcpy(h.e_ident, ELFMAG, SELFMAG);
        if (h.e_ident[EI_CLASS] == 0) {
            h.e_ident[EI_CLASS] = ELFCLASS64;
        }
        if (h.e_ident[EI_DATA] == 0) {
            h.e_ident[EI_DATA] = ELFDATA2LSB;
        }
        h.e_ident[EI_VERSION] = EV_CURRENT;
        h.e_phoff = phoff_override ? phoff_override : sizeof(Elf64_Ehdr);
        h.e_phnum = phnum_override ? phnum_override : static_cast<uint16_t>(segments.size());

        uint64_t offset = 0x1000;
        std::vector<Elf64_Phdr> headers;
        for (const FakeSegment& s : segments) {
            Elf64_Phdr ph{};
            ph.p_type = s.type;
            ph.p_flags = s.flags;
            ph.p_offset = offset;
            ph.p_vaddr = 0xffffffff80000000ull + s.address;
            ph.p_paddr = s.address;
            ph.p_filesz = s.file_size;
            ph.p_memsz = s.memory_size;
            ph.p_align = 0x1000;
            headers.push_back(ph);
            offset += (s.file_size + 0xfff) & ~uint64_t{0xfff};
        }
        std::vector<uint8_t> bytes(offset);
        std::memcpy(bytes.data(), &h, sizeof(h));
        if (!headers.empty()) {  // memcpy from an empty vector's null data() is undefined
            std::memcpy(bytes.data() + sizeof(h), headers.data(),
                        headers.size() * sizeof(Elf64_Phdr));
        }
        for (size_t i = 0; i < segments.size(); ++i) {
            for (uint64_t j = 0; j < segments[i].file_size; ++j) {
                bytes[headers[i].p_offset + j] = segment_byte(i, j);
            }
        }
        bytes.resize(bytes.size() - truncate_by);
        return bytes;
    }

    Elf64_Ehdr header = [] {
        Elf64_Ehdr h{};
        h.e_type = ET_EXEC;
        h.e_machine = EM_X86_64;
        h.e_version = EV_CURRENT;
        h.e_ehsize = sizeof(Elf64_Ehdr);
        h.e_phentsize = sizeof(Elf64_Phdr);
        return h;
    }();
    std::vector<FakeSegment> segments;
    uint64_t phoff_override = 0;
    uint16_t phnum_override = 0;
    uint64_t truncate_by = 0;
};

std::string refusal(const FakeVmlinux& fake) {
    const std::vector<uint8_t> file = fake.file();
    try {
        parse_vmlinux(file);
    } catch (const UserError& error) {
        return error.what();
    }
    ADD_FAILURE() << "parse_vmlinux accepted the file";
    return "";
}

TEST(Vmlinux, RecognisesElfFilesByTheirMagic) {
    EXPECT_TRUE(is_elf_file(FakeVmlinux().file()));
    const std::vector<uint8_t> not_elf = {0x7f, 'E', 'L', 'G', 2, 1, 1};
    EXPECT_FALSE(is_elf_file(not_elf));
    EXPECT_FALSE(is_elf_file(std::vector<uint8_t>{0x7f, 'E'}));
}

TEST(Vmlinux, ParsesTheLoadableSegmentsSortedAndSkipsOthers) {
    FakeVmlinux fake;
    std::swap(fake.segments[0], fake.segments[1]);  // out of order in the file
    const Vmlinux kernel = parse_vmlinux(fake.file());
    ASSERT_EQ(kernel.segments.size(), 2u);  // the PT_NOTE is not loaded
    EXPECT_EQ(kernel.segments[0].address, 0x1000000u);
    EXPECT_EQ(kernel.segments[0].file_size, 0x3000u);
    EXPECT_EQ(kernel.segments[1].address, 0x1200000u);
    EXPECT_EQ(kernel.segments[1].memory_size, 0x5000u);
    EXPECT_EQ(kernel.entry, 0x1000000u);
    EXPECT_EQ(kernel.load_start, 0x1000000u);
    EXPECT_EQ(kernel.load_end, 0x1205000u);
}

TEST(Vmlinux, RefusesFilesThatAreNotA64BitX86Executable) {
    FakeVmlinux elf32;
    elf32.header.e_ident[EI_CLASS] = ELFCLASS32;
    EXPECT_THAT(refusal(elf32), HasSubstr("32-bit ELF"));

    FakeVmlinux big_endian;
    big_endian.header.e_ident[EI_DATA] = ELFDATA2MSB;
    EXPECT_THAT(refusal(big_endian), HasSubstr("big-endian"));

    FakeVmlinux arm;
    arm.header.e_machine = EM_AARCH64;
    EXPECT_THAT(refusal(arm), HasSubstr("not x86-64"));

    FakeVmlinux object;
    object.header.e_type = ET_REL;
    EXPECT_THAT(refusal(object), HasSubstr("not an executable"));

    const std::vector<uint8_t> header_only(ELFMAG, ELFMAG + SELFMAG);
    try {
        parse_vmlinux(header_only);
        ADD_FAILURE() << "a 4-byte file was accepted";
    } catch (const UserError& error) {
        EXPECT_THAT(error.what(), HasSubstr("too short"));
    }
}

TEST(Vmlinux, RefusesBrokenProgramHeaderTables) {
    FakeVmlinux wrong_size;
    wrong_size.header.e_phentsize = 32;
    EXPECT_THAT(refusal(wrong_size), HasSubstr("program headers are 32 bytes"));

    FakeVmlinux too_many;
    too_many.phnum_override = 65;
    EXPECT_THAT(refusal(too_many), HasSubstr("65 program headers"));

    FakeVmlinux none;
    none.segments.clear();
    EXPECT_THAT(refusal(none), HasSubstr("0 program headers"));

    FakeVmlinux outside;
    outside.phoff_override = ~uint64_t{0} - 8;  // offset + size would wrap
    EXPECT_THAT(refusal(outside), HasSubstr("run past the end of the file"));
}

TEST(Vmlinux, RefusesSegmentsThatDoNotFitTheFileOrTheGuest) {
    FakeVmlinux truncated;
    truncated.truncate_by = 0x1800;  // the note, and half of the data segment
    EXPECT_THAT(refusal(truncated), HasSubstr("truncated"));

    FakeVmlinux file_bigger_than_memory;
    file_bigger_than_memory.segments[1].memory_size = 0x800;
    EXPECT_THAT(refusal(file_bigger_than_memory), HasSubstr("more file bytes than it has memory"));

    FakeVmlinux low;
    low.segments[1].address = 0x9f000;  // Berth's boot structures live below 1 MiB
    EXPECT_THAT(refusal(low), HasSubstr("not between 1 MiB and the MMIO hole"));

    FakeVmlinux into_the_hole;
    into_the_hole.segments[1].address = layout::kMmioHoleStart.value() - 0x1000;
    EXPECT_THAT(refusal(into_the_hole), HasSubstr("not between 1 MiB and the MMIO hole"));

    FakeVmlinux wrapping;
    wrapping.segments[1].address = ~uint64_t{0} - 0x100;
    EXPECT_THAT(refusal(wrapping), HasSubstr("not between 1 MiB and the MMIO hole"));

    FakeVmlinux overlapping;
    overlapping.segments[1].address = 0x1002000;  // inside the first segment
    EXPECT_THAT(refusal(overlapping), HasSubstr("overlap"));

    FakeVmlinux unaligned;
    unaligned.segments[0].address = 0x1001000;
    unaligned.header.e_entry = 0x1001000;
    EXPECT_THAT(refusal(unaligned), HasSubstr("not 2 MiB-aligned"));

    FakeVmlinux only_notes;
    only_notes.segments = {{PT_NOTE, PF_R, 0x1000000, 0x100, 0x100}};
    EXPECT_THAT(refusal(only_notes), HasSubstr("no loadable segment"));
}

TEST(Vmlinux, RefusesAnEntryOutsideTheExecutableFileBytes) {
    FakeVmlinux in_data;
    in_data.header.e_entry = 0x1200000;  // the writable, non-executable segment
    EXPECT_THAT(refusal(in_data), HasSubstr("not inside an executable segment"));

    FakeVmlinux in_bss;
    in_bss.segments[0].memory_size = 0x8000;
    in_bss.header.e_entry = 0x1004000;  // past the file bytes
    EXPECT_THAT(refusal(in_bss), HasSubstr("not inside an executable segment"));

    FakeVmlinux nowhere;
    nowhere.header.e_entry = 0x5000000;
    EXPECT_THAT(refusal(nowhere), HasSubstr("not inside an executable segment"));
}

TEST(Vmlinux, BootHeaderDescribesTheKernelAsTheZeroPageNeedsIt) {
    const BzImage header = vmlinux_boot_header(parse_vmlinux(FakeVmlinux().file()));
    EXPECT_EQ(header.version, 0x020f);
    EXPECT_FALSE(header.relocatable);
    EXPECT_EQ(header.pref_address, 0x1000000u);
    EXPECT_EQ(header.init_size, 0x205000u);
    EXPECT_EQ(header.payload_size, 0u);
    EXPECT_EQ(header.cmdline_size, 2047u);
    EXPECT_NE(header.xloadflags & XLF_KERNEL_64, 0);
    setup_header bytes;
    std::memcpy(&bytes, header.setup_header_bytes.data(), sizeof(bytes));
    EXPECT_EQ(bytes.boot_flag, kBootFlag);
    EXPECT_EQ(bytes.header, kHdrSMagic);
    EXPECT_EQ(bytes.pref_address, 0x1000000u);
    EXPECT_EQ(bytes.init_size, 0x205000u);
}

bool memory_holds_segment(const GuestMemory& memory, size_t segment, uint64_t address,
                          uint64_t size) {
    auto view = memory.slice(GuestAddress(address), size);
    if (!view) {
        return false;
    }
    for (uint64_t i = 0; i < size; ++i) {
        if ((*view)[i] != segment_byte(segment, i)) {
            return false;
        }
    }
    return true;
}

TEST(LoadVmlinux, CopiesSegmentsZeroesBssAndFillsTheZeroPage) {
    const FakeVmlinux fake;
    const std::vector<uint8_t> file = fake.file();
    const Vmlinux kernel = parse_vmlinux(file);
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(256 * kMiB));
    // Leftovers where the .bss goes must not survive.
    auto bss = memory.slice(GuestAddress(0x1201000), 0x4000);
    ASSERT_TRUE(bss.has_value());
    std::fill(bss->begin(), bss->end(), 0xee);

    const std::vector<uint8_t> initrd(0x2345, 0x5a);
    const LinuxBootInfo info =
        load_vmlinux(memory, kernel, file, initrd, "console=ttyS0 quiet", kRsdp);

    EXPECT_EQ(info.entry_point.value(), 0x1000000u);
    EXPECT_EQ(info.kernel_load.value(), 0x1000000u);
    EXPECT_TRUE(memory_holds_segment(memory, 0, 0x1000000, 0x3000));
    EXPECT_TRUE(memory_holds_segment(memory, 1, 0x1200000, 0x1000));
    EXPECT_TRUE(std::all_of(bss->begin(), bss->end(), [](uint8_t b) { return b == 0; }));

    // The initrd goes page-aligned at the top of RAM, above the kernel.
    EXPECT_EQ(info.initrd.value() % 0x1000, 0u);
    EXPECT_GE(info.initrd.value(), kernel.load_end);
    EXPECT_LE(info.initrd.value() + initrd.size(), 256 * kMiB);

    const auto params = memory.read_obj<boot_params>(layout::kZeroPageStart);
    ASSERT_TRUE(params.has_value());
    EXPECT_EQ(params->hdr.header, kHdrSMagic);
    EXPECT_EQ(params->hdr.type_of_loader, 0xff);
    EXPECT_EQ(params->hdr.cmd_line_ptr, layout::kCmdlineStart.value());
    EXPECT_EQ(params->hdr.ramdisk_image, info.initrd.value());
    EXPECT_EQ(params->hdr.ramdisk_size, initrd.size());
    EXPECT_EQ(params->acpi_rsdp_addr, kRsdp.value());
    EXPECT_GT(params->e820_entries, 0);
    auto cmdline = memory.slice(layout::kCmdlineStart, 20);
    ASSERT_TRUE(cmdline.has_value());
    EXPECT_EQ(std::string(cmdline->begin(), cmdline->end()),
              std::string("console=ttyS0 quiet\0", 20));
}

// What `berth run` does: the segments come from the mapped file with pread().
TEST(LoadVmlinux, CopiesSegmentsFromAMappedFile) {
    const FakeVmlinux fake;
    const virtio::testing::TempDir dir;
    const MappedFile file = MappedFile::open(dir.make_file("vmlinux", fake.file()), "kernel");
    const Vmlinux kernel = parse_vmlinux(file.bytes());
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(256 * kMiB));
    load_vmlinux(memory, kernel, file, {}, "console=ttyS0", kRsdp);
    EXPECT_TRUE(memory_holds_segment(memory, 0, 0x1000000, 0x3000));
    EXPECT_TRUE(memory_holds_segment(memory, 1, 0x1200000, 0x1000));
}

TEST(LoadVmlinux, RefusesMemoryThatEndsInsideTheKernel) {
    FakeVmlinux fake;
    fake.segments[1].address = 0x3000000;  // 48 MiB
    const std::vector<uint8_t> file = fake.file();
    const Vmlinux kernel = parse_vmlinux(file);
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(32 * kMiB));
    try {
        load_vmlinux(memory, kernel, file, {}, "console=ttyS0", kRsdp);
        ADD_FAILURE() << "a kernel reaching past the end of RAM was loaded";
    } catch (const UserError& error) {
        EXPECT_THAT(error.what(), HasSubstr("memory too small"));
    }
    EXPECT_GT(minimum_memory_size(vmlinux_boot_header(kernel), 0, 13), 48 * kMiB);
}

}  // namespace
}  // namespace berth::boot
