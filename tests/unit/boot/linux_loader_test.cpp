#include "vmm/boot/linux_loader.h"

#include <asm/bootparam.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "tests/unit/boot/fake_bzimage.h"
#include "vmm/boot/zero_page.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr GuestAddress kRsdp{0xe0000};

std::vector<uint8_t> make_initrd(uint64_t size) {
    std::vector<uint8_t> initrd(size);
    for (uint64_t i = 0; i < size; ++i) {
        initrd[i] = static_cast<uint8_t>(i * 13 + 5);
    }
    return initrd;
}

// A kernel file and its parsed header, kept together.
struct Kernel {
    explicit Kernel(const setup_header& header = fake::fake_header())
        : file(fake::make_bzimage(header)), image(parse_bzimage(file)) {}
    std::vector<uint8_t> file;
    BzImage image;
};

bool memory_holds(const GuestMemory& memory, GuestAddress address,
                  std::span<const uint8_t> expected) {
    auto view = memory.slice(address, expected.size());
    return view && std::equal(expected.begin(), expected.end(), view->begin());
}

// Fills the zero page and command line area with 0xff, so a test sees
// whether the loader wrote (or zeroed) what it should.
void dirty_low_memory(const GuestMemory& memory) {
    for (auto [start, size] : {std::pair{layout::kZeroPageStart, sizeof(boot_params)},
                               std::pair{layout::kCmdlineStart, layout::kCmdlineMaxSize}}) {
        auto view = memory.slice(start, size);
        ASSERT_TRUE(view.has_value());
        std::fill(view->begin(), view->end(), 0xff);
    }
}

boot_params read_zero_page(const GuestMemory& memory) {
    auto params = memory.read_obj<boot_params>(layout::kZeroPageStart);
    EXPECT_TRUE(params.has_value());
    return params.value_or(boot_params{});
}

std::string load_refusal(uint64_t memory_size, const Kernel& kernel, uint64_t initrd_size,
                         std::string_view cmdline = "console=ttyS0") {
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(memory_size));
    try {
        load_linux(memory, kernel.image, kernel.file, make_initrd(initrd_size), cmdline, kRsdp);
    } catch (const UserError& error) {
        return error.what();
    }
    ADD_FAILURE() << "load_linux succeeded";
    return "";
}

// Every memory size below: the kernel at pref_address, the initrd page-aligned
// at the top of what both the kernel and the memory allow, nothing overlapping.
class LoadLinuxAtSize : public ::testing::TestWithParam<uint64_t> {};

TEST_P(LoadLinuxAtSize, PlacesKernelInitrdAndCommandLine) {
    const uint64_t memory_size = GetParam();
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(memory_size));
    const Kernel kernel;
    const std::vector<uint8_t> initrd = make_initrd(3 * kMiB + 123);
    const std::string cmdline = "console=ttyS0 quiet panic=-1";
    dirty_low_memory(memory);

    const LinuxBootInfo info =
        load_linux(memory, kernel.image, kernel.file, initrd, cmdline, kRsdp);

    EXPECT_EQ(info.kernel_load, GuestAddress(0x1000000));
    EXPECT_EQ(info.entry_point, GuestAddress(0x1000200));
    EXPECT_EQ(info.zero_page, layout::kZeroPageStart);
    EXPECT_EQ(info.kernel_reserved_size, 0x800000u);
    EXPECT_TRUE(memory_holds(memory, info.kernel_load, kernel.image.payload(kernel.file)));

    const uint64_t start = info.initrd.value();
    const uint64_t end = start + info.initrd_size;
    const uint64_t low_ram_end = std::min(memory_size, layout::kMmioHoleStart.value());
    EXPECT_EQ(info.initrd_size, initrd.size());
    EXPECT_EQ(start % 4096, 0u);
    EXPECT_LE(end, uint64_t{kernel.image.initrd_addr_max} + 1);
    EXPECT_LE(end, low_ram_end);
    EXPECT_GE(start, info.kernel_load.value() + kernel.image.init_size);
    // "As high as possible": one more page up would break a limit.
    EXPECT_GT(end + 4096, std::min<uint64_t>(low_ram_end, kernel.image.initrd_addr_max + 1ull));
    EXPECT_TRUE(memory_holds(memory, info.initrd, initrd));

    auto stored = memory.slice(layout::kCmdlineStart, cmdline.size() + 1);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(std::string(stored->begin(), stored->end() - 1), cmdline);
    EXPECT_EQ(stored->back(), 0);

    const boot_params params = read_zero_page(memory);
    EXPECT_EQ(params.hdr.cmd_line_ptr, layout::kCmdlineStart.value());
    EXPECT_EQ(params.ext_cmd_line_ptr, 0u);
    EXPECT_EQ(params.hdr.ramdisk_image, start);
    EXPECT_EQ(params.hdr.ramdisk_size, initrd.size());
    EXPECT_EQ(params.ext_ramdisk_image, 0u);
    EXPECT_EQ(params.ext_ramdisk_size, 0u);
    EXPECT_EQ(params.hdr.code32_start, 0x1000000u);
}

