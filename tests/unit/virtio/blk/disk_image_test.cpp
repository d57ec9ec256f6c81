// DiskImage: what `--disk` refuses before the VM exists, how the image is
// opened and locked, and its I/O methods against real files.
#include "devices/virtio/blk/disk_image.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tests/unit/virtio/blk/temp_image.h"
#include "vmm/common/error.h"

namespace berth::virtio {
namespace {

using ::testing::AllOf;
using testing::disk_pattern;
using ::testing::HasSubstr;
using testing::TempDir;

// The flags of an open descriptor as the kernel reports them.
unsigned open_flags(int fd) {
    std::ifstream info("/proc/self/fdinfo/" + std::to_string(fd));
    std::string key;
    while (info >> key) {
        if (key == "flags:") {
            std::string octal;
            info >> octal;
            return static_cast<unsigned>(std::stoul(octal, nullptr, 8));
        }
    }
    ADD_FAILURE() << "no flags in fdinfo";
    return 0;
}

DiskConfig config_for(std::string path, bool read_only = false, std::string serial = "",
                      bool direct = false) {
    DiskConfig config;
    config.path = std::move(path);
    config.read_only = read_only;
    config.serial = std::move(serial);
    config.direct = direct;
    return config;
}

// The message of the UserError that opening `config` throws, or nullopt.
std::optional<std::string> refusal(const DiskConfig& config) {
    try {
        DiskImage image = DiskImage::open(config);
    } catch (const UserError& error) {
        return std::string(error.what());
    }
    return std::nullopt;
}

class DiskImageTest : public ::testing::Test {
protected:
    std::string image(const std::string& name, size_t size, mode_t mode = 0644) {
        return dir_.make_file(name, disk_pattern(size), mode);
    }
    TempDir dir_;
};

TEST_F(DiskImageTest, OpensAWritableImageReadWriteAndLocked) {
    const std::string path = image("disk.img", 8192);
    DiskImage disk = DiskImage::open(config_for(path));
    EXPECT_EQ(disk.size_bytes(), 8192u);
    EXPECT_EQ(disk.capacity_sectors(), 16u);
    EXPECT_FALSE(disk.read_only());
    EXPECT_FALSE(disk.direct());
    EXPECT_EQ(disk.path(), path);
    EXPECT_EQ(open_flags(disk.fd()) & O_ACCMODE, unsigned{O_RDWR});
    EXPECT_NE(open_flags(disk.fd()) & O_CLOEXEC, 0u);
    EXPECT_EQ(open_flags(disk.fd()) & O_NONBLOCK, 0u);
}

TEST_F(DiskImageTest, OpensAReadOnlyImageWithoutWriteAccess) {
    // Mode 0444: as root, open(O_RDWR) would succeed anyway, so look at the
    // descriptor's own access mode too.
    const std::string path = image("ro.img", 4096, 0444);
    DiskImage disk = DiskImage::open(config_for(path, true));
    EXPECT_TRUE(disk.read_only());
    EXPECT_EQ(open_flags(disk.fd()) & O_ACCMODE, unsigned{O_RDONLY});
}

TEST_F(DiskImageTest, RefusesAMissingFile) {
    const std::string path = dir_.file_path("nothing-here.img");
    const auto message = refusal(config_for(path));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, AllOf(HasSubstr("--disk " + path), HasSubstr("no such file")));
}

TEST_F(DiskImageTest, RefusesADirectory) {
    const auto message = refusal(config_for(dir_.path()));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, AllOf(HasSubstr(dir_.path()), HasSubstr("is a directory")));
}

TEST_F(DiskImageTest, RefusesACharacterDeviceAndAFifoWithoutBlocking) {
    auto message = refusal(config_for("/dev/null"));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, HasSubstr("neither a regular file nor a block device"));

    // Opening a FIFO for reading would wait for a writer: it must not be opened.
    const std::string fifo = dir_.file_path("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    message = refusal(config_for(fifo, true));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, HasSubstr("neither a regular file nor a block device"));
}

TEST_F(DiskImageTest, RefusesASizeThatIsNotAWholeNumberOfSectors) {
    const std::string path = image("odd.img", 1000);
    const auto message = refusal(config_for(path));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, AllOf(HasSubstr(path), HasSubstr("1000 bytes"),
                                HasSubstr("not a multiple of 512"), HasSubstr("truncate -s 1024")));
}

