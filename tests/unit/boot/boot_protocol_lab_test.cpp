// Lab 7 (docs/labs/07-boot-linux.md): the Linux x86 boot protocol as Berth
// implements it in vmm/boot/zero_page.cpp, checked the way the kernel will
// read it. The e820 map (build_e820_map) is checked entry by entry for
// several memory sizes and region layouts; the zero page build_zero_page
// makes is read as raw bytes at the offsets Documentation/arch/x86/
// zero-page.rst and boot.rst give, not through struct boot_params, so a
// field written to the wrong place shows up; then load_linux, end to end,
// must leave the same in guest memory at 0x7000.
//
// scripts/lab-check 7 runs these (BootProtocolLab*) together with E820*.
#include <asm/bootparam.h>
#include <asm/e820.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "tests/unit/boot/fake_bzimage.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/linux_loader.h"
#include "vmm/boot/zero_page.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

constexpr uint64_t kKiB = 1ull << 10;
constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

// zero-page.rst and boot.rst: where the kernel looks. Checked against the
// uapi header, so that the raw reads below mean what they say.
constexpr uint64_t kAcpiRsdpAddrOffset = 0x070;
constexpr uint64_t kExtRamdiskImageOffset = 0x0c0;
constexpr uint64_t kExtRamdiskSizeOffset = 0x0c4;
constexpr uint64_t kExtCmdLinePtrOffset = 0x0c8;
constexpr uint64_t kE820EntriesOffset = 0x1e8;
constexpr uint64_t kSetupHeaderStart = 0x1f1;
constexpr uint64_t kBootFlagOffset = 0x1fe;
constexpr uint64_t kJumpOffset = 0x200;
constexpr uint64_t kHeaderMagicOffset = 0x202;
constexpr uint64_t kVersionOffset = 0x206;
constexpr uint64_t kVidModeOffset = 0x1fa;
constexpr uint64_t kTypeOfLoaderOffset = 0x210;
constexpr uint64_t kLoadflagsOffset = 0x211;
constexpr uint64_t kCode32StartOffset = 0x214;
constexpr uint64_t kRamdiskImageOffset = 0x218;
constexpr uint64_t kRamdiskSizeOffset = 0x21c;
constexpr uint64_t kHeapEndPtrOffset = 0x224;
constexpr uint64_t kCmdLinePtrOffset = 0x228;
constexpr uint64_t kE820TableOffset = 0x2d0;
constexpr uint64_t kE820EntrySize = 20;  // u64 addr, u64 size, u32 type, packed
constexpr uint64_t kZeroPageSize = 0x1000;

static_assert(offsetof(boot_params, acpi_rsdp_addr) == kAcpiRsdpAddrOffset);
static_assert(offsetof(boot_params, ext_ramdisk_image) == kExtRamdiskImageOffset);
static_assert(offsetof(boot_params, ext_ramdisk_size) == kExtRamdiskSizeOffset);
static_assert(offsetof(boot_params, ext_cmd_line_ptr) == kExtCmdLinePtrOffset);
static_assert(offsetof(boot_params, e820_entries) == kE820EntriesOffset);
static_assert(offsetof(boot_params, hdr) == kSetupHeaderStart);
static_assert(kSetupHeaderStart + offsetof(setup_header, boot_flag) == kBootFlagOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, jump) == kJumpOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, header) == kHeaderMagicOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, version) == kVersionOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, vid_mode) == kVidModeOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, type_of_loader) == kTypeOfLoaderOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, loadflags) == kLoadflagsOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, code32_start) == kCode32StartOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, ramdisk_image) == kRamdiskImageOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, ramdisk_size) == kRamdiskSizeOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, heap_end_ptr) == kHeapEndPtrOffset);
static_assert(kSetupHeaderStart + offsetof(setup_header, cmd_line_ptr) == kCmdLinePtrOffset);
static_assert(offsetof(boot_params, e820_table) == kE820TableOffset);
static_assert(sizeof(boot_e820_entry) == kE820EntrySize);
static_assert(sizeof(boot_params) == kZeroPageSize);

