// virtio-net's receiveq (virtio 1.2 §5.1.6.3, §5.1.6.4): frames the backend
// hands the device land in the buffers the driver posted, header first with
// num_buffers set; they wait in the backend while there is nowhere to put
// them; frames no buffers can hold are dropped and counted.
#include <sys/socket.h>
#include <sys/time.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <thread>
#include <vector>

#include "devices/virtio/net/net_header.h"
#include "devices/virtio/net/virtio_net.h"
#include "tests/unit/virtio/net/net_fixture.h"

namespace berth::virtio {
namespace {

using testing::header_of;
using testing::make_header;
using testing::net_feature;
using testing::payload;
using testing::PlacedBuffer;
using testing::VirtioNetTest;
using testing::wait_until;
using testing::with_header;
using testing::writable;

constexpr uint64_t kMergeable = net_feature(VIRTIO_NET_F_MRG_RXBUF);
constexpr uint64_t kEventIdx = net_feature(VIRTIO_RING_F_EVENT_IDX);

// The frame as the guest should see it: what the backend sent, with
// num_buffers set.
std::vector<uint8_t> as_received(std::vector<uint8_t> frame, uint16_t num_buffers) {
    std::memcpy(frame.data() + offsetof(virtio_net_hdr_mrg_rxbuf, num_buffers), &num_buffers,
                sizeof(num_buffers));
    return frame;
}

class VirtioNetReceiveTest : public VirtioNetTest {
protected:
    // Posts a receive chain of one buffer of `length` bytes; remembers where.
    uint16_t post(uint32_t length) {
        std::vector<PlacedBuffer> placed;
        const uint16_t head = driver_.offer(kRx, {writable(length)}, &placed);
        buffers_[head] = placed.front();
        return head;
    }
    // The `length` bytes the device wrote into the chain `head`.
    std::vector<uint8_t> contents(uint32_t head, uint32_t length) {
        return driver_.read_bytes(buffers_.at(static_cast<uint16_t>(head)).address, length);
    }
    bool used_reaches(uint16_t count) {
        return wait_until([&] { return driver_.used_idx(kRx) == count; });
    }

