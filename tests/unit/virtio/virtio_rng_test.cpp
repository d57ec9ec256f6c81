// virtio-rng (virtio 1.2 §5.4) on its own, without a transport: a fake guest
// driver offers buffers, the test activates the device with the queue and a
// recording Interrupt, and checks what comes back in the used ring.
#include "devices/virtio/rng/virtio_rng.h"

#include <linux/virtio_ids.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio {
namespace {

using testing::FakeDriver;
using testing::readable;
using testing::writable;

class RecordingInterrupt final : public Interrupt {
public:
    void signal_used_queue(uint16_t queue_index) override { used.push_back(queue_index); }
    void signal_config_change() override { ++config_changes; }
    void signal_needs_reset() override { ++needs_reset; }

    std::vector<uint16_t> used;
    int config_changes = 0;
    int needs_reset = 0;
};

// Entropy that is not: byte n of the stream is n % 251, so a test can tell
// which bytes landed where.
class CountingSource {
public:
    bool operator()(std::span<uint8_t> out) {
        for (uint8_t& byte : out) {
            byte = static_cast<uint8_t>(next_++ % 251);
        }
        return true;
    }
    static std::vector<uint8_t> expected(uint64_t from, size_t count) {
        std::vector<uint8_t> bytes(count);
        for (size_t i = 0; i < count; ++i) {
            bytes[i] = static_cast<uint8_t>((from + i) % 251);
        }
        return bytes;
    }

private:
    uint64_t next_ = 0;
};

class VirtioRngTest : public ::testing::Test {
protected:
    // Sets the queue up as the transport would, then activates the device.
    void activate(VirtioRng& rng) {
        driver_.configure(queue_);
        ASSERT_TRUE(rng.activate(driver_.memory(), uint64_t{1} << 32, {&queue_}, interrupt_));
    }
    // FakeDriver places buffers one after the other from kDataArea.
    std::vector<uint8_t> bytes_at(GuestAddress address, size_t length) {
        return driver_.read_bytes(address, length);
    }

