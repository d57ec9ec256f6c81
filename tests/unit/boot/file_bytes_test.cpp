// MappedFile (vmm/common/mapped_file.h) and FileBytes (vmm/boot/file_bytes.h):
// the kernel and initrd files `berth run` maps, and the copies the loaders
// make from them, with pread() for a real file and from memory otherwise.
#include "vmm/boot/file_bytes.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/unit/boot/fake_bzimage.h"
#include "tests/unit/virtio/blk/temp_image.h"
#include "vmm/boot/linux_loader.h"
#include "vmm/common/error.h"
#include "vmm/common/mapped_file.h"
#include "vmm/memory/memory_layout.h"

namespace berth::boot {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using virtio::testing::disk_pattern;
using virtio::testing::TempDir;

constexpr uint64_t kMiB = 1ull << 20;

std::string refusal(const std::string& path) {
    try {
        MappedFile::open(path, "kernel");
    } catch (const UserError& error) {
        return error.what();
    }
    return "(accepted)";
}

TEST(MappedFile, MapsARegularFileAndRefusesTheRestWithTheirPath) {
    const TempDir dir;
    const std::vector<uint8_t> contents = disk_pattern(10000);
    const MappedFile file = MappedFile::open(dir.make_file("k", contents), "kernel");
    EXPECT_EQ(file.size(), contents.size());
    EXPECT_GE(file.fd(), 0);
    EXPECT_TRUE(std::equal(contents.begin(), contents.end(), file.bytes().begin()));

    EXPECT_TRUE(MappedFile::open(dir.make_file("empty", {}), "initrd").empty());
    EXPECT_THAT(refusal(dir.path()), HasSubstr("is not a regular file"));
    EXPECT_THAT(refusal(dir.file_path("missing")),
                AllOf(HasSubstr("cannot open kernel"), HasSubstr("missing")));
}

TEST(MappedFile, MovingHandsOverTheMappingAndTheDescriptor) {
    const TempDir dir;
    MappedFile first = MappedFile::open(dir.make_file("k", disk_pattern(4096)), "kernel");
    const int fd = first.fd();
    MappedFile second = std::move(first);
    EXPECT_EQ(second.fd(), fd);
    EXPECT_EQ(second.size(), 4096u);
    EXPECT_TRUE(first.empty());  // NOLINT(bugprone-use-after-move): moved-from state is defined
    second = MappedFile();
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // closed
}

TEST(FileBytes, CopiesARangeFromMemoryOrFromTheFile) {
    const TempDir dir;
    const std::vector<uint8_t> contents = disk_pattern(3 * 4096 + 123);
    const MappedFile mapped = MappedFile::open(dir.make_file("k", contents), "kernel");
    for (const FileBytes& bytes : {FileBytes(contents), FileBytes(mapped)}) {
        std::vector<uint8_t> out(5000, 0xee);
        bytes.copy_to(4000, out, "the kernel");
        EXPECT_TRUE(std::equal(out.begin(), out.end(), contents.begin() + 4000));
        std::vector<uint8_t> past_the_end(2);
        EXPECT_THROW(bytes.copy_to(contents.size() - 1, past_the_end, "the kernel"),
                     std::invalid_argument);
    }
}

TEST(FileBytes, AFileThatShrankAfterOpeningIsAUserError) {
    const TempDir dir;
    const std::string path = dir.make_file("initrd", disk_pattern(8192));
    const MappedFile mapped = MappedFile::open(path, "initrd");
    ASSERT_EQ(::truncate(path.c_str(), 4096), 0);
    std::vector<uint8_t> out(8192);
    try {
        FileBytes(mapped).copy_to(0, out, "the initrd");
        ADD_FAILURE() << "a short read was not noticed";
    } catch (const UserError& error) {
        EXPECT_THAT(error.what(), HasSubstr("the initrd file shrank"));
    }
}

// `berth run` loads from mapped files; the guest must get the same bytes as
// from the file's contents in memory.
TEST(FileBytes, LoadLinuxFromAMappedFileFillsGuestMemoryAsFromBytes) {
    const TempDir dir;
    const std::vector<uint8_t> kernel_file = fake::make_bzimage(fake::fake_header());
    const std::vector<uint8_t> initrd = disk_pattern(70000, 3);
    const MappedFile mapped_kernel = MappedFile::open(dir.make_file("bz", kernel_file), "kernel");
    const MappedFile mapped_initrd = MappedFile::open(dir.make_file("rd", initrd), "initrd");
    const BzImage kernel = parse_bzimage(mapped_kernel.bytes());

    const GuestMemory from_file = GuestMemory::create(x86_ram_ranges(64 * kMiB));
    const GuestMemory from_bytes = GuestMemory::create(x86_ram_ranges(64 * kMiB));
    const LinuxBootInfo a =
        load_linux(from_file, kernel, mapped_kernel, mapped_initrd, "quiet", GuestAddress(0));
    const LinuxBootInfo b =
        load_linux(from_bytes, kernel, kernel_file, initrd, "quiet", GuestAddress(0));
    ASSERT_EQ(a.kernel_load, b.kernel_load);
    ASSERT_EQ(a.initrd, b.initrd);
    const auto payload = from_file.slice(a.kernel_load, kernel.payload_size);
    const auto placed_initrd = from_file.slice(a.initrd, initrd.size());
    ASSERT_TRUE(payload && placed_initrd);
    EXPECT_TRUE(
        std::equal(payload->begin(), payload->end(),
                   kernel_file.begin() + static_cast<std::ptrdiff_t>(kernel.payload_offset)));
    EXPECT_TRUE(std::equal(initrd.begin(), initrd.end(), placed_initrd->begin()));
}

}  // namespace
}  // namespace berth::boot