INSTANTIATE_TEST_SUITE_P(BootLoader, LoadLinuxAtSize,
                         ::testing::Values(64 * kMiB, 256 * kMiB, 1 * kGiB, 3 * kGiB, 5 * kGiB));

TEST(LoadLinux, FillsTheZeroPage) {
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(256 * kMiB));
    const Kernel kernel;
    dirty_low_memory(memory);
    load_linux(memory, kernel.image, kernel.file, make_initrd(4096), "x", kRsdp);
    const boot_params params = read_zero_page(memory);

    // The kernel's own header, as the kernel wrote it...
    EXPECT_EQ(params.hdr.boot_flag, 0xaa55);
    EXPECT_EQ(params.hdr.header, kHdrSMagic);
    EXPECT_EQ(params.hdr.version, 0x020f);
    EXPECT_EQ(params.hdr.setup_sects, 4);
    EXPECT_EQ(params.hdr.init_size, 0x800000u);
    EXPECT_EQ(params.hdr.pref_address, 0x1000000u);
    EXPECT_EQ(params.hdr.kernel_info_offset, 0x1234u);
    EXPECT_EQ(params.hdr.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
    // ...with the loader's fields filled in.
    EXPECT_EQ(params.hdr.type_of_loader, 0xff);
    EXPECT_EQ(params.hdr.vid_mode, 0xffff);
    EXPECT_EQ(params.hdr.loadflags, LOADED_HIGH | CAN_USE_HEAP);
    EXPECT_EQ(params.hdr.heap_end_ptr, 0xfe00);
    EXPECT_EQ(params.acpi_rsdp_addr, kRsdp.value());
    // Nothing outside the header was left over from anywhere.
    EXPECT_EQ(params.sentinel, 0);
    EXPECT_EQ(params.screen_info.orig_video_isVGA, 0);

    const std::vector<boot_e820_entry> e820 = build_e820_map(memory);
    ASSERT_EQ(params.e820_entries, e820.size());
    for (size_t i = 0; i < e820.size(); ++i) {
        EXPECT_EQ(params.e820_table[i].addr, e820[i].addr) << i;
        EXPECT_EQ(params.e820_table[i].size, e820[i].size) << i;
        EXPECT_EQ(params.e820_table[i].type, e820[i].type) << i;
    }
    EXPECT_EQ(params.e820_table[e820.size()].size, 0u);
}

TEST(LoadLinux, CopiesOnlyTheDeclaredHeader) {
    setup_header header = fake::fake_header();
    header.jump = 0x62eb;  // header ends at 0x264, after init_size, before kernel_info_offset
    const Kernel kernel(header);
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(256 * kMiB));
    dirty_low_memory(memory);
    load_linux(memory, kernel.image, kernel.file, {}, "", kRsdp);
    const boot_params params = read_zero_page(memory);
    EXPECT_EQ(params.hdr.init_size, 0x800000u);
    EXPECT_EQ(params.hdr.kernel_info_offset, 0u);
}