// The legacy area of a PC, which Berth mirrors (vmm/layout.h).
constexpr uint64_t kEbda = 0x9fc00;
constexpr uint64_t kVgaStart = 0xa0000;  // ISA_START_ADDRESS
constexpr uint64_t kAcpi = 0xe0000;
constexpr uint64_t kOneMiB = 0x100000;
constexpr uint64_t kHoleStart = 0xc000'0000;
constexpr uint64_t kFourGiB = 0x1'0000'0000;
static_assert(layout::kEbdaStart.value() == kEbda && layout::kAcpiStart.value() == kAcpi &&
              layout::kAcpiStart.value() + layout::kAcpiSize == kOneMiB &&
              layout::kMmioHoleStart.value() == kHoleStart && ISA_START_ADDRESS == kVgaStart);

struct Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    uint64_t end() const { return addr + size; }
    bool operator==(const Entry&) const = default;
};

void PrintTo(const Entry& entry, std::ostream* out) {
    *out << std::hex << "[0x" << entry.addr << ", 0x" << entry.end() << ") "
         << (entry.type == E820_RAM        ? "usable"
             : entry.type == E820_RESERVED ? "reserved"
                                           : "type " + std::to_string(entry.type));
}

// boot_e820_entry is packed: copy it into something gtest can compare and print.
std::vector<Entry> entries_of(const std::vector<boot_e820_entry>& map) {
    std::vector<Entry> entries;
    for (const boot_e820_entry& entry : map) {
        entries.push_back({entry.addr, entry.size, entry.type});
    }
    return entries;
}

std::vector<Entry> map_for(const std::vector<RamRange>& ranges) {
    const GuestMemory memory = GuestMemory::create(ranges);
    return entries_of(build_e820_map(memory));
}

std::vector<Entry> map_for_size(uint64_t memory_size) {
    return map_for(x86_ram_ranges(memory_size));
}

// The map a PC-like board of `memory_size` bytes must get: Berth's layout.
std::vector<Entry> expected_map(uint64_t memory_size) {
    std::vector<Entry> map = {
        {0, kEbda, E820_RAM},
        {kEbda, kVgaStart - kEbda, E820_RESERVED},
        {kAcpi, kOneMiB - kAcpi, E820_RESERVED},
        {kOneMiB, std::min(memory_size, kHoleStart) - kOneMiB, E820_RAM},
    };
    if (memory_size > kHoleStart) {
        map.push_back({kFourGiB, memory_size - kHoleStart, E820_RAM});
    }
    return map;
}

// Bytes [start, end) the map's entries of `type` cover, counted once.
uint64_t covered(const std::vector<Entry>& map, uint64_t start, uint64_t end, uint32_t type) {
    uint64_t bytes = 0;
    for (const Entry& entry : map) {
        const uint64_t from = std::max(entry.addr, start);
        const uint64_t to = std::min(entry.end(), end);
        if (entry.type == type && from < to) {
            bytes += to - from;
        }
    }
    return bytes;
}

uint64_t covered_by_any(const std::vector<Entry>& map, uint64_t start, uint64_t end) {
    return covered(map, start, end, E820_RAM) + covered(map, start, end, E820_RESERVED);
}

void expect_sorted_and_disjoint(const std::vector<Entry>& map) {
    for (size_t i = 0; i < map.size(); ++i) {
        EXPECT_GT(map[i].size, 0u) << "entry " << i << " is empty";
        EXPECT_TRUE(map[i].type == E820_RAM || map[i].type == E820_RESERVED)
            << "entry " << i << " has type " << map[i].type;
        if (i > 0) {
            EXPECT_LE(map[i - 1].end(), map[i].addr)
                << "entries " << i - 1 << " and " << i << " overlap or are out of order";
        }
    }
}

// --- The e820 map, entry by entry --------------------------------------------

class E820AtSize : public ::testing::TestWithParam<uint64_t> {};

TEST_P(E820AtSize, IsExactlyBerthsLayoutForThisMemorySize) {
    EXPECT_EQ(map_for_size(GetParam()), expected_map(GetParam()));
}

TEST_P(E820AtSize, DescribesConventionalRamBelow640KiBAsUsable) {
    const std::vector<Entry> map = map_for_size(GetParam());
    EXPECT_EQ(covered(map, 0, kEbda, E820_RAM), kEbda) << "all of [0, 0x9fc00) should be usable";
}