TEST_F(DiskImageTest, RefusesAnEmptyImage) {
    const std::string path = image("empty.img", 0);
    const auto message = refusal(config_for(path));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, AllOf(HasSubstr(path), HasSubstr("empty")));
}

TEST_F(DiskImageTest, RefusesASerialLongerThan20Bytes) {
    const std::string path = image("disk.img", 512);
    EXPECT_FALSE(refusal(config_for(path, false, std::string(20, 's'))));
    const auto message = refusal(config_for(path, false, std::string(21, 's')));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, AllOf(HasSubstr("serial="), HasSubstr("21 bytes")));
}

TEST_F(DiskImageTest, AWriterExcludesEveryOtherOpen) {
    const std::string path = image("disk.img", 4096);
    std::optional<DiskImage> writer = DiskImage::open(config_for(path));

    auto message = refusal(config_for(path));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, AllOf(HasSubstr(path), HasSubstr("in use by another process (locked)"),
                                HasSubstr(",ro")));
    message = refusal(config_for(path, true));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, HasSubstr("locked"));

    writer.reset();  // closing the descriptor drops the lock
    EXPECT_FALSE(refusal(config_for(path)));
}

TEST_F(DiskImageTest, ReadersShareButExcludeAWriter) {
    const std::string path = image("disk.img", 4096);
    DiskImage first = DiskImage::open(config_for(path, true));
    DiskImage second = DiskImage::open(config_for(path, true));
    const auto message = refusal(config_for(path));
    ASSERT_TRUE(message);
    EXPECT_THAT(*message, HasSubstr("locked"));
}

TEST_F(DiskImageTest, ARefusedOpenLeavesTheFileAsItWas) {
    const std::string path = image("disk.img", 4096);
    DiskImage holder = DiskImage::open(config_for(path));
    EXPECT_TRUE(refusal(config_for(path, false, "a serial that is far too long")));
    EXPECT_TRUE(refusal(config_for(path)));
    EXPECT_EQ(TempDir::read_file(path), disk_pattern(4096));
}

TEST_F(DiskImageTest, ReadsAndWritesAtByteOffsetsAcrossBuffers) {
    const std::string path = image("disk.img", 8192);
    DiskImage disk = DiskImage::open(config_for(path));

    std::vector<uint8_t> a(100), b(924);  // 1024 bytes in two uneven pieces
    std::vector<std::span<uint8_t>> in{a, b};
    ASSERT_EQ(disk.read(1024, in), 0);
    const std::vector<uint8_t> expected = disk_pattern(8192);
    EXPECT_EQ(a, std::vector<uint8_t>(expected.begin() + 1024, expected.begin() + 1124));
    EXPECT_EQ(b, std::vector<uint8_t>(expected.begin() + 1124, expected.begin() + 2048));

    const std::vector<uint8_t> c(300, 0x11), d(212, 0x22);
    std::vector<std::span<const uint8_t>> out{c, d};
    ASSERT_EQ(disk.write(4096, out), 0);
    ASSERT_EQ(disk.flush(), 0);
    std::vector<uint8_t> now = TempDir::read_file(path);
    std::vector<uint8_t> want = expected;
    std::fill(want.begin() + 4096, want.begin() + 4396, 0x11);
    std::fill(want.begin() + 4396, want.begin() + 4608, 0x22);
    EXPECT_EQ(now, want);
}

TEST_F(DiskImageTest, WriteZeroesAndDiscardKeepTheSize) {
    const std::string path = image("disk.img", 64 * 1024);
    DiskImage disk = DiskImage::open(config_for(path));
    ASSERT_EQ(disk.write_zeroes(4096, 8192, /*may_unmap=*/false), 0);
    ASSERT_EQ(disk.write_zeroes(20480, 4096, /*may_unmap=*/true), 0);
    ASSERT_EQ(disk.discard(32768, 4096), 0);
    std::vector<uint8_t> want = disk_pattern(64 * 1024);
    std::fill(want.begin() + 4096, want.begin() + 12288, 0);
    std::fill(want.begin() + 20480, want.begin() + 24576, 0);
    std::vector<uint8_t> now = TempDir::read_file(path);
    ASSERT_EQ(now.size(), want.size());
    // A discarded range may read as anything: compare the rest.
    std::copy(now.begin() + 32768, now.begin() + 36864, want.begin() + 32768);
    EXPECT_EQ(now, want);
}