TEST(LoadLinux, WithoutInitrdLeavesTheRamdiskFieldsZero) {
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(64 * kMiB));
    const Kernel kernel;
    dirty_low_memory(memory);
    const LinuxBootInfo info = load_linux(memory, kernel.image, kernel.file, {}, "", kRsdp);
    EXPECT_EQ(info.initrd, GuestAddress(0));
    EXPECT_EQ(info.initrd_size, 0u);
    const boot_params params = read_zero_page(memory);
    EXPECT_EQ(params.hdr.ramdisk_image, 0u);
    EXPECT_EQ(params.hdr.ramdisk_size, 0u);
    // An empty command line is still a valid (empty) string.
    EXPECT_EQ(memory.read_obj<uint8_t>(layout::kCmdlineStart), uint8_t{0});
}

TEST(LoadLinux, FallsBackToTheLowestAlignedAddressWhenPrefAddressDoesNotFit) {
    // 16 MiB + 8 MiB of kernel + 1 MiB of initrd needs 25 MiB; 20 MiB has room
    // only with the kernel at 2 MiB (1 MiB rounded up to its alignment).
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(20 * kMiB));
    const Kernel kernel;
    const LinuxBootInfo info =
        load_linux(memory, kernel.image, kernel.file, make_initrd(kMiB), "", kRsdp);
    EXPECT_EQ(info.kernel_load, GuestAddress(0x200000));
    EXPECT_EQ(info.entry_point, GuestAddress(0x200200));
    EXPECT_EQ(info.initrd, GuestAddress(19 * kMiB));
    EXPECT_TRUE(memory_holds(memory, info.kernel_load, kernel.image.payload(kernel.file)));
    EXPECT_EQ(read_zero_page(memory).hdr.code32_start, 0x200000u);
}

TEST(LoadLinux, FallbackHonoursALargeAlignment) {
    setup_header header = fake::fake_header();
    header.kernel_alignment = 0x400000;  // 4 MiB
    header.pref_address = 0x2000000;     // 32 MiB: too high for 24 MiB of RAM
    const Kernel kernel(header);
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(24 * kMiB));
    EXPECT_EQ(load_linux(memory, kernel.image, kernel.file, {}, "", kRsdp).kernel_load,
              GuestAddress(0x400000));
}

TEST(LoadLinux, NonRelocatableKernelLoadsOnlyAtPrefAddress) {
    setup_header header = fake::fake_header();
    header.relocatable_kernel = 0;
    const Kernel kernel(header);
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(64 * kMiB));
    EXPECT_EQ(load_linux(memory, kernel.image, kernel.file, {}, "", kRsdp).kernel_load,
              GuestAddress(0x1000000));
    // With 20 MiB a relocatable kernel would move down; this one cannot.
    EXPECT_THAT(load_refusal(20 * kMiB, kernel, 0), HasSubstr("memory too small"));
}

TEST(LoadLinux, RefusesANonRelocatableKernelBelowOneMiB) {
    setup_header header = fake::fake_header();
    header.relocatable_kernel = 0;
    header.pref_address = 0x10000;
    const Kernel kernel(header);
    EXPECT_THAT(load_refusal(64 * kMiB, kernel, 0),
                AllOf(HasSubstr("not relocatable"), HasSubstr("below 1 MiB")));
}

TEST(LoadLinux, RefusesMemoryTooSmallAndSaysHowMuchIsNeeded) {
    const Kernel kernel;
    // Lowest placement: kernel at 2 MiB, 8 MiB for it, then 16 MiB of initrd.
    EXPECT_EQ(minimum_memory_size(kernel.image, 16 * kMiB, 10), 26 * kMiB);
    EXPECT_THAT(load_refusal(16 * kMiB, kernel, 16 * kMiB),
                AllOf(HasSubstr("memory too small for the kernel and initrd"),
                      HasSubstr("needs at least 26 MiB")));
}