TEST_P(E820AtSize, ReservesTheEbdaAndTheAcpiTables) {
    const std::vector<Entry> map = map_for_size(GetParam());
    EXPECT_EQ(covered(map, kEbda, kVgaStart, E820_RESERVED), kVgaStart - kEbda)
        << "the EBDA, [0x9fc00, 0xa0000), should be reserved";
    EXPECT_EQ(covered(map, kAcpi, kOneMiB, E820_RESERVED), kOneMiB - kAcpi)
        << "Berth's ACPI tables, [0xe0000, 0x100000), should be reserved";
    EXPECT_EQ(covered(map, kEbda, kOneMiB, E820_RAM), 0u)
        << "nothing from the EBDA to 1 MiB is RAM";
}

TEST_P(E820AtSize, LeavesTheVgaAndRomHoleOut) {
    const std::vector<Entry> map = map_for_size(GetParam());
    EXPECT_EQ(covered_by_any(map, kVgaStart, kAcpi), 0u)
        << "[0xa0000, 0xe0000) is neither RAM nor reserved: no entry may touch it";
}

TEST_P(E820AtSize, DescribesRamFromOneMiBUpToTheMmioHole) {
    const uint64_t top = std::min(GetParam(), kHoleStart);
    const std::vector<Entry> map = map_for_size(GetParam());
    EXPECT_EQ(covered(map, kOneMiB, top, E820_RAM), top - kOneMiB);
    EXPECT_EQ(covered_by_any(map, top, kFourGiB), 0u)
        << "no entry above the end of low RAM " << std::hex << top << " and below 4 GiB";
}

TEST_P(E820AtSize, PutsTheRestAboveFourGiB) {
    const uint64_t high = GetParam() > kHoleStart ? GetParam() - kHoleStart : 0;
    const std::vector<Entry> map = map_for_size(GetParam());
    EXPECT_EQ(covered(map, kFourGiB, UINT64_MAX, E820_RAM), high);
    EXPECT_EQ(covered(map, kFourGiB + high, UINT64_MAX, E820_RAM) +
                  covered(map, kFourGiB, UINT64_MAX, E820_RESERVED),
              0u)
        << "nothing beyond the guest's RAM, nothing reserved above 4 GiB";
}

TEST_P(E820AtSize, IsSortedWithoutEmptyOrOverlappingEntries) {
    const std::vector<Entry> map = map_for_size(GetParam());
    ASSERT_FALSE(map.empty());
    expect_sorted_and_disjoint(map);
}

// Small, typical, the default, exactly at the hole, just past it, large. The
// prefix makes the full names BootProtocolLab/E820AtSize.Test/512MiB.
INSTANTIATE_TEST_SUITE_P(BootProtocolLab, E820AtSize,
                         ::testing::Values(16 * kMiB, 256 * kMiB, 512 * kMiB, 3 * kGiB,
                                           3 * kGiB + 2 * kMiB, 3584 * kMiB, 8 * kGiB),
                         [](const ::testing::TestParamInfo<uint64_t>& info) {
                             return std::to_string(info.param / kMiB) + "MiB";
                         });

TEST(BootProtocolLabE820Regions, SortsWhateverOrderTheRegionsComeIn) {
    // The region above 4 GiB first: the map must still start at address 0.
    const std::vector<Entry> map =
        map_for({{GuestAddress(kFourGiB), 64 * kMiB}, {GuestAddress(0), 64 * kMiB}});
    const std::vector<Entry> expected = {
        {0, kEbda, E820_RAM},
        {kEbda, kVgaStart - kEbda, E820_RESERVED},
        {kAcpi, kOneMiB - kAcpi, E820_RESERVED},
        {kOneMiB, 63 * kMiB, E820_RAM},
        {kFourGiB, 64 * kMiB, E820_RAM},
    };
    EXPECT_EQ(map, expected);
}

TEST(BootProtocolLabE820Regions, DescribesEachRegionWithoutInventingRamBetweenThem) {
    // Two separate regions above 1 MiB with a gap between them.
    const std::vector<Entry> map = map_for({{GuestAddress(0), 32 * kMiB},
                                            {GuestAddress(64 * kMiB), 16 * kMiB},
                                            {GuestAddress(2 * kGiB), 4 * kMiB}});
    expect_sorted_and_disjoint(map);
    EXPECT_EQ(covered(map, kOneMiB, 32 * kMiB, E820_RAM), 31 * kMiB);
    EXPECT_EQ(covered_by_any(map, 32 * kMiB, 64 * kMiB), 0u);
    EXPECT_EQ(covered(map, 64 * kMiB, 80 * kMiB, E820_RAM), 16 * kMiB);
    EXPECT_EQ(covered_by_any(map, 80 * kMiB, 2 * kGiB), 0u);
    EXPECT_EQ(covered(map, 2 * kGiB, 2 * kGiB + 4 * kMiB, E820_RAM), 4 * kMiB);
    EXPECT_EQ(covered_by_any(map, 2 * kGiB + 4 * kMiB, UINT64_MAX), 0u);
}