    FakeDriver driver_{16};
    SplitQueue queue_{VirtioRng::kQueueSize};
    std::shared_ptr<RecordingInterrupt> interrupt_ = std::make_shared<RecordingInterrupt>();
};

TEST_F(VirtioRngTest, DescribesItselfAsTheEntropyDevice) {
    VirtioRng rng(CountingSource{});
    EXPECT_EQ(rng.device_type(), VIRTIO_ID_RNG);
    EXPECT_EQ(rng.device_features(), 0u);
    EXPECT_EQ(rng.queue_max_sizes(), std::vector<uint16_t>{256});
    EXPECT_EQ(rng.config_size(), 0u);
    EXPECT_EQ(rng.name(), "virtio-rng");
}

TEST_F(VirtioRngTest, FillsEveryWritableBufferOfAChain) {
    VirtioRng rng(CountingSource{});
    activate(rng);
    // Two writable buffers of 10 and 20 bytes: one stream of 30 bytes.
    const uint16_t head = driver_.offer({writable(10), writable(20)});
    rng.process_queue(0);

    ASSERT_EQ(driver_.used_idx(), 1);
    EXPECT_EQ(driver_.used_element(0).id, head);
    EXPECT_EQ(driver_.used_element(0).len, 30u);
    // FakeDriver places buffers from kDataArea, each rounded up to 16 bytes.
    EXPECT_EQ(bytes_at(FakeDriver::kDataArea, 10), CountingSource::expected(0, 10));
    EXPECT_EQ(bytes_at(FakeDriver::kDataArea + 16, 20), CountingSource::expected(10, 20));
    EXPECT_EQ(interrupt_->used, std::vector<uint16_t>{0});
    EXPECT_EQ(rng.failed_requests(), 0u);
}

TEST_F(VirtioRngTest, ServesEveryChainOfOneNotification) {
    VirtioRng rng(CountingSource{});
    activate(rng);
    driver_.offer({writable(8)});
    driver_.offer({writable(8)});
    driver_.offer({writable(8)});
    rng.process_queue(0);
    EXPECT_EQ(driver_.used_idx(), 3);
    EXPECT_EQ(bytes_at(FakeDriver::kDataArea + 32, 8), CountingSource::expected(16, 8));
    EXPECT_EQ(interrupt_->used.size(), 1u);  // one notification for the batch
}

TEST_F(VirtioRngTest, AChainWithoutWritableBuffersGetsNothing) {
    VirtioRng rng(CountingSource{});
    activate(rng);
    const uint16_t head = driver_.offer({readable("not for the device to write")});
    rng.process_queue(0);
    ASSERT_EQ(driver_.used_idx(), 1);
    EXPECT_EQ(driver_.used_element(0).id, head);
    EXPECT_EQ(driver_.used_element(0).len, 0u);
    EXPECT_EQ(rng.failed_requests(), 1u);
}

TEST_F(VirtioRngTest, AMalformedChainIsReturnedEmptyAndTheNextOneServed) {
    VirtioRng rng(CountingSource{});
    activate(rng);
    // A buffer outside guest RAM.
    driver_.write_descriptor(0, FakeDriver::kRamSize - 4, 64, VRING_DESC_F_WRITE);
    driver_.offer_head(0);
    driver_.write_descriptor(1, FakeDriver::kDataArea.value(), 16, VRING_DESC_F_WRITE);
    driver_.offer_head(1);
    rng.process_queue(0);

    ASSERT_EQ(driver_.used_idx(), 2);
    EXPECT_EQ(driver_.used_element(0).id, 0u);
    EXPECT_EQ(driver_.used_element(0).len, 0u);
    EXPECT_EQ(driver_.used_element(1).id, 1u);
    EXPECT_EQ(driver_.used_element(1).len, 16u);
    EXPECT_EQ(rng.failed_requests(), 1u);
    EXPECT_EQ(bytes_at(FakeDriver::kDataArea, 16), CountingSource::expected(0, 16));
}

TEST_F(VirtioRngTest, ABrokenQueueAsksForAReset) {
    VirtioRng rng(CountingSource{});
    activate(rng);
    driver_.set_avail_idx(100);  // more buffers than the queue holds
    rng.process_queue(0);
    EXPECT_EQ(driver_.used_idx(), 0);
    EXPECT_EQ(interrupt_->needs_reset, 1);
    EXPECT_TRUE(interrupt_->used.empty());
}

TEST_F(VirtioRngTest, WritesAtMost64KiBIntoOneChain) {
    VirtioRng rng(CountingSource{});
    activate(rng);
    driver_.offer({writable(200 * 1024)});
    rng.process_queue(0);
    ASSERT_EQ(driver_.used_idx(), 1);
    EXPECT_EQ(driver_.used_element(0).len, VirtioRng::kMaxBytesPerChain);
    // The byte after the limit was not touched (guest RAM starts zeroed).
    EXPECT_EQ(bytes_at(FakeDriver::kDataArea + VirtioRng::kMaxBytesPerChain, 1),
              std::vector<uint8_t>{0});
}

TEST_F(VirtioRngTest, OneNotificationServesAtMostOneRingOfChains) {
    // A driver that adds a new buffer every time the device fills one would
    // keep a greedy device busy forever.
    const uint16_t size = driver_.size();
    int filled = 0;
    VirtioRng rng([&](std::span<uint8_t> out) {
        std::fill(out.begin(), out.end(), 0xaa);
        ++filled;
        driver_.offer({writable(8)});
        return true;
    });
    activate(rng);
    driver_.offer({writable(8)});
    rng.process_queue(0);
    EXPECT_EQ(filled, size);
    EXPECT_EQ(driver_.used_idx(), size);
}

TEST_F(VirtioRngTest, ReportsOnlyTheBytesTheSourceFilled) {
    VirtioRng rng([](std::span<uint8_t>) { return false; });
    activate(rng);
    driver_.offer({writable(32)});
    rng.process_queue(0);
    ASSERT_EQ(driver_.used_idx(), 1);
    EXPECT_EQ(driver_.used_element(0).len, 0u);
    EXPECT_EQ(rng.failed_requests(), 1u);
}

TEST_F(VirtioRngTest, DoesNothingUntilActivatedAndAfterReset) {
    VirtioRng rng(CountingSource{});
    driver_.configure(queue_);
    driver_.offer({writable(8)});
    rng.process_queue(0);  // not active
    EXPECT_EQ(driver_.used_idx(), 0);

    ASSERT_TRUE(rng.activate(driver_.memory(), 0, {&queue_}, interrupt_));
    rng.process_queue(1);  // no such queue
    EXPECT_EQ(driver_.used_idx(), 0);
    rng.process_queue(0);
    EXPECT_EQ(driver_.used_idx(), 1);

    rng.reset();
    driver_.offer({writable(8)});
    rng.process_queue(0);
    EXPECT_EQ(driver_.used_idx(), 1);
}

TEST_F(VirtioRngTest, RefusesToActivateWithoutItsQueue) {
    VirtioRng rng(CountingSource{});
    EXPECT_FALSE(rng.activate(driver_.memory(), 0, {}, interrupt_));
    EXPECT_FALSE(rng.activate(driver_.memory(), 0, {&queue_, &queue_}, interrupt_));
    EXPECT_FALSE(rng.activate(driver_.memory(), 0, {&queue_}, nullptr));
}

TEST(VirtioRngSource, GetrandomFillsLargeBuffers) {
    std::vector<uint8_t> bytes(100000, 0);
    ASSERT_TRUE(VirtioRng::getrandom_source(bytes));
    // 4 KiB of zeros from a random source has probability 2^-32768.
    EXPECT_FALSE(std::all_of(bytes.end() - 4096, bytes.end(), [](uint8_t b) { return b == 0; }));
}

}  // namespace
}  // namespace berth::virtio
