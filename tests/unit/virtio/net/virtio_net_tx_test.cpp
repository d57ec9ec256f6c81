// virtio-net's transmitq (virtio 1.2 §5.1.6.2): what the driver posts comes
// out of the packet fd, header first, one frame per chain; bad chains fail
// alone; a full backend makes the device wait, not drop.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "devices/virtio/net/net_header.h"
#include "devices/virtio/net/virtio_net.h"
#include "tests/unit/virtio/net/net_fixture.h"

namespace berth::virtio {
namespace {

using testing::make_header;
using testing::NetTestDriver;
using testing::payload;
using testing::readable;
using testing::VirtioNetTest;
using testing::wait_until;
using testing::with_header;
using testing::writable;

using VirtioNetTransmitTest = VirtioNetTest;

TEST_F(VirtioNetTransmitTest, AFrameArrivesIntactWithItsHeader) {
    activate(testing::net_feature(VIRTIO_NET_F_CSUM));
    // A partially checksummed TCP segment: the header asks the host to finish
    // the checksum, and passes through as it is.
    const auto header = make_header(VIRTIO_NET_HDR_F_NEEDS_CSUM, 34, 16);
    const auto frame = with_header(header, payload(1000, 7));
    // Split across three buffers, the header itself in two (§2.7.4.1: the
    // device may not assume any arrangement).
    const uint16_t head =
        driver_.offer(kTx, {readable(std::vector<uint8_t>(frame.begin(), frame.begin() + 5)),
                            readable(std::vector<uint8_t>(frame.begin() + 5, frame.begin() + 300)),
                            readable(std::vector<uint8_t>(frame.begin() + 300, frame.end()))});
    net_->process_queue(kTx);

    const auto received = peer_receive();
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(*received, frame);
    ASSERT_EQ(driver_.used_idx(kTx), 1);
    EXPECT_EQ(driver_.used_element(kTx, 0).id, head);
    EXPECT_EQ(driver_.used_element(kTx, 0).len, 0u);  // nothing written into a transmit chain
    EXPECT_EQ(net_->frames_sent(), 1u);
    EXPECT_EQ(net_->bytes_sent(), 1000u);
    EXPECT_EQ(interrupt_->used[kTx].load(), 1);
}

TEST_F(VirtioNetTransmitTest, SendsEveryChainOfOneNotificationInOrder) {
    activate();
    for (unsigned i = 0; i < 20; ++i) {
        driver_.offer(kTx, {readable(with_header(make_header(), payload(60 + i, i)))});
    }
    net_->process_queue(kTx);
    for (unsigned i = 0; i < 20; ++i) {
        const auto received = peer_receive();
        ASSERT_TRUE(received.has_value()) << "frame " << i;
        EXPECT_EQ(*received, with_header(make_header(), payload(60 + i, i))) << "frame " << i;
    }
    EXPECT_EQ(driver_.used_idx(kTx), 20);
    EXPECT_EQ(interrupt_->used[kTx].load(), 1);  // one notification for the batch
}

TEST_F(VirtioNetTransmitTest, ABadChainFailsAloneAndTheNextOneIsSent) {
    activate();
    // Shorter than the 12-byte header.
    const uint16_t runt = driver_.offer(kTx, {readable(std::vector<uint8_t>(8, 0xee))});
    // A buffer outside guest RAM: walk_chain refuses it.
    driver_.reserve_descriptor(kTx, 200);
    driver_.write_descriptor(kTx, 200, NetTestDriver::kRamSize - 4, 64, 0);
    driver_.offer_head(kTx, 200);
    // Only device-writable buffers: no frame at all.
    const uint16_t empty = driver_.offer(kTx, {writable(100)});
    const auto good = with_header(make_header(), payload(80, 3));
    const uint16_t sent = driver_.offer(kTx, {readable(good)});
    net_->process_queue(kTx);

    ASSERT_EQ(driver_.used_idx(kTx), 4);
    EXPECT_EQ(driver_.used_element(kTx, 0).id, runt);
    EXPECT_EQ(driver_.used_element(kTx, 1).id, 200u);
    EXPECT_EQ(driver_.used_element(kTx, 2).id, empty);
    EXPECT_EQ(driver_.used_element(kTx, 3).id, sent);
    EXPECT_EQ(net_->tx_errors(), 3u);
    EXPECT_EQ(net_->frames_sent(), 1u);
    // Sends are synchronous: exactly one frame is in the socket.
    const auto received = peer_receive(std::chrono::milliseconds(0));
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(*received, good);
    EXPECT_FALSE(peer_has_frame());
}

TEST_F(VirtioNetTransmitTest, AFrameLongerThanTheLargestIsRefused) {
    activate();
    const auto too_long = with_header(make_header(), payload(kMaxFrameSize + 1));
    driver_.offer(kTx, {readable(too_long)});
    const auto largest = with_header(make_header(), payload(kMaxFrameSize, 1));
    driver_.offer(kTx, {readable(largest)});
    net_->process_queue(kTx);

    ASSERT_EQ(driver_.used_idx(kTx), 2);
    EXPECT_EQ(net_->tx_errors(), 1u);
    const auto received = peer_receive();
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(received->size(), largest.size());
    EXPECT_EQ(*received, largest);
    EXPECT_FALSE(peer_has_frame());
}

TEST_F(VirtioNetTransmitTest, ABrokenQueueAsksForAReset) {
    activate();
    driver_.set_avail_idx(kTx, 1000);  // more than the ring holds
    net_->process_queue(kTx);
    EXPECT_EQ(interrupt_->needs_reset.load(), 1);
    EXPECT_EQ(driver_.used_idx(kTx), 0);
}

TEST_F(VirtioNetTransmitTest, AFullBackendMakesTheDeviceWaitNotDrop) {
    make_device(/*send_buffer=*/4096);
    activate();
    constexpr unsigned kFrames = 100;
    for (unsigned i = 0; i < kFrames; ++i) {
        driver_.offer(kTx, {readable(with_header(make_header(), payload(1400, i)))});
    }
    net_->process_queue(kTx);
    // The socket holds only a few frames: the rest are still in the ring.
    EXPECT_LT(driver_.used_idx(kTx), kFrames);
    EXPECT_LT(net_->frames_sent(), kFrames);

    // As the peer reads, the device's thread sees the backend writable again
    // and carries on: every frame arrives, in order, none dropped.
    for (unsigned i = 0; i < kFrames; ++i) {
        const auto received = peer_receive();
        ASSERT_TRUE(received.has_value()) << "frame " << i << " never came";
        EXPECT_EQ(*received, with_header(make_header(), payload(1400, i))) << "frame " << i;
    }
    ASSERT_TRUE(wait_until([&] { return driver_.used_idx(kTx) == kFrames; }));
    EXPECT_EQ(net_->frames_sent(), kFrames);
    EXPECT_EQ(net_->tx_errors(), 0u);
    EXPECT_GE(interrupt_->used[kTx].load(), 2);  // the thread notified for its part too
}

TEST_F(VirtioNetTransmitTest, KicksWhileBlockedAreServedOnceTheBackendDrains) {
    make_device(/*send_buffer=*/4096);
    activate();
    for (unsigned i = 0; i < 30; ++i) {
        driver_.offer(kTx, {readable(with_header(make_header(), payload(1400, i)))});
    }
    net_->process_queue(kTx);
    ASSERT_LT(driver_.used_idx(kTx), 30);
    // More frames, and a kick, while the device waits for the backend.
    for (unsigned i = 30; i < 40; ++i) {
        driver_.offer(kTx, {readable(with_header(make_header(), payload(1400, i)))});
    }
    net_->process_queue(kTx);
    for (unsigned i = 0; i < 40; ++i) {
        const auto received = peer_receive();
        ASSERT_TRUE(received.has_value()) << "frame " << i << " never came";
        EXPECT_EQ(*received, with_header(make_header(), payload(1400, i))) << "frame " << i;
    }
    ASSERT_TRUE(wait_until([&] { return driver_.used_idx(kTx) == 40; }));
}

}  // namespace
}  // namespace berth::virtio