TEST(BootProtocolLabE820Regions, RefusesMoreEntriesThanTheZeroPageHolds) {
    // Low RAM gives two usable entries and the legacy area two reserved
    // ones; each further 4 KiB region, with a gap after it, one more.
    auto ranges_with = [](size_t extra_regions) {
        std::vector<RamRange> ranges = {{GuestAddress(0), 16 * kMiB}};
        for (size_t i = 0; i < extra_regions; ++i) {
            ranges.push_back({GuestAddress(32 * kMiB + i * 8 * kKiB), 4 * kKiB});
        }
        return ranges;
    };
    // 4 entries for low RAM and the legacy area, plus 124: exactly full.
    const size_t fits = E820_MAX_ENTRIES_ZEROPAGE - 4;
    EXPECT_EQ(map_for(ranges_with(fits)).size(), size_t{E820_MAX_ENTRIES_ZEROPAGE});
    const GuestMemory too_many = GuestMemory::create(ranges_with(fits + 1));
    EXPECT_THROW(build_e820_map(too_many), UserError);
}

// --- The zero page, as the kernel reads it ------------------------------------

// A zero page as bytes: little-endian fields at their documented offsets.
struct ZeroPageBytes {
    std::array<uint8_t, kZeroPageSize> bytes{};

    uint8_t byte(uint64_t offset) const { return bytes.at(offset); }
    template <typename T>
    T at(uint64_t offset) const {
        T value = 0;
        for (size_t i = 0; i < sizeof(T); ++i) {
            value |= T(byte(offset + i)) << (8 * i);
        }
        return value;
    }
    // The e820 table, as many entries as e820_entries says.
    std::vector<Entry> e820() const {
        std::vector<Entry> entries;
        for (uint64_t i = 0; i < at<uint8_t>(kE820EntriesOffset); ++i) {
            const uint64_t entry = kE820TableOffset + i * kE820EntrySize;
            entries.push_back(
                {at<uint64_t>(entry), at<uint64_t>(entry + 8), at<uint32_t>(entry + 16)});
        }
        return entries;
    }
};

// The setup header's fields a boot loader writes (boot.rst: "write" or
// "modify"), as [offset, size): everything else of the header is the file's.
bool written_by_loader(uint64_t offset) {
    const std::pair<uint64_t, uint64_t> fields[] = {
        {kVidModeOffset, 2},     {kTypeOfLoaderOffset, 1}, {kLoadflagsOffset, 1},
        {kCode32StartOffset, 4}, {kRamdiskImageOffset, 4}, {kRamdiskSizeOffset, 4},
        {kHeapEndPtrOffset, 2},  {kCmdLinePtrOffset, 4},
    };
    return std::any_of(std::begin(fields), std::end(fields), [offset](const auto& field) {
        return offset >= field.first && offset < field.first + field.second;
    });
}

// Where the setup header of `file` ends: 0x202 + the byte at 0x201 (boot.rst).
uint64_t header_end(const std::vector<uint8_t>& file) {
    return kJumpOffset + 2 + file[kJumpOffset + 1];
}

std::vector<boot_e820_entry> raw_map(const std::vector<Entry>& entries) {
    std::vector<boot_e820_entry> map;
    for (const Entry& entry : entries) {
        map.push_back({entry.addr, entry.size, entry.type});
    }
    return map;
}

