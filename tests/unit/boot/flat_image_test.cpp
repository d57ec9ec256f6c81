#include "vmm/boot/flat_image.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <string>

#include "tests/unit/virtio/blk/temp_image.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"
#include "vmm/memory/memory_layout.h"

namespace berth::boot {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using virtio::testing::TempDir;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;
constexpr uint64_t kMemory = 64 * kMiB;
// The most a real-mode image may hold: 0x7c00 up to 0x9fc00.
constexpr uint64_t kRealModeMax = 0x9fc00 - 0x7c00;

std::string place_refusal(uint64_t size, CpuMode mode, std::optional<uint64_t> entry = {},
                          uint64_t memory_size = kMemory) {
    try {
        place_flat_image(size, mode, entry, memory_size);
    } catch (const UserError& error) {
        return error.what();
    }
    ADD_FAILURE() << "placed " << size << " bytes";
    return "";
}

std::string read_refusal(const std::string& path, CpuMode mode = CpuMode::kReal,
                         std::optional<uint64_t> entry = {}) {
    try {
        read_flat_image(path, mode, entry, kMemory);
    } catch (const UserError& error) {
        return error.what();
    }
    ADD_FAILURE() << "read " << path;
    return "";
}

// A guest program of `size` bytes; byte i differs from its neighbours.
std::vector<uint8_t> program(size_t size) {
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<uint8_t>(i * 7 + 1);
    }
    return bytes;
}

TEST(FlatImageLoadAddress, BootSectorForRealModeOneMiBOtherwise) {
    EXPECT_EQ(flat_image_load_address(CpuMode::kReal), GuestAddress(0x7c00));
    EXPECT_EQ(flat_image_load_address(CpuMode::kProtected), GuestAddress(0x100000));
    EXPECT_EQ(flat_image_load_address(CpuMode::kLong), GuestAddress(0x100000));
}

TEST(PlaceFlatImage, EntersAtTheLoadAddressByDefault) {
    const FlatImagePlacement real = place_flat_image(512, CpuMode::kReal, {}, kMemory);
    EXPECT_EQ(real.load, GuestAddress(0x7c00));
    EXPECT_EQ(real.size, 512u);
    EXPECT_EQ(real.end(), GuestAddress(0x7e00));
    EXPECT_EQ(real.entry, GuestAddress(0x7c00));
    for (CpuMode mode : {CpuMode::kProtected, CpuMode::kLong}) {
        const FlatImagePlacement placement = place_flat_image(4096, mode, {}, kMemory);
        EXPECT_EQ(placement.load, GuestAddress(0x100000));
        EXPECT_EQ(placement.entry, GuestAddress(0x100000));
        EXPECT_EQ(placement.end(), GuestAddress(0x101000));
    }
}

TEST(PlaceFlatImage, TakesAnEntryAnywhereInsideTheImage) {
    EXPECT_EQ(place_flat_image(512, CpuMode::kReal, 0x7dff, kMemory).entry, GuestAddress(0x7dff));
    EXPECT_EQ(place_flat_image(0x2000, CpuMode::kLong, 0x101234, kMemory).entry,
              GuestAddress(0x101234));
}

TEST(PlaceFlatImage, RefusesAnEntryOutsideTheImage) {
    for (uint64_t entry : {0x0ull, 0x7bffull, 0x7e00ull, 0xffffffffffffffffull}) {
        EXPECT_THAT(place_refusal(512, CpuMode::kReal, entry),
                    AllOf(HasSubstr("--entry"), HasSubstr("outside the image"),
                          HasSubstr("[0x7c00, 0x7e00)")))
            << std::hex << entry;
    }
    EXPECT_THAT(place_refusal(0x1000, CpuMode::kProtected, 0x101000),
                HasSubstr("[0x100000, 0x101000)"));
}

TEST(PlaceFlatImage, RefusesARealModeEntryAboveSixtyFourKiB) {
    EXPECT_EQ(place_flat_image(0x10000, CpuMode::kReal, 0xffff, kMemory).entry,
              GuestAddress(0xffff));
    EXPECT_THAT(place_refusal(0x10000, CpuMode::kReal, 0x10000),
                AllOf(HasSubstr("--entry 0x10000"), HasSubstr("first 64 KiB")));
}