TEST(LoadLinux, MinimumMemorySizeIsExact) {
    const Kernel kernel;
    for (uint64_t initrd_size : {uint64_t{0}, uint64_t{1}, 5 * kMiB + 17}) {
        const uint64_t minimum = minimum_memory_size(kernel.image, initrd_size, 0);
        EXPECT_EQ(minimum % 4096, 0u);
        const GuestMemory enough = GuestMemory::create(x86_ram_ranges(minimum));
        EXPECT_NO_THROW(
            load_linux(enough, kernel.image, kernel.file, make_initrd(initrd_size), "", kRsdp))
            << initrd_size;
        EXPECT_THAT(load_refusal(minimum - 4096, kernel, initrd_size),
                    HasSubstr("memory too small"))
            << initrd_size;
    }
}

TEST(LoadLinux, RefusesAnInitrdThatCannotLieBelowInitrdAddrMax) {
    setup_header header = fake::fake_header();
    header.initrd_addr_max = 0x0fffffff;  // 256 MiB
    const Kernel kernel(header);
    // More memory would not help: the initrd must end below 256 MiB.
    EXPECT_THAT(load_refusal(1 * kGiB, kernel, 250 * kMiB),
                AllOf(HasSubstr("initrd"), HasSubstr("0xfffffff")));
    EXPECT_THROW(minimum_memory_size(kernel.image, 250 * kMiB, 0), UserError);
}

TEST(LoadLinux, InitrdEndsBelowAnUnalignedInitrdAddrMax) {
    setup_header header = fake::fake_header();
    header.initrd_addr_max = 0x2000ffe;  // the initrd may occupy up to 0x2000ffe inclusive
    const Kernel kernel(header);
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(256 * kMiB));
    const LinuxBootInfo info =
        load_linux(memory, kernel.image, kernel.file, make_initrd(8192), "", kRsdp);
    EXPECT_EQ(info.initrd, GuestAddress(0x1ffe000));
    EXPECT_LE(info.initrd.value() + info.initrd_size, 0x2000fffu);
}

TEST(LoadLinux, RefusesACommandLineLongerThanTheKernelAccepts) {
    setup_header header = fake::fake_header();
    header.cmdline_size = 16;
    const Kernel kernel(header);
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(64 * kMiB));
    EXPECT_NO_THROW(load_linux(memory, kernel.image, kernel.file, {}, std::string(16, 'a'), kRsdp));
    EXPECT_THAT(load_refusal(64 * kMiB, kernel, 0, std::string(17, 'a')),
                AllOf(HasSubstr("17 bytes"), HasSubstr("at most 16")));
    EXPECT_THROW(minimum_memory_size(kernel.image, 0, 17), UserError);
}

TEST(LoadLinux, RefusesACommandLineLongerThanBerthsArea) {
    setup_header header = fake::fake_header();
    header.cmdline_size = 0x100000;
    const Kernel kernel(header);
    const std::string longest(layout::kCmdlineMaxSize - 1, 'a');
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(64 * kMiB));
    EXPECT_NO_THROW(load_linux(memory, kernel.image, kernel.file, {}, longest, kRsdp));
    EXPECT_THAT(load_refusal(64 * kMiB, kernel, 0, longest + "a"),
                AllOf(HasSubstr("Berth"), HasSubstr("at most 65535")));
}

TEST(LoadLinux, RefusesANulInTheCommandLine) {
    const Kernel kernel;
    EXPECT_THAT(load_refusal(64 * kMiB, kernel, 0, std::string("a\0b", 3)), HasSubstr("NUL"));
}

}  // namespace
}  // namespace berth::boot