// --- build_zero_page, field by field -----------------------------------------
//
// Inputs that are not Berth's layout, so that a zero page filled from
// constants instead of from its inputs shows.
constexpr GuestAddress kKernelAt{0x2000000};
constexpr GuestAddress kCmdlineAt{0x21000};
constexpr GuestAddress kInitrdAt{0x1f00'0000};
constexpr uint64_t kInitrdSize = 3 * kMiB + 123;
constexpr GuestAddress kRsdpAt{0xf0010};

// build_zero_page's zero page for a fake kernel (tests/unit/boot/fake_bzimage.h:
// protocol 2.15, loadflags LOADED_HIGH, header up to 0x26c).
struct ZeroPage {
    explicit ZeroPage(const ZeroPageInputs& in, const setup_header& header = fake::fake_header())
        : file(fake::make_bzimage(header)), kernel(parse_bzimage(file)) {
        const boot_params params = build_zero_page(kernel, in);
        std::memcpy(page.bytes.data(), &params, sizeof(params));
    }
    template <typename T>
    T at(uint64_t offset) const {
        return page.at<T>(offset);
    }

    std::vector<uint8_t> file;
    BzImage kernel;
    ZeroPageBytes page;
};

ZeroPageInputs inputs_with(std::span<const boot_e820_entry> e820) {
    return ZeroPageInputs{
        .kernel_load = kKernelAt,
        .cmdline = kCmdlineAt,
        .initrd = kInitrdAt,
        .initrd_size = kInitrdSize,
        .acpi_rsdp = kRsdpAt,
        .e820 = e820,
    };
}

TEST(BootProtocolLabZeroPage, StartsFromZeros) {
    const std::vector<boot_e820_entry> map = raw_map(expected_map(512 * kMiB));
    const ZeroPage zero_page(inputs_with(map));
    // Outside the setup header, only these may be non-zero.
    const std::pair<uint64_t, uint64_t> fields[] = {
        {kAcpiRsdpAddrOffset, 8},   {kExtRamdiskImageOffset, 4},
        {kExtRamdiskSizeOffset, 4}, {kExtCmdLinePtrOffset, 4},
        {kE820EntriesOffset, 1},    {kE820TableOffset, map.size() * kE820EntrySize},
    };
    const uint64_t end = header_end(zero_page.file);
    for (uint64_t offset = 0; offset < kZeroPageSize; ++offset) {
        const bool field = std::any_of(std::begin(fields), std::end(fields), [&](const auto& f) {
            return offset >= f.first && offset < f.first + f.second;
        });
        if (!field && (offset < kSetupHeaderStart || offset >= end)) {
            EXPECT_EQ(zero_page.page.byte(offset), 0) << "zero page offset " << std::hex << offset;
        }
    }
}

TEST(BootProtocolLabZeroPage, CopiesTheSetupHeaderTheKernelDeclares) {
    setup_header shorter = fake::fake_header();
    shorter.jump = 0x62eb;  // ends at 0x264: after init_size, before kernel_info_offset
    for (const setup_header& header : {fake::fake_header(), shorter}) {
        const std::vector<boot_e820_entry> map = raw_map(expected_map(512 * kMiB));
        const ZeroPage zero_page(inputs_with(map), header);
        EXPECT_EQ(zero_page.at<uint16_t>(kBootFlagOffset), 0xaa55);
        EXPECT_EQ(zero_page.at<uint32_t>(kHeaderMagicOffset), 0x53726448u);  // "HdrS"
        EXPECT_EQ(zero_page.at<uint16_t>(kVersionOffset), 0x020f);
        // Every byte up to the header's end is the file's, except the fields
        // a boot loader writes; after it, zeros (the shorter header leaves
        // out kernel_info_offset, although the file has a value there).
        const uint64_t end = header_end(zero_page.file);
        for (uint64_t offset = kSetupHeaderStart; offset < end; ++offset) {
            if (!written_by_loader(offset)) {
                EXPECT_EQ(zero_page.page.byte(offset), zero_page.file[offset])
                    << "header ends at " << std::hex << end << ", zero page offset " << offset;
            }
        }
        for (uint64_t offset = end; offset < kSetupHeaderStart + sizeof(setup_header); ++offset) {
            EXPECT_EQ(zero_page.page.byte(offset), 0)
                << "header ends at " << std::hex << end << ", zero page offset " << offset;
        }
    }
}

TEST(BootProtocolLabZeroPage, FillsTheBootLoaderFields) {
    setup_header header = fake::fake_header();
    header.loadflags = LOADED_HIGH | QUIET_FLAG;
    const std::vector<boot_e820_entry> map = raw_map(expected_map(512 * kMiB));
    const ZeroPage zero_page(inputs_with(map), header);
    EXPECT_EQ(zero_page.at<uint8_t>(kTypeOfLoaderOffset), 0xff) << "type_of_loader: undefined";
    EXPECT_EQ(zero_page.at<uint16_t>(kVidModeOffset), 0xffff) << "vid_mode: normal";
    EXPECT_EQ(zero_page.at<uint8_t>(kLoadflagsOffset), LOADED_HIGH | QUIET_FLAG | CAN_USE_HEAP)
        << "loadflags: the kernel's own flags kept, CAN_USE_HEAP added, KEEP_SEGMENTS not";
    EXPECT_EQ(zero_page.at<uint16_t>(kHeapEndPtrOffset), 0xfe00);
    EXPECT_EQ(zero_page.at<uint32_t>(kCode32StartOffset), kKernelAt.value())
        << "code32_start: where the kernel was put";
}

TEST(BootProtocolLabZeroPage, PointsAtTheCommandLineInTwoHalves) {
    const std::vector<boot_e820_entry> map = raw_map(expected_map(512 * kMiB));
    ZeroPageInputs in = inputs_with(map);
    const ZeroPage low(in);
    EXPECT_EQ(low.at<uint32_t>(kCmdLinePtrOffset), kCmdlineAt.value());
    EXPECT_EQ(low.at<uint32_t>(kExtCmdLinePtrOffset), 0u);
    // Above 4 GiB (Berth never does this, the protocol allows it): the
    // high 32 bits go to ext_cmd_line_ptr.
    in.cmdline = GuestAddress(0x1'2345'6000);
    const ZeroPage high(in);
    EXPECT_EQ(high.at<uint32_t>(kCmdLinePtrOffset), 0x2345'6000u);
    EXPECT_EQ(high.at<uint32_t>(kExtCmdLinePtrOffset), 1u);
}

TEST(BootProtocolLabZeroPage, PointsAtTheInitrdInTwoHalves) {
    const std::vector<boot_e820_entry> map = raw_map(expected_map(512 * kMiB));
    ZeroPageInputs in = inputs_with(map);
    const ZeroPage low(in);
    EXPECT_EQ(low.at<uint32_t>(kRamdiskImageOffset), kInitrdAt.value());
    EXPECT_EQ(low.at<uint32_t>(kRamdiskSizeOffset), kInitrdSize);
    EXPECT_EQ(low.at<uint32_t>(kExtRamdiskImageOffset), 0u);
    EXPECT_EQ(low.at<uint32_t>(kExtRamdiskSizeOffset), 0u);
    // An initrd above 4 GiB and larger than 4 GiB: both split.
    in.initrd = GuestAddress(0x3'0000'0000);
    in.initrd_size = 0x1'0000'0800;
    const ZeroPage high(in);
    EXPECT_EQ(high.at<uint32_t>(kRamdiskImageOffset), 0u);
    EXPECT_EQ(high.at<uint32_t>(kExtRamdiskImageOffset), 3u);
    EXPECT_EQ(high.at<uint32_t>(kRamdiskSizeOffset), 0x800u);
    EXPECT_EQ(high.at<uint32_t>(kExtRamdiskSizeOffset), 1u);
    // No initrd: all four are 0.
    in.initrd = GuestAddress(0);
    in.initrd_size = 0;
    const ZeroPage none(in);
    for (uint64_t offset :
         {kRamdiskImageOffset, kRamdiskSizeOffset, kExtRamdiskImageOffset, kExtRamdiskSizeOffset}) {
        EXPECT_EQ(none.at<uint32_t>(offset), 0u) << "offset " << std::hex << offset;
    }
}

TEST(BootProtocolLabZeroPage, PointsAtTheAcpiTables) {
    const std::vector<boot_e820_entry> map = raw_map(expected_map(512 * kMiB));
    ZeroPageInputs in = inputs_with(map);
    EXPECT_EQ(ZeroPage(in).at<uint64_t>(kAcpiRsdpAddrOffset), kRsdpAt.value());
    in.acpi_rsdp = GuestAddress(0x1'0000'0040);  // all 64 bits of it
    EXPECT_EQ(ZeroPage(in).at<uint64_t>(kAcpiRsdpAddrOffset), 0x1'0000'0040u);
}

TEST(BootProtocolLabZeroPage, HoldsTheE820MapAtItsOffsets) {
    for (uint64_t size : {16 * kMiB, 3584 * kMiB}) {
        const std::vector<boot_e820_entry> map = raw_map(expected_map(size));
        const ZeroPage zero_page(inputs_with(map));
        EXPECT_EQ(zero_page.at<uint8_t>(kE820EntriesOffset), map.size()) << size;
        EXPECT_EQ(zero_page.page.e820(), expected_map(size)) << size;
    }
}

TEST(BootProtocolLabZeroPage, HoldsAFullMapAndRefusesALongerOne) {
    // 128 entries, E820_MAX_ENTRIES_ZEROPAGE: the table's last slot ends at 0xcd0.
    std::vector<Entry> full;
    for (uint64_t i = 0; i < E820_MAX_ENTRIES_ZEROPAGE; ++i) {
        full.push_back({(i + 1) * kMiB, 4 * kKiB,
                        static_cast<uint32_t>(i % 2 == 0 ? E820_RAM : E820_RESERVED)});
    }
    const std::vector<boot_e820_entry> map = raw_map(full);
    const ZeroPage zero_page(inputs_with(map));
    EXPECT_EQ(zero_page.at<uint8_t>(kE820EntriesOffset), E820_MAX_ENTRIES_ZEROPAGE);
    EXPECT_EQ(zero_page.page.e820(), full);

    std::vector<boot_e820_entry> longer = map;
    longer.push_back({200 * kMiB, 4 * kKiB, E820_RAM});
    const std::vector<uint8_t> file = fake::make_bzimage(fake::fake_header());
    EXPECT_THROW(build_zero_page(parse_bzimage(file), inputs_with(longer)), UserError);
}

// --- load_linux, end to end ------------------------------------------------------

constexpr GuestAddress kRsdp{0xe0000};
const std::string kCmdline = "console=ttyS0 reboot=k panic=-1 berth.lab=7";

// A fake kernel (protocol 2.15, relocatable, pref_address 16 MiB, init_size
// 8 MiB) loaded with an initrd and a command line, and the zero page it got,
// read back from guest memory at 0x7000.
struct Booted {
    explicit Booted(uint64_t memory_size, uint64_t initrd_size = 3 * kMiB + 123)
        : memory(GuestMemory::create(x86_ram_ranges(memory_size))),
          file(fake::make_bzimage(fake::fake_header())),
          kernel(parse_bzimage(file)),
          initrd(initrd_size) {
        for (size_t i = 0; i < initrd.size(); ++i) {
            initrd[i] = static_cast<uint8_t>(i * 29 + 11);
        }
        // Junk where the zero page goes: a field the loader forgets shows.
        auto junk = memory.slice(layout::kZeroPageStart, kZeroPageSize);
        std::fill(junk->begin(), junk->end(), 0xa5);
        info = load_linux(memory, kernel, file, initrd, kCmdline, kRsdp);
        EXPECT_TRUE(memory.read(layout::kZeroPageStart, page.bytes));
    }

    template <typename T>
    T at(uint64_t offset) const {
        return page.at<T>(offset);
    }
    uint8_t byte(uint64_t offset) const { return page.byte(offset); }
    std::vector<Entry> e820() const { return page.e820(); }

    GuestMemory memory;
    std::vector<uint8_t> file;
    BzImage kernel;
    std::vector<uint8_t> initrd;
    LinuxBootInfo info{};
    ZeroPageBytes page;
};

TEST(BootProtocolLabLoadLinux, WritesTheE820MapOfTheGuestsMemory) {
    for (uint64_t size : {512 * kMiB, 3584 * kMiB}) {
        const Booted booted(size);
        EXPECT_EQ(booted.at<uint8_t>(kE820EntriesOffset), expected_map(size).size()) << size;
        EXPECT_EQ(booted.e820(), expected_map(size)) << size;
        // The slot after the last entry is zeros, not junk.
        const uint64_t after = kE820TableOffset + booted.e820().size() * kE820EntrySize;
        for (uint64_t i = 0; i < kE820EntrySize; ++i) {
            EXPECT_EQ(booted.byte(after + i), 0) << "byte " << i << " after the last entry";
        }
    }
}

TEST(BootProtocolLabLoadLinux, CarriesTheKernelsSetupHeader) {
    const Booted booted(512 * kMiB);
    EXPECT_EQ(booted.at<uint16_t>(kBootFlagOffset), 0xaa55);
    EXPECT_EQ(booted.at<uint32_t>(kHeaderMagicOffset), 0x53726448u);  // "HdrS"
    EXPECT_EQ(booted.at<uint16_t>(kVersionOffset), 0x020f);
    for (uint64_t offset = kSetupHeaderStart; offset < header_end(booted.file); ++offset) {
        if (!written_by_loader(offset)) {
            EXPECT_EQ(booted.byte(offset), booted.file[offset]) << "zero page offset " << offset;
        }
    }
}

TEST(BootProtocolLabLoadLinux, FillsTheBootLoaderFields) {
    const Booted booted(512 * kMiB);
    EXPECT_EQ(booted.at<uint8_t>(kTypeOfLoaderOffset), 0xff) << "type_of_loader: undefined";
    const uint8_t loadflags = booted.at<uint8_t>(kLoadflagsOffset);
    EXPECT_TRUE(loadflags & LOADED_HIGH) << "the kernel's own flag is kept";
    EXPECT_TRUE(loadflags & CAN_USE_HEAP) << "heap_end_ptr is valid";
    EXPECT_FALSE(loadflags & KEEP_SEGMENTS) << "obsolete, and not for the 64-bit entry";
    EXPECT_EQ(booted.at<uint16_t>(kHeapEndPtrOffset), 0xfe00);
    EXPECT_EQ(booted.at<uint32_t>(kCode32StartOffset), 0x1000000u) << "the load address";
    EXPECT_EQ(booted.at<uint64_t>(kAcpiRsdpAddrOffset), kRsdp.value());
}

TEST(BootProtocolLabLoadLinux, PointsAtTheCommandLine) {
    const Booted booted(512 * kMiB);
    const uint64_t pointer = booted.at<uint32_t>(kCmdLinePtrOffset) |
                             uint64_t{booted.at<uint32_t>(kExtCmdLinePtrOffset)} << 32;
    EXPECT_EQ(pointer, layout::kCmdlineStart.value());
    auto text = booted.memory.slice(GuestAddress(pointer), kCmdline.size() + 1);
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(std::string(text->begin(), text->end() - 1), kCmdline);
    EXPECT_EQ(text->back(), 0) << "the command line ends with a NUL";
}

TEST(BootProtocolLabLoadLinux, PointsAtTheInitrd) {
    for (uint64_t size : {64 * kMiB, 512 * kMiB, 3584 * kMiB}) {
        const Booted booted(size);
        const uint64_t image = booted.at<uint32_t>(kRamdiskImageOffset) |
                               uint64_t{booted.at<uint32_t>(kExtRamdiskImageOffset)} << 32;
        const uint64_t length = booted.at<uint32_t>(kRamdiskSizeOffset) |
                                uint64_t{booted.at<uint32_t>(kExtRamdiskSizeOffset)} << 32;
        EXPECT_EQ(length, booted.initrd.size()) << size;
        EXPECT_EQ(image % 4096, 0u) << size;
        // Above what the kernel claims, below initrd_addr_max and the MMIO hole,
        // inside RAM the e820 map calls usable.
        EXPECT_GE(image, 0x1000000u + booted.kernel.init_size) << size;
        EXPECT_LE(image + length, std::min<uint64_t>(size, kHoleStart)) << size;
        EXPECT_LE(image + length - 1, booted.kernel.initrd_addr_max) << size;
        EXPECT_EQ(covered(booted.e820(), image, image + length, E820_RAM), length) << size;
        auto bytes = booted.memory.slice(GuestAddress(image), length);
        ASSERT_TRUE(bytes.has_value()) << size;
        EXPECT_TRUE(std::equal(bytes->begin(), bytes->end(), booted.initrd.begin())) << size;
    }
}

TEST(BootProtocolLabLoadLinux, PutsTheKernelInUsableRamAndEntersAtStartup64) {
    const Booted booted(512 * kMiB);
    EXPECT_EQ(booted.info.entry_point.value(), booted.info.kernel_load.value() + 0x200);
    EXPECT_EQ(booted.info.zero_page, layout::kZeroPageStart);
    const uint64_t load = booted.info.kernel_load.value();
    EXPECT_EQ(covered(booted.e820(), load, load + booted.kernel.init_size, E820_RAM),
              booted.kernel.init_size)
        << "the kernel's init_size from its load address must be usable RAM";
    // The boot structures Berth puts in low memory are RAM the kernel knows
    // about (it reserves them itself while it reads them).
    for (GuestAddress address : {layout::kZeroPageStart, layout::kCmdlineStart}) {
        EXPECT_EQ(covered(booted.e820(), address.value(), address.value() + 4096, E820_RAM), 4096u);
    }
}

}  // namespace
}  // namespace berth::boot