TEST_F(DiskImageTest, AReadOnlyImageRefusesWritesButFlushes) {
    const std::string path = image("ro.img", 4096);
    DiskImage disk = DiskImage::open(config_for(path, true));
    const std::vector<uint8_t> data(512, 0x55);
    std::vector<std::span<const uint8_t>> out{data};
    EXPECT_EQ(disk.write(0, out), EBADF);
    EXPECT_EQ(disk.discard(0, 512), EBADF);
    EXPECT_EQ(disk.write_zeroes(0, 512, false), EBADF);
    EXPECT_EQ(disk.flush(), 0);
    EXPECT_EQ(TempDir::read_file(path), disk_pattern(4096));
}

TEST_F(DiskImageTest, AReadThatMeetsTheEndOfAShrunkFileFails) {
    const std::string path = image("disk.img", 4096);
    DiskImage disk = DiskImage::open(config_for(path));
    ASSERT_EQ(::truncate(path.c_str(), 1024), 0);  // someone else shrank it
    std::vector<uint8_t> data(2048);
    std::vector<std::span<uint8_t>> in{data};
    EXPECT_EQ(disk.read(0, in), EIO);
}

TEST_F(DiskImageTest, HostWriteErrorsComeBackAsErrno) {
    // /dev/full: every write fails with ENOSPC.
    DiskImage disk(UniqueFd(::open("/dev/full", O_RDWR | O_CLOEXEC)), "/dev/full", 4096, false,
                   false);
    ASSERT_GE(disk.fd(), 0);
    const std::vector<uint8_t> data(512, 1);
    std::vector<std::span<const uint8_t>> out{data};
    EXPECT_EQ(disk.write(0, out), ENOSPC);
}

// O_DIRECT needs a file system that supports it (tmpfs does not).
std::optional<DiskImage> open_direct(const DiskConfig& config) {
    try {
        return DiskImage::open(config);
    } catch (const UserError& error) {
        if (std::string(error.what()).find("O_DIRECT") != std::string::npos) {
            return std::nullopt;
        }
        throw;
    }
}

TEST_F(DiskImageTest, DirectIoTakesAlignedAndUnalignedBuffers) {
    const std::string path = image("direct.img", 64 * 1024);
    std::optional<DiskImage> disk = open_direct(config_for(path, false, "", true));
    if (!disk) {
        GTEST_SKIP() << dir_.path() << " does not support O_DIRECT";
    }
    EXPECT_TRUE(disk->direct());
    EXPECT_NE(open_flags(disk->fd()) & O_DIRECT, 0u);

    // Aligned: straight to the file.
    alignas(4096) static uint8_t aligned[8192];
    std::vector<std::span<uint8_t>> in{std::span<uint8_t>(aligned, 8192)};
    ASSERT_EQ(disk->read(4096, in), 0);
    const std::vector<uint8_t> expected = disk_pattern(64 * 1024);
    EXPECT_TRUE(std::equal(aligned, aligned + 8192, expected.begin() + 4096));

    // Unaligned, as guest buffers can be: through the bounce buffer.
    std::vector<uint8_t> storage(4096 + 8);
    std::span<uint8_t> odd(storage.data() + 3, 1500);
    std::span<uint8_t> rest(storage.data() + 1503, 548);  // 2048 bytes in all
    std::vector<std::span<uint8_t>> odd_in{odd, rest};
    ASSERT_EQ(disk->read(512, odd_in), 0);
    EXPECT_TRUE(std::equal(storage.begin() + 3, storage.begin() + 2051, expected.begin() + 512));

    for (size_t i = 0; i < 2048; ++i) {
        storage[3 + i] = static_cast<uint8_t>(i * 13);
    }
    std::vector<std::span<const uint8_t>> odd_out{
        std::span<const uint8_t>(storage.data() + 3, 2048)};
    ASSERT_EQ(disk->write(32768, odd_out), 0);
    ASSERT_EQ(disk->flush(), 0);
    const std::vector<uint8_t> now = TempDir::read_file(path);
    EXPECT_TRUE(std::equal(now.begin() + 32768, now.begin() + 34816, storage.begin() + 3));
}

}  // namespace
}  // namespace berth::virtio
