// VirtioBlk (virtio 1.2 §5.2) on its own, without a transport: a test
// driver offers requests, the device serves them on its worker against a
// real image file, and the tests check the file, guest memory and the used
// ring. They wait for the worker by polling its counters with a generous
// deadline, never by sleeping a fixed time.
#include "devices/virtio/blk/virtio_blk.h"

#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <thread>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "tests/unit/virtio/blk/blk_driver.h"
#include "tests/unit/virtio/blk/temp_image.h"

namespace berth::virtio {
namespace {

using testing::BlkDriver;
using testing::Buffer;
using testing::disk_pattern;
using testing::segment;
using testing::TempDir;

constexpr size_t kDiskSize = 64 * 1024;  // 128 sectors

// Called from the worker thread: everything is atomic.
class RecordingInterrupt final : public Interrupt {
public:
    void signal_used_queue(uint16_t queue_index) override {
        if (queue_index == 0) {
            ++used;
        } else {
            ++wrong_queue;
        }
    }
    void signal_config_change() override { ++config_changes; }
    void signal_needs_reset() override { ++needs_reset; }

    std::atomic<int> used{0};
    std::atomic<int> wrong_queue{0};
    std::atomic<int> config_changes{0};
    std::atomic<int> needs_reset{0};
};

// Polls `done` until it holds or 10 seconds pass.
bool eventually(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

uint64_t bit(unsigned number) {
    return uint64_t{1} << number;
}

constexpr uint64_t kAllFeatures = (uint64_t{1} << 32) | (uint64_t{1} << VIRTIO_BLK_F_DISCARD) |
                                  (uint64_t{1} << VIRTIO_BLK_F_WRITE_ZEROES) |
                                  (uint64_t{1} << VIRTIO_BLK_F_FLUSH);

class VirtioBlkTest : public ::testing::Test {
protected:
    // A device over a fresh image filled with disk_pattern().
    std::unique_ptr<VirtioBlk> make_device(bool read_only = false, std::string serial = "") {
        path_ = dir_.make_file("disk.img", disk_pattern(kDiskSize));
        DiskConfig config;
        config.path = path_;
        config.read_only = read_only;
        config.serial = serial;
        return std::make_unique<VirtioBlk>(DiskImage::open(config), serial);
    }
    void activate(VirtioBlk& blk, uint64_t features = kAllFeatures) {
        driver_.fake().configure(queue_, features);
        ASSERT_TRUE(blk.activate(driver_.memory(), features, {&queue_}, interrupt_));
    }
    // Kicks the device and waits until it has returned `count` chains in all.
    void run(VirtioBlk& blk, uint64_t count) {
        blk.process_queue(0);
        ASSERT_TRUE(eventually([&] { return blk.requests_served() >= count; }))
            << "served " << blk.requests_served() << " of " << count;
        EXPECT_EQ(driver_.fake().used_idx(), count);
    }
    vring_used_elem used(uint16_t n) { return driver_.fake().used_element(n); }
    std::vector<uint8_t> file() { return TempDir::read_file(path_); }
    static std::vector<uint8_t> slice(const std::vector<uint8_t>& bytes, size_t from,
                                      size_t count) {
        return std::vector<uint8_t>(bytes.begin() + from, bytes.begin() + from + count);
    }

    TempDir dir_;
    std::string path_;
    BlkDriver driver_{16};
    SplitQueue queue_{VirtioBlk::kQueueSize};
    std::shared_ptr<RecordingInterrupt> interrupt_ = std::make_shared<RecordingInterrupt>();
};

TEST_F(VirtioBlkTest, DescribesAWritableDisk) {
    auto blk = make_device();
    EXPECT_EQ(blk->device_type(), VIRTIO_ID_BLOCK);
    EXPECT_EQ(blk->name(), "virtio-blk");
    EXPECT_EQ(blk->queue_max_sizes(), std::vector<uint16_t>{256});
    const uint64_t features = blk->device_features();
    for (unsigned feature : {VIRTIO_BLK_F_SIZE_MAX, VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE,
                             VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_WRITE_ZEROES}) {
        EXPECT_NE(features & bit(feature), 0u) << feature;
    }
    EXPECT_EQ(features & bit(VIRTIO_BLK_F_RO), 0u);
    EXPECT_EQ(features & bit(VIRTIO_BLK_F_MQ), 0u);
    EXPECT_EQ(features & bit(VIRTIO_BLK_F_CONFIG_WCE), 0u);
}

TEST_F(VirtioBlkTest, ConfigSpaceAsTheDriverReadsIt) {
    auto blk = make_device();
    ASSERT_EQ(blk->config_size(), sizeof(virtio_blk_config));
    // Read the whole space a byte at a time, as a driver may, and decode it.
    std::vector<uint8_t> raw(blk->config_size());
    for (uint32_t offset = 0; offset < raw.size(); ++offset) {
        blk->read_config(offset, std::span<uint8_t>(&raw[offset], 1));
    }
    virtio_blk_config config{};
    std::memcpy(&config, raw.data(), sizeof(config));
    EXPECT_EQ(config.capacity, kDiskSize / 512);
    EXPECT_EQ(config.size_max, VirtioBlk::kSizeMax);
    EXPECT_EQ(config.seg_max, 254u);  // the queue size minus header and status
    EXPECT_EQ(config.blk_size, 512u);
    EXPECT_EQ(config.max_discard_sectors, VirtioBlk::kMaxDiscardSectors);
    EXPECT_EQ(config.max_discard_seg, VirtioBlk::kMaxDiscardSeg);
    EXPECT_EQ(config.discard_sector_alignment, VirtioBlk::kDiscardSectorAlignment);
    EXPECT_EQ(config.max_write_zeroes_sectors, VirtioBlk::kMaxWriteZeroesSectors);
    EXPECT_EQ(config.max_write_zeroes_seg, VirtioBlk::kMaxWriteZeroesSeg);
    EXPECT_EQ(config.write_zeroes_may_unmap, 1);
    EXPECT_EQ(config.num_queues, 0);

    // A 64-bit read of the capacity at offset 0; writes change nothing.
    uint64_t capacity = 0;
    blk->read_config(0, std::span(reinterpret_cast<uint8_t*>(&capacity), 8));
    EXPECT_EQ(capacity, 128u);
    const std::vector<uint8_t> junk(8, 0xff);
    blk->write_config(0, junk);
    blk->read_config(0, std::span(reinterpret_cast<uint8_t*>(&capacity), 8));
    EXPECT_EQ(capacity, 128u);
}

TEST_F(VirtioBlkTest, DescribesAReadOnlyDisk) {
    auto blk = make_device(/*read_only=*/true);
    const uint64_t features = blk->device_features();
    EXPECT_NE(features & bit(VIRTIO_BLK_F_RO), 0u);
    EXPECT_EQ(features & bit(VIRTIO_BLK_F_DISCARD), 0u);
    EXPECT_EQ(features & bit(VIRTIO_BLK_F_WRITE_ZEROES), 0u);
    EXPECT_EQ(blk->config().max_discard_sectors, 0u);
    EXPECT_EQ(blk->config().write_zeroes_may_unmap, 0);
}

TEST_F(VirtioBlkTest, ReadsSectorsFromTheImage) {
    auto blk = make_device();
    activate(*blk);
    const auto request = driver_.offer_read(3, 1024);
    run(*blk, 1);
    EXPECT_EQ(driver_.read(request.data), slice(disk_pattern(kDiskSize), 3 * 512, 1024));
    EXPECT_EQ(driver_.last_byte(request.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(used(0).id, request.head);
    EXPECT_EQ(used(0).len, 1025u);  // data and status
    EXPECT_EQ(blk->requests_failed(), 0u);
    EXPECT_TRUE(eventually([&] { return interrupt_->used >= 1; }));
}

TEST_F(VirtioBlkTest, WritesReachTheFile) {
    auto blk = make_device();
    activate(*blk);
    std::vector<uint8_t> contents(1536);
    std::iota(contents.begin(), contents.end(), 1);
    const auto request = driver_.offer_write(10, contents);
    run(*blk, 1);
    EXPECT_EQ(driver_.last_byte(request.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(used(0).len, 1u);  // only the status was written into the chain
    std::vector<uint8_t> want = disk_pattern(kDiskSize);
    std::copy(contents.begin(), contents.end(), want.begin() + 10 * 512);
    EXPECT_EQ(file(), want);
}

TEST_F(VirtioBlkTest, WriteThenFlushThenReadBack) {
    auto blk = make_device();
    activate(*blk);
    const std::vector<uint8_t> contents(512, 0xab);
    driver_.offer_write(127, contents);  // the last sector
    const auto flush = driver_.offer_simple(VIRTIO_BLK_T_FLUSH);
    const auto read = driver_.offer_read(127, 512);
    run(*blk, 3);
    EXPECT_EQ(driver_.last_byte(flush.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(used(1).len, 1u);
    EXPECT_EQ(driver_.read(read.data), contents);
    EXPECT_EQ(blk->requests_failed(), 0u);
}

TEST_F(VirtioBlkTest, GetIdReturnsTheSerialNulPadded) {
    auto blk = make_device(false, "berth-disk-0");
    activate(*blk);
    const Buffer whole = driver_.room(20);
    const Buffer status = driver_.status();
    driver_.offer({driver_.header(VIRTIO_BLK_T_GET_ID, 0), whole, status});
    // A driver with a short buffer gets what fits.
    const Buffer short_id = driver_.room(5);
    const Buffer short_status = driver_.status();
    driver_.offer({driver_.header(VIRTIO_BLK_T_GET_ID, 0), short_id, short_status});
    run(*blk, 2);

    std::vector<uint8_t> want(20, 0);
    std::memcpy(want.data(), "berth-disk-0", 12);
    EXPECT_EQ(driver_.read(whole), want);
    EXPECT_EQ(driver_.last_byte(status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(used(0).len, 21u);
    EXPECT_EQ(driver_.read(short_id), std::vector<uint8_t>(want.begin(), want.begin() + 5));
    EXPECT_EQ(used(1).len, 6u);
}

TEST_F(VirtioBlkTest, WriteZeroesAndDiscard) {
    auto blk = make_device();
    activate(*blk);
    const Buffer zeroes_status = driver_.status();
    driver_.offer(
        {driver_.header(VIRTIO_BLK_T_WRITE_ZEROES, 0),
         driver_.segments({segment(8, 8), segment(40, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)}),
         zeroes_status});
    const Buffer discard_status = driver_.status();
    driver_.offer({driver_.header(VIRTIO_BLK_T_DISCARD, 0), driver_.segments({segment(64, 16)}),
                   discard_status});
    run(*blk, 2);
    EXPECT_EQ(driver_.last_byte(zeroes_status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(driver_.last_byte(discard_status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(used(0).len, 1u);
    EXPECT_EQ(blk->requests_failed(), 0u);

    std::vector<uint8_t> want = disk_pattern(kDiskSize);
    std::fill(want.begin() + 8 * 512, want.begin() + 16 * 512, 0);
    std::fill(want.begin() + 40 * 512, want.begin() + 48 * 512, 0);
    std::vector<uint8_t> now = file();
    ASSERT_EQ(now.size(), kDiskSize);  // KEEP_SIZE
    // What a discarded range reads back as is up to the host: skip it.
    std::copy(now.begin() + 64 * 512, now.begin() + 80 * 512, want.begin() + 64 * 512);
    EXPECT_EQ(now, want);
}

TEST_F(VirtioBlkTest, OutOfRangeAndUnsupportedRequestsFailAlone) {
    auto blk = make_device();
    activate(*blk);
    const auto past_end = driver_.offer_read(127, 1024);
    const auto unknown = driver_.offer_simple(/*type=*/3);
    const auto write_past_end = driver_.offer_write(128, std::vector<uint8_t>(512, 0x77));
    const auto fine = driver_.offer_read(0, 512);
    run(*blk, 4);
    EXPECT_EQ(driver_.last_byte(past_end.status), VIRTIO_BLK_S_IOERR);
    EXPECT_EQ(driver_.read(past_end.data), std::vector<uint8_t>(1024, BlkDriver::kUntouched));
    EXPECT_EQ(used(0).len, 1u);
    EXPECT_EQ(driver_.last_byte(unknown.status), VIRTIO_BLK_S_UNSUPP);
    EXPECT_EQ(driver_.last_byte(write_past_end.status), VIRTIO_BLK_S_IOERR);
    EXPECT_EQ(driver_.last_byte(fine.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(blk->requests_served(), 4u);
    EXPECT_EQ(blk->requests_failed(), 3u);
    EXPECT_EQ(file(), disk_pattern(kDiskSize));
}

TEST_F(VirtioBlkTest, AReadOnlyDiskRefusesWritesAndStaysUnchanged) {
    auto blk = make_device(/*read_only=*/true);
    activate(*blk, uint64_t{1} << 32);
    const auto write = driver_.offer_write(0, std::vector<uint8_t>(512, 0));
    const Buffer zeroes_status = driver_.status();
    driver_.offer({driver_.header(VIRTIO_BLK_T_WRITE_ZEROES, 0), driver_.segments({segment(0, 8)}),
                   zeroes_status});
    const auto flush = driver_.offer_simple(VIRTIO_BLK_T_FLUSH);
    const auto read = driver_.offer_read(1, 512);
    run(*blk, 4);
    EXPECT_EQ(driver_.last_byte(write.status), VIRTIO_BLK_S_IOERR);
    EXPECT_EQ(driver_.last_byte(zeroes_status), VIRTIO_BLK_S_IOERR);
    EXPECT_EQ(driver_.last_byte(flush.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(driver_.last_byte(read.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(driver_.read(read.data), slice(disk_pattern(kDiskSize), 512, 512));
    EXPECT_EQ(blk->requests_failed(), 2u);
    EXPECT_EQ(file(), disk_pattern(kDiskSize));
}

TEST_F(VirtioBlkTest, ARequestSplitAcrossManyDescriptorsWithItsStatusAlone) {
    auto blk = make_device();
    activate(*blk);
    // Header in 3 buffers, 2048 bytes of data in 6 uneven ones, status alone.
    const Buffer header = driver_.header(VIRTIO_BLK_T_IN, 20);
    const Buffer data = driver_.room(2048);
    const Buffer status = driver_.status();
    std::vector<Buffer> buffers = BlkDriver::split(header, {4, 4, 8});
    for (const Buffer& part : BlkDriver::split(data, {1, 511, 100, 900, 36, 500})) {
        buffers.push_back(part);
    }
    buffers.push_back(status);
    driver_.offer(buffers);
    run(*blk, 1);
    EXPECT_EQ(driver_.last_byte(status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(driver_.read(data), slice(disk_pattern(kDiskSize), 20 * 512, 2048));
    EXPECT_EQ(used(0).len, 2049u);

    // And a write in the same shape reaches the file.
    std::vector<uint8_t> contents(1024);
    std::iota(contents.begin(), contents.end(), 3);
    const Buffer out_header = driver_.header(VIRTIO_BLK_T_OUT, 2);
    const Buffer out_data = driver_.bytes(contents);
    std::vector<Buffer> out = BlkDriver::split(out_header, {15, 1});
    for (const Buffer& part : BlkDriver::split(out_data, {3, 509, 512})) {
        out.push_back(part);
    }
    const Buffer out_status = driver_.status();
    out.push_back(out_status);
    driver_.offer(out);
    run(*blk, 2);
    EXPECT_EQ(driver_.last_byte(out_status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(slice(file(), 1024, 1024), contents);
}

TEST_F(VirtioBlkTest, BadChainsComeBackEmptyAndTheNextRequestIsServed) {
    auto blk = make_device();
    activate(*blk);
    // A buffer outside guest RAM.
    driver_.offer({driver_.header(VIRTIO_BLK_T_IN, 0),
                   Buffer{GuestAddress(testing::FakeDriver::kRamSize - 256), 512, true}});
    // No writable byte at all: nowhere to put a status.
    driver_.offer({driver_.header(VIRTIO_BLK_T_FLUSH, 0)});
    const auto fine = driver_.offer_read(0, 512);
    run(*blk, 3);
    EXPECT_EQ(used(0).len, 0u);
    EXPECT_EQ(used(1).len, 0u);
    EXPECT_EQ(driver_.last_byte(fine.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(blk->requests_failed(), 2u);
    EXPECT_EQ(interrupt_->needs_reset, 0);
}

TEST_F(VirtioBlkTest, ABrokenQueueAsksForAResetAndIsLeftAlone) {
    auto blk = make_device();
    activate(*blk);
    driver_.fake().set_avail_idx(100);  // more buffers than the queue holds
    blk->process_queue(0);
    ASSERT_TRUE(eventually([&] { return interrupt_->needs_reset == 1; }));
    blk->process_queue(0);
    blk->reset();  // joins the worker: whatever it did is done
    EXPECT_EQ(interrupt_->needs_reset, 1);
    EXPECT_EQ(driver_.fake().used_idx(), 0);
    EXPECT_EQ(blk->requests_served(), 0u);
}

TEST_F(VirtioBlkTest, HostErrorsReachTheGuestAsIoErrors) {
    // A disk whose writes fail with ENOSPC and whose reads find nothing.
    DiskImage full(UniqueFd(::open("/dev/full", O_RDWR | O_CLOEXEC)), "/dev/full", kDiskSize, false,
                   false);
    VirtioBlk blk(std::move(full), "");
    activate(blk);
    const auto write = driver_.offer_write(0, std::vector<uint8_t>(512, 1));
    run(blk, 1);
    EXPECT_EQ(driver_.last_byte(write.status), VIRTIO_BLK_S_IOERR);
    EXPECT_EQ(blk.requests_failed(), 1u);
}

TEST_F(VirtioBlkTest, AReadPastTheEndOfAShrunkImageIsAnIoError) {
    auto blk = make_device();
    activate(*blk);
    ASSERT_EQ(::truncate(path_.c_str(), 4096), 0);  // someone else shrank it
    const auto read = driver_.offer_read(100, 512);
    run(*blk, 1);
    EXPECT_EQ(driver_.last_byte(read.status), VIRTIO_BLK_S_IOERR);
    EXPECT_EQ(used(0).len, 1u);
}

TEST_F(VirtioBlkTest, ServesEveryRequestOfABigBatchAndNotifies) {
    auto blk = make_device();
    // 64 descriptors: 21 requests of three, more than kNotifyEvery.
    BlkDriver driver(64);
    SplitQueue queue(VirtioBlk::kQueueSize);
    driver.fake().configure(queue, kAllFeatures);
    ASSERT_TRUE(blk->activate(driver.memory(), kAllFeatures, {&queue}, interrupt_));
    std::vector<BlkDriver::Request> reads;
    for (uint64_t i = 0; i < 21; ++i) {
        reads.push_back(driver.offer_read(i, 512));
    }
    blk->process_queue(0);
    ASSERT_TRUE(eventually([&] { return blk->requests_served() == reads.size(); }));
    EXPECT_EQ(driver.fake().used_idx(), reads.size());
    for (size_t i = 0; i < reads.size(); ++i) {
        EXPECT_EQ(driver.read(reads[i].data), slice(disk_pattern(kDiskSize), i * 512, 512)) << i;
        EXPECT_EQ(driver.last_byte(reads[i].status), VIRTIO_BLK_S_OK) << i;
    }
    // Without VIRTIO_F_EVENT_IDX the driver hears of the first 16 and the rest.
    EXPECT_TRUE(eventually([&] { return interrupt_->used >= 2; }));
    EXPECT_EQ(interrupt_->wrong_queue, 0);
    blk->reset();  // before `driver` and `queue` go: the worker uses them until then
}

TEST_F(VirtioBlkTest, ResetWhileRequestsArePendingReturnsAndTheDeviceStartsAgain) {
    auto blk = make_device();
    activate(*blk);
    for (uint64_t i = 0; i < 5; ++i) {
        driver_.offer_read(i * 8, 4096);
    }
    blk->process_queue(0);
    blk->reset();  // must return promptly, with the worker joined
    const uint16_t used_after_reset = driver_.fake().used_idx();
    EXPECT_LE(used_after_reset, 5);
    EXPECT_EQ(blk->requests_served(), used_after_reset);
    blk->process_queue(0);  // not active: nothing happens
    EXPECT_EQ(driver_.fake().used_idx(), used_after_reset);

    // The driver resets its queue and starts over in fresh memory.
    BlkDriver second;
    SplitQueue queue(VirtioBlk::kQueueSize);
    second.fake().configure(queue, kAllFeatures);
    ASSERT_TRUE(blk->activate(second.memory(), kAllFeatures, {&queue}, interrupt_));
    const auto read = second.offer_read(5, 512);
    const uint64_t before = blk->requests_served();
    blk->process_queue(0);
    ASSERT_TRUE(eventually([&] { return blk->requests_served() == before + 1; }));
    EXPECT_EQ(second.last_byte(read.status), VIRTIO_BLK_S_OK);
    EXPECT_EQ(second.read(read.data), slice(disk_pattern(kDiskSize), 5 * 512, 512));
    EXPECT_EQ(driver_.fake().used_idx(), used_after_reset);  // the old ring was left alone
    blk->reset();  // before `second` and `queue` go: the worker uses them until then
}

TEST_F(VirtioBlkTest, ManyResetsInARowNeverHang) {
    auto blk = make_device();
    for (int round = 0; round < 50; ++round) {
        BlkDriver driver;
        SplitQueue queue(VirtioBlk::kQueueSize);
        driver.fake().configure(queue, kAllFeatures);
        ASSERT_TRUE(blk->activate(driver.memory(), kAllFeatures, {&queue}, interrupt_));
        driver.offer_read(0, 4096);
        driver.offer_write(8, std::vector<uint8_t>(512, static_cast<uint8_t>(round)));
        blk->process_queue(0);
        blk->reset();
    }
    SUCCEED();
}

TEST_F(VirtioBlkTest, DoesNothingUntilActivated) {
    auto blk = make_device();
    driver_.fake().configure(queue_, kAllFeatures);
    driver_.offer_read(0, 512);
    blk->process_queue(0);
    blk->reset();  // also fine when never activated
    EXPECT_EQ(driver_.fake().used_idx(), 0);
    EXPECT_EQ(blk->requests_served(), 0u);
}

TEST_F(VirtioBlkTest, RefusesToActivateWithoutItsQueue) {
    auto blk = make_device();
    EXPECT_FALSE(blk->activate(driver_.memory(), 0, {}, interrupt_));
    EXPECT_FALSE(blk->activate(driver_.memory(), 0, {&queue_, &queue_}, interrupt_));
    EXPECT_FALSE(blk->activate(driver_.memory(), 0, {nullptr}, interrupt_));
    EXPECT_FALSE(blk->activate(driver_.memory(), 0, {&queue_}, nullptr));
}

TEST_F(VirtioBlkTest, DiscardWithoutTheNegotiatedFeatureIsUnsupported) {
    auto blk = make_device();
    activate(*blk, uint64_t{1} << 32);  // VERSION_1 only
    const Buffer status = driver_.status();
    driver_.offer(
        {driver_.header(VIRTIO_BLK_T_DISCARD, 0), driver_.segments({segment(0, 8)}), status});
    run(*blk, 1);
    EXPECT_EQ(driver_.last_byte(status), VIRTIO_BLK_S_UNSUPP);
    EXPECT_EQ(file(), disk_pattern(kDiskSize));
}

TEST(VirtioBlkSerial, ALongerSerialThanGetIdCarriesIsABug) {
    TempDir dir;
    const std::string path = dir.make_file("disk.img", std::vector<uint8_t>(512));
    DiskConfig config;
    config.path = path;
    EXPECT_THROW(VirtioBlk(DiskImage::open(config), std::string(21, 'x')), std::invalid_argument);
}

}  // namespace
}  // namespace berth::virtio