TEST(PlaceFlatImage, RefusesAnEmptyImage) {
    for (CpuMode mode : {CpuMode::kReal, CpuMode::kProtected, CpuMode::kLong}) {
        EXPECT_THAT(place_refusal(0, mode), AllOf(HasSubstr("empty"), HasSubstr("flat binary")));
    }
}

TEST(PlaceFlatImage, RealModeImagesEndWithConventionalRam) {
    const FlatImagePlacement largest = place_flat_image(kRealModeMax, CpuMode::kReal, {}, kMemory);
    EXPECT_EQ(largest.end(), layout::kEbdaStart);
    EXPECT_THAT(place_refusal(kRealModeMax + 1, CpuMode::kReal),
                AllOf(HasSubstr("0x9fc00"), HasSubstr("at most 622592 bytes"),
                      HasSubstr("--mode protected or long")));
    EXPECT_THAT(place_refusal(uint64_t{1} << 63, CpuMode::kReal), HasSubstr("0x9fc00"));
}

TEST(PlaceFlatImage, ImagesAtOneMiBMustFitTheGuestsMemory) {
    const uint64_t memory = 16 * kMiB;
    EXPECT_EQ(place_flat_image(15 * kMiB, CpuMode::kProtected, {}, memory).end(),
              GuestAddress(memory));
    EXPECT_THAT(place_refusal(15 * kMiB + 1, CpuMode::kProtected, {}, memory),
                AllOf(HasSubstr("--memory of at least 17 MiB"), HasSubstr("has 16 MiB")));
    EXPECT_THAT(place_refusal(15 * kMiB + 1, CpuMode::kLong, {}, memory),
                HasSubstr("larger --memory"));
    // Real mode too, in a guest smaller than conventional RAM.
    EXPECT_THAT(place_refusal(0x1000, CpuMode::kReal, {}, 0x8000), HasSubstr("--memory"));
}

TEST(PlaceFlatImage, ImagesAtOneMiBMustEndBelowTheMmioHole) {
    // More memory does not help: RAM above 4 GiB is not contiguous with the image.
    const uint64_t below_hole = layout::kMmioHoleStart.value() - 0x100000;
    EXPECT_EQ(place_flat_image(below_hole, CpuMode::kLong, {}, 8 * kGiB).end(),
              layout::kMmioHoleStart);
    EXPECT_THAT(place_refusal(below_hole + 1, CpuMode::kLong, {}, 8 * kGiB),
                AllOf(HasSubstr("MMIO hole"), HasSubstr("make it smaller")));
    EXPECT_THAT(place_refusal(~uint64_t{0}, CpuMode::kProtected, {}, 8 * kGiB),
                HasSubstr("MMIO hole"));
}

TEST(ReadFlatImage, ReadsAndPlacesAFile) {
    const TempDir dir;
    const std::vector<uint8_t> bytes = program(1000);
    const std::string path = dir.make_file("guest.bin", bytes);
    const FlatImage image = read_flat_image(path, CpuMode::kProtected, 0x100010, kMemory);
    EXPECT_EQ(image.bytes, bytes);
    EXPECT_EQ(image.placement.load, GuestAddress(0x100000));
    EXPECT_EQ(image.placement.size, 1000u);
    EXPECT_EQ(image.placement.entry, GuestAddress(0x100010));
}

TEST(ReadFlatImage, RefusesAMissingFileOrADirectory) {
    const TempDir dir;
    const std::string missing = dir.file_path("missing.bin");
    EXPECT_THAT(read_refusal(missing),
                AllOf(HasSubstr(missing), HasSubstr("No such file"), HasSubstr("flat binary")));
    EXPECT_THAT(read_refusal(dir.path()),
                AllOf(HasSubstr(dir.path()), HasSubstr("not a regular file")));
    EXPECT_THAT(read_refusal("/dev/null"), HasSubstr("not a regular file"));
}

