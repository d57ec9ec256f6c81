// deliver_frame() and peek_rx_buffer() (devices/virtio/net/net_rx.h) on
// their own, single-threaded: which chains a frame takes, what the used ring
// says afterwards, and what is left in the ring when a frame does not fit.
#include "devices/virtio/net/net_rx.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "devices/virtio/net/net_header.h"
#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio {
namespace {

using testing::FakeDriver;
using testing::readable;
using testing::writable;

// Header (num_buffers 0, as a tap sends it) and `length` bytes of payload.
std::vector<uint8_t> frame_of(size_t length) {
    std::vector<uint8_t> frame(kNetHeaderSize + length);
    for (size_t i = 0; i < length; ++i) {
        frame[kNetHeaderSize + i] = static_cast<uint8_t>(i % 253);
    }
    return frame;
}

uint16_t num_buffers_of(const std::vector<uint8_t>& bytes) {
    virtio_net_hdr_mrg_rxbuf header{};
    std::memcpy(&header, bytes.data(), sizeof(header));
    return header.num_buffers;
}

class NetRxTest : public ::testing::Test {
protected:
    void SetUp() override { driver_.configure(queue_); }

    FakeDriver driver_{8};
    SplitQueue queue_{256};
};

TEST_F(NetRxTest, AMergedFrameIsPublishedInOneStepWithNumBuffers) {
    driver_.offer({writable(100)});
    driver_.offer({writable(100)});
    driver_.offer({writable(100)});
    auto frame = frame_of(250);  // 262 bytes: three buffers
    const RxResult result = deliver_frame(driver_.memory(), queue_, frame, /*mergeable=*/true);

    EXPECT_EQ(result.status, RxStatus::kDelivered);
    EXPECT_EQ(result.buffers, 3);
    ASSERT_EQ(driver_.used_idx(), 3);
    EXPECT_EQ(driver_.used_element(0).len, 100u);
    EXPECT_EQ(driver_.used_element(1).len, 100u);
    EXPECT_EQ(driver_.used_element(2).len, 62u);
    // The header as the guest reads it, from the first buffer.
    const auto first = driver_.read_bytes(FakeDriver::kDataArea, 100);
    EXPECT_EQ(num_buffers_of(first), 3);
    // The last byte of the frame is the 62nd of the third buffer (FakeDriver
    // places buffers 16-byte aligned: 100 bytes take 112).
    EXPECT_EQ(driver_.read_bytes(FakeDriver::kDataArea + 224 + 61, 1)[0], frame.back());
}

TEST_F(NetRxTest, TooFewBuffersTakeNothingAndLeaveTheRingAsItWas) {
    driver_.offer({writable(100)});
    driver_.offer({writable(100)});
    auto frame = frame_of(250);
    const RxResult result = deliver_frame(driver_.memory(), queue_, frame, true);
    EXPECT_EQ(result.status, RxStatus::kNoBuffers);
    EXPECT_EQ(driver_.used_idx(), 0);
    EXPECT_EQ(queue_.next_avail(), 0);

    driver_.offer({writable(100)});
    EXPECT_EQ(deliver_frame(driver_.memory(), queue_, frame, true).status, RxStatus::kDelivered);
    EXPECT_EQ(driver_.used_idx(), 3);
    EXPECT_EQ(queue_.next_avail(), 3);
}

TEST_F(NetRxTest, AFrameAWholeRingCannotHoldIsTooLargeAndTakesNothing) {
    for (int i = 0; i < 8; ++i) {
        driver_.offer({writable(64)});  // 512 bytes in all
    }
    auto frame = frame_of(600);
    EXPECT_EQ(deliver_frame(driver_.memory(), queue_, frame, true).status, RxStatus::kTooLarge);
    EXPECT_EQ(driver_.used_idx(), 0);
    EXPECT_EQ(queue_.next_avail(), 0);
    // Without mergeable buffers, one chain too small is enough to decide.
    EXPECT_EQ(deliver_frame(driver_.memory(), queue_, frame, false).status, RxStatus::kTooLarge);
    EXPECT_EQ(queue_.next_avail(), 0);
}

TEST_F(NetRxTest, UnusableChainsInFrontGoBackAtOnceAndLaterOnesOnlyWithTheFrame) {
    const uint16_t tiny = driver_.offer({writable(8)});  // smaller than the header
    const uint16_t good = driver_.offer({writable(100)});
    const uint16_t no_room = driver_.offer({readable("not writable")});  // nothing to write into
    driver_.offer({writable(100)});
    auto frame = frame_of(150);  // needs both good buffers

    // The unusable chain in front goes back at once; the one between the
    // frame's buffers goes back with the frame, ahead of its buffers.
    const RxResult result = deliver_frame(driver_.memory(), queue_, frame, true);
    EXPECT_EQ(result.status, RxStatus::kDelivered);
    EXPECT_EQ(result.returned_unusable, 2u);
    ASSERT_EQ(driver_.used_idx(), 4);
    EXPECT_EQ(driver_.used_element(0).id, tiny);
    EXPECT_EQ(driver_.used_element(0).len, 0u);
    EXPECT_EQ(driver_.used_element(1).id, no_room);
    EXPECT_EQ(driver_.used_element(1).len, 0u);
    // The frame's two buffers are consecutive, as the driver reads them.
    EXPECT_EQ(driver_.used_element(2).id, good);
    EXPECT_EQ(driver_.used_element(2).len, 100u);
    EXPECT_EQ(driver_.used_element(3).len, 62u);
}

TEST_F(NetRxTest, AFrameWaitingForBuffersKeepsAnUnusableChainBetweenThem) {
    driver_.offer({writable(100)});
    driver_.offer({writable(4)});
    auto frame = frame_of(150);
    EXPECT_EQ(deliver_frame(driver_.memory(), queue_, frame, true).status, RxStatus::kNoBuffers);
    // Nothing handed back yet: the frame may never be placed.
    EXPECT_EQ(driver_.used_idx(), 0);
    EXPECT_EQ(queue_.next_avail(), 0);
}

TEST_F(NetRxTest, PeekLeavesAUsableChainAndReturnsUnusableOnesBeforeIt) {
    EXPECT_EQ(peek_rx_buffer(driver_.memory(), queue_).status, RxBufferStatus::kEmpty);
    driver_.offer({writable(4)});
    driver_.offer({writable(1526)});
    const RxPeek peek = peek_rx_buffer(driver_.memory(), queue_);
    EXPECT_EQ(peek.status, RxBufferStatus::kAvailable);
    EXPECT_EQ(peek.returned_unusable, 1u);
    EXPECT_EQ(driver_.used_idx(), 1);
    EXPECT_EQ(queue_.next_avail(), 1);  // the usable chain is still there
    auto frame = frame_of(60);
    EXPECT_EQ(deliver_frame(driver_.memory(), queue_, frame, false).status, RxStatus::kDelivered);
    EXPECT_EQ(driver_.used_idx(), 2);
}

TEST_F(NetRxTest, ABrokenQueueIsReported) {
    driver_.set_avail_idx(100);
    EXPECT_EQ(peek_rx_buffer(driver_.memory(), queue_).status, RxBufferStatus::kBrokenQueue);
    auto frame = frame_of(60);
    EXPECT_EQ(deliver_frame(driver_.memory(), queue_, frame, true).status, RxStatus::kBrokenQueue);
}

TEST_F(NetRxTest, FramesCrossTheRingIndexWrap) {
    driver_.start_indices_at(queue_, 65534);
    driver_.offer({writable(100)});
    driver_.offer({writable(100)});
    driver_.offer({writable(100)});
    auto frame = frame_of(250);
    EXPECT_EQ(deliver_frame(driver_.memory(), queue_, frame, true).status, RxStatus::kDelivered);
    EXPECT_EQ(driver_.used_idx(), 1);  // 65534 + 3, modulo 2^16
    EXPECT_EQ(queue_.next_avail(), 1);
}

}  // namespace
}  // namespace berth::virtio