    std::map<uint16_t, PlacedBuffer> buffers_;  // by head, for the latest chain there
};

TEST_F(VirtioNetReceiveTest, AFrameLandsInABufferWithItsHeaderAndNumBuffersOne) {
    activate(net_feature(VIRTIO_NET_F_GUEST_CSUM));
    const uint16_t head = post(1526);
    net_->process_queue(kRx);
    // A partially checksummed frame, which the driver accepted (GUEST_CSUM).
    const auto frame = with_header(make_header(VIRTIO_NET_HDR_F_NEEDS_CSUM, 34, 16), payload(100));
    peer_send(frame);

    ASSERT_TRUE(used_reaches(1));
    const auto used = driver_.used_element(kRx, 0);
    EXPECT_EQ(used.id, head);
    ASSERT_EQ(used.len, frame.size());
    EXPECT_EQ(contents(used.id, used.len), as_received(frame, 1));
    EXPECT_EQ(header_of(contents(used.id, used.len)).num_buffers, 1);
    EXPECT_TRUE(wait_until([&] { return interrupt_->used[kRx].load() >= 1; }));
    EXPECT_EQ(net_->frames_received(), 1u);
    EXPECT_EQ(net_->bytes_received(), 100u);
}

TEST_F(VirtioNetReceiveTest, WithoutGuestCsumTheHeaderFlagsAreZero) {
    activate();
    post(1526);
    net_->process_queue(kRx);
    // A tap may mark a checksum valid; §5.1.6.4.1 (1.2) wants flags 0 here.
    const auto frame = with_header(make_header(VIRTIO_NET_HDR_F_DATA_VALID), payload(60));
    peer_send(frame);
    ASSERT_TRUE(used_reaches(1));
    const auto used = driver_.used_element(kRx, 0);
    EXPECT_EQ(header_of(contents(used.id, used.len)).hdr.flags, 0);
}

TEST_F(VirtioNetReceiveTest, ABigFrameSpansSeveralMergedBuffers) {
    activate(kMergeable);
    std::vector<uint16_t> heads;
    for (int i = 0; i < 5; ++i) {
        heads.push_back(post(1000));
    }
    net_->process_queue(kRx);
    const auto frame = with_header(make_header(), payload(3000, 5));  // 3012 bytes
    peer_send(frame);

    ASSERT_TRUE(used_reaches(4));
    std::vector<uint8_t> joined;
    const uint32_t expected_lengths[] = {1000, 1000, 1000, 12};
    for (uint16_t n = 0; n < 4; ++n) {
        const auto used = driver_.used_element(kRx, n);
        EXPECT_EQ(used.id, heads[n]) << "buffers are used in ring order";
        EXPECT_EQ(used.len, expected_lengths[n]);
        const auto bytes = contents(used.id, used.len);
        joined.insert(joined.end(), bytes.begin(), bytes.end());
    }
    EXPECT_EQ(joined, as_received(frame, 4));
    EXPECT_EQ(header_of(joined).num_buffers, 4);
    EXPECT_EQ(net_->frames_received(), 1u);

    // The fifth buffer is still the driver's to use for the next frame.
    const auto next = with_header(make_header(), payload(50, 6));
    peer_send(next);
    ASSERT_TRUE(used_reaches(5));
    EXPECT_EQ(driver_.used_element(kRx, 4).id, heads[4]);
    EXPECT_EQ(contents(heads[4], 62), as_received(next, 1));
}

TEST_F(VirtioNetReceiveTest, WithoutMergeableBuffersAFrameTooBigForTheChainIsDropped) {
    activate();
    const uint16_t head = post(200);
    net_->process_queue(kRx);
    peer_send(with_header(make_header(), payload(500, 1)));  // 512 bytes: does not fit
    const auto small = with_header(make_header(), payload(50, 2));
    peer_send(small);

    ASSERT_TRUE(used_reaches(1));
    const auto used = driver_.used_element(kRx, 0);
    EXPECT_EQ(used.id, head);  // the chain was kept for the frame after
    EXPECT_EQ(contents(used.id, used.len), as_received(small, 1));
    EXPECT_EQ(net_->frames_dropped_too_large(), 1u);
    EXPECT_EQ(net_->frames_received(), 1u);
}

TEST_F(VirtioNetReceiveTest, AFrameNoRingOfMergedBuffersCanHoldIsDropped) {
    set_ring_size(4);
    activate(kMergeable);
    for (int i = 0; i < 4; ++i) {
        post(100);  // 400 bytes in all, the whole ring
    }
    net_->process_queue(kRx);
    peer_send(with_header(make_header(), payload(1000, 1)));
    const auto small = with_header(make_header(), payload(50, 2));
    peer_send(small);

    ASSERT_TRUE(used_reaches(1));
    const auto used = driver_.used_element(kRx, 0);
    EXPECT_EQ(used.len, small.size());
    EXPECT_EQ(contents(used.id, used.len), as_received(small, 1));
    EXPECT_EQ(net_->frames_dropped_too_large(), 1u);
}

TEST_F(VirtioNetReceiveTest, FramesWaitWhileTheRingIsEmptyAndComeInOrderOnceItIsNot) {
    activate();
    constexpr unsigned kFrames = 40;
    for (unsigned i = 0; i < kFrames; ++i) {
        peer_send(with_header(make_header(), payload(100 + i, i)));
    }
    net_->process_queue(kRx);  // a kick with nothing posted

    post(1526);
    net_->process_queue(kRx);
    ASSERT_TRUE(used_reaches(1));
    auto used = driver_.used_element(kRx, 0);
    EXPECT_EQ(contents(used.id, used.len),
              as_received(with_header(make_header(), payload(100, 0)), 1));

    // The rest waited in the backend, not dropped.
    for (unsigned i = 1; i < kFrames; ++i) {
        post(1526);
    }
    net_->process_queue(kRx);
    ASSERT_TRUE(used_reaches(kFrames));
    for (uint16_t n = 1; n < kFrames; ++n) {
        used = driver_.used_element(kRx, n);
        EXPECT_EQ(contents(used.id, used.len),
                  as_received(with_header(make_header(), payload(100 + n, n)), 1))
            << "frame " << n;
    }
    EXPECT_EQ(net_->frames_received(), kFrames);
    EXPECT_EQ(net_->frames_dropped_too_large(), 0u);
}

TEST_F(VirtioNetReceiveTest, AMergedFrameWaitsUntilEnoughBuffersArePosted) {
    activate(kMergeable | kEventIdx);
    post(1000);
    net_->process_queue(kRx);
    const auto first = with_header(make_header(), payload(100, 1));
    const auto big = with_header(make_header(), payload(2500, 2));  // needs 3 buffers of 1000
    peer_send(first);
    peer_send(big);
    ASSERT_TRUE(used_reaches(1));

    post(1000);
    post(1000);
    net_->process_queue(kRx);
    // The device looked at both, found them too few, and asked to hear about
    // the buffer after them (avail_event = 1 + 2) without taking any.
    ASSERT_TRUE(wait_until([&] { return driver_.avail_event(kRx) == 3; }));
    EXPECT_EQ(driver_.used_idx(kRx), 1);

    post(1000);
    net_->process_queue(kRx);
    ASSERT_TRUE(used_reaches(4));
    std::vector<uint8_t> joined;
    for (uint16_t n = 1; n < 4; ++n) {
        const auto used = driver_.used_element(kRx, n);
        const auto bytes = contents(used.id, used.len);
        joined.insert(joined.end(), bytes.begin(), bytes.end());
    }
    EXPECT_EQ(joined, as_received(big, 3));
    EXPECT_EQ(net_->frames_dropped_too_large(), 0u);
}

TEST_F(VirtioNetReceiveTest, UnusableChainsAreReturnedEmptyAndTheNextOneServed) {
    activate();
    const uint16_t tiny = post(4);  // smaller than the header (§5.1.6.3.1)
    const uint16_t good = post(1526);
    net_->process_queue(kRx);
    const auto frame = with_header(make_header(), payload(70));
    peer_send(frame);

    ASSERT_TRUE(used_reaches(2));
    EXPECT_EQ(driver_.used_element(kRx, 0).id, tiny);
    EXPECT_EQ(driver_.used_element(kRx, 0).len, 0u);
    EXPECT_EQ(driver_.used_element(kRx, 1).id, good);
    EXPECT_EQ(contents(good, static_cast<uint32_t>(frame.size())), as_received(frame, 1));
    EXPECT_EQ(net_->rx_errors(), 1u);
}

TEST_F(VirtioNetReceiveTest, ABrokenQueueAsksForAReset) {
    activate();
    driver_.set_avail_idx(kRx, 1000);  // more than the ring holds
    net_->process_queue(kRx);
    ASSERT_TRUE(wait_until([&] { return interrupt_->needs_reset.load() == 1; }));
    peer_send(with_header(make_header(), payload(60)));
    net_->process_queue(kRx);
    EXPECT_EQ(driver_.used_idx(kRx), 0);
}

TEST_F(VirtioNetReceiveTest, ABurstOfFramesAllArriveInOrderThroughASmallRing) {
    set_ring_size(32);
    activate(kMergeable);
    constexpr unsigned kFrames = 600;
    // A peer that never waits more than 10 s, so a failing test cannot hang.
    const timeval timeout{10, 0};
    ASSERT_EQ(::setsockopt(peer_.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)), 0);
    auto frame = [](unsigned i) {
        return with_header(make_header(), payload(60 + (i * 97) % 1455, i));
    };
    std::thread sender([&] {
        for (unsigned i = 0; i < kFrames; ++i) {
            const auto bytes = frame(i);
            if (::send(peer_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) {
                return;
            }
        }
    });

    for (int i = 0; i < 32; ++i) {
        post(2048);
    }
    net_->process_queue(kRx);
    unsigned received = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (received < kFrames && std::chrono::steady_clock::now() < deadline) {
        const auto used = driver_.reclaim(kRx);
        for (const auto& element : used) {
            ASSERT_EQ(contents(element.id, element.len), as_received(frame(received), 1))
                << "frame " << received;
            ++received;
        }
        // Recycle what came back, as a driver refills its ring.
        for (size_t i = 0; i < used.size(); ++i) {
            post(2048);
        }
        if (!used.empty()) {
            net_->process_queue(kRx);
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    sender.join();
    EXPECT_EQ(received, kFrames);
    EXPECT_EQ(net_->frames_received(), kFrames);
    EXPECT_EQ(net_->frames_dropped_too_large(), 0u);
}

}  // namespace
}  // namespace berth::virtio