TEST(ReadFlatImage, RefusesAnUnreadableFile) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "root reads files whatever their mode";
    }
    const TempDir dir;
    const std::string path = dir.make_file("secret.bin", program(16), 0);
    EXPECT_THAT(read_refusal(path), AllOf(HasSubstr(path), HasSubstr("Permission denied")));
}

TEST(ReadFlatImage, RefusesAnEmptyFileNamingIt) {
    const TempDir dir;
    const std::string path = dir.make_file("empty.bin", {});
    EXPECT_THAT(read_refusal(path), AllOf(HasSubstr("image " + path), HasSubstr("is empty")));
}

TEST(ReadFlatImage, RefusesATooBigFileAndABadEntryNamingIt) {
    const TempDir dir;
    const std::string path = dir.make_file("big.bin", {});
    // Sparse: a 1 GiB file costs nothing, and is refused from its size alone.
    std::filesystem::resize_file(path, kGiB);
    EXPECT_THAT(read_refusal(path, CpuMode::kReal),
                AllOf(HasSubstr("image " + path), HasSubstr("0x9fc00")));
    EXPECT_THAT(read_refusal(path, CpuMode::kLong), HasSubstr("larger --memory"));

    const std::string small = dir.make_file("small.bin", program(512));
    EXPECT_THAT(read_refusal(small, CpuMode::kReal, 0x100000),
                AllOf(HasSubstr("image " + small), HasSubstr("--entry 0x100000")));
}

// Memory whose low 2 MiB are all 0xff, so a test sees exactly what was written.
GuestMemory dirty_memory(uint64_t size = kMemory) {
    GuestMemory memory = GuestMemory::create(x86_ram_ranges(size));
    auto low = memory.slice(GuestAddress(0), 2 * kMiB);
    std::memset(low->data(), 0xff, low->size());
    return memory;
}

void expect_loaded_exactly(const GuestMemory& memory, const FlatImage& image) {
    const uint64_t load = image.placement.load.value();
    auto view = memory.slice(image.placement.load, image.bytes.size());
    ASSERT_TRUE(view.has_value());
    EXPECT_TRUE(std::equal(view->begin(), view->end(), image.bytes.begin()));
    EXPECT_EQ(memory.read_obj<uint8_t>(GuestAddress(load - 1)), uint8_t{0xff});
    EXPECT_EQ(memory.read_obj<uint8_t>(image.placement.end()), uint8_t{0xff});
}

TEST(LoadFlatImage, CopiesTheImageToItsLoadAddressOnly) {
    const TempDir dir;
    const std::string path = dir.make_file("guest.bin", program(4321));
    for (CpuMode mode : {CpuMode::kReal, CpuMode::kProtected, CpuMode::kLong}) {
        SCOPED_TRACE(cpu_mode_name(mode));
        const GuestMemory memory = dirty_memory();
        const FlatImage image = read_flat_image(path, mode, {}, kMemory);
        load_flat_image(memory, image);
        expect_loaded_exactly(memory, image);
    }
}

TEST(LoadFlatImage, FillsRealModeRamToItsEnd) {
    const GuestMemory memory = dirty_memory();
    FlatImage image;
    image.bytes = program(kRealModeMax);
    image.placement = place_flat_image(kRealModeMax, CpuMode::kReal, {}, kMemory);
    load_flat_image(memory, image);
    expect_loaded_exactly(memory, image);
}

TEST(LoadFlatImage, RefusesMemorySmallerThanItWasPlacedFor) {
    const GuestMemory memory = dirty_memory(4 * kMiB);
    FlatImage image;
    image.bytes = program(4 * kMiB);
    image.placement = place_flat_image(image.bytes.size(), CpuMode::kLong, {}, kMemory);
    try {
        load_flat_image(memory, image);
        ADD_FAILURE() << "loaded past the end of memory";
    } catch (const UserError& error) {
        EXPECT_THAT(error.what(), HasSubstr("the lab image"));
    }
}

}  // namespace
}  // namespace berth::boot
