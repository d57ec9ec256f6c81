// libFuzzer target: virtio-net's frame paths (virtio 1.2 §5.1.6) on a split
// virtqueue whose chains and guest memory come from the fuzzer. First as
// transmitq: every chain goes through transmit_chain() into a
// SOCK_SEQPACKET socket, as into a tap. Then the same ring, rewound, as
// receiveq: peek_rx_buffer() and deliver_frame() place a frame of the given
// length, with and without mergeable buffers.
//
// It checks that a transmitted frame arrives whole, header first, exactly
// when its length is legal (at least the 12-byte header, at most 65562
// bytes); that on receive every chain taken is handed back exactly once
// (used idx and next_avail move together) and a frame only takes chains when
// it fits all of them, with used lengths adding up to the frame; that every
// loop ends (a hang is a libFuzzer timeout); and, through ASan, that nothing
// outside guest memory or the code's own objects is touched.
//
// Input: a 6-byte header, then the bytes of guest memory.
//   [0]     log2 of the queue size (taken modulo 9: 1 to 256)
//   [1]     bit 0: VIRTIO_F_INDIRECT_DESC, bit 1: VIRTIO_F_EVENT_IDX,
//           bit 2: VIRTIO_NET_F_MRG_RXBUF for the receive half
//   [2..3]  next_avail and next_used at the start (little-endian)
//   [4..5]  the received frame's length after the header (little-endian)
//   [6..]   guest memory, copied to RAM from address 0 (RAM is [0, 0x20000));
//           the queue's descriptor table is at 0x0, its available ring at
//           0x1000, its used ring at 0x1400
//
// The seeds in tests/fuzz/corpus/net_tx use this format: a frame in one
// buffer, a header split over three, a runt, a frame too long, an indirect
// chain, a ring index about to wrap, and mergeable receive buffers.
//
// clang-format off
// fuzz-sources: devices/virtio/net/net_tx.cpp devices/virtio/net/net_rx.cpp devices/virtio/queue/*.cpp vmm/memory/guest_memory.cpp vmm/common/error.cpp
// clang-format on

#include <sys/socket.h>
#include <unistd.h>
#ifndef VIRTIO_RING_NO_LEGACY
#define VIRTIO_RING_NO_LEGACY  // C-only helpers C++ refuses to compile
#endif
#include <linux/virtio_ring.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <variant>
#include <vector>

#include "devices/virtio/net/net_header.h"
#include "devices/virtio/net/net_rx.h"
#include "devices/virtio/net/net_tx.h"
#include "devices/virtio/queue/chain_io.h"
#include "devices/virtio/queue/split_queue.h"
#include "tests/fuzz/check.h"
#include "vmm/memory/guest_memory.h"

using berth::GuestAddress;
using berth::GuestMemory;
using namespace berth::virtio;

namespace {

constexpr uint64_t kRamSize = 0x20000;
constexpr size_t kHeaderSize = 6;
constexpr GuestAddress kDescTable{0x0};
constexpr GuestAddress kAvailRing{0x1000};
constexpr GuestAddress kUsedRing{0x1400};

// One guest memory and one socket pair for the whole run.
const GuestMemory& guest_memory() {
    static const GuestMemory memory = GuestMemory::create({{GuestAddress(0), kRamSize}});
    return memory;
}

struct Sockets {
    int device = -1;
    int peer = -1;
};

const Sockets& sockets() {
    static const Sockets pair = [] {
        int fds[2];
        CHECK(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
        return Sockets{fds[0], fds[1]};
    }();
    return pair;
}

uint16_t used_idx(const GuestMemory& memory) {
    return memory.read_obj<uint16_t>(kUsedRing + 2).value();
}

// The transmit half: what the device does on process_queue(1).
void transmit_all(const GuestMemory& memory, SplitQueue& queue) {
    std::vector<uint8_t> received(kNetHeaderSize + kMaxFrameSize + 16);
    for (uint32_t served = 0; served < queue.size(); ++served) {
        PopResult next = queue.pop(memory);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            const TxResult result = transmit_chain(memory, *chain, {sockets().device, true});
            const uint32_t length = chain->readable_length();
            const bool legal = length >= kNetHeaderSize && length - kNetHeaderSize <= kMaxFrameSize;
            const ssize_t got =
                ::recv(sockets().peer, received.data(), received.size(), MSG_DONTWAIT);
            if (result.status == TxStatus::kSent) {
                CHECK(legal);
                CHECK(result.frame_bytes == length - kNetHeaderSize);
                // What arrived is the chain's readable bytes, in order.
                CHECK(got == static_cast<ssize_t>(length));
                std::vector<uint8_t> expected(length);
                ChainReader reader(memory, *chain);
                CHECK(reader.read(expected));
                CHECK(std::memcmp(expected.data(), received.data(), length) == 0);
            } else {
                CHECK(got < 0);  // nothing half-sent
                CHECK(result.status != TxStatus::kMalformed || !legal);
                CHECK(result.status != TxStatus::kWouldBlock);  // drained after each frame
            }
            queue.add_used(memory, chain->head_index(), 0);
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            queue.add_used(memory, bad->head_index, 0);
        } else {
            break;  // empty or broken
        }
    }
}

// The receive half: the device's thread placing frames as buffers allow.
void receive(const GuestMemory& memory, SplitQueue& queue, uint32_t frame_length, bool mergeable) {
    std::vector<uint8_t> frame(kNetHeaderSize + frame_length, 0x5a);
    for (uint32_t round = 0; round < queue.size(); ++round) {
        const uint16_t avail_before = queue.next_avail();
        const uint16_t used_before = used_idx(memory);
        const RxPeek peek = peek_rx_buffer(memory, queue);
        if (peek.status == RxBufferStatus::kBrokenQueue) {
            return;
        }
        // Unusable chains go back; a usable one stays.
        CHECK(static_cast<uint16_t>(queue.next_avail() - avail_before) == peek.returned_unusable);
        CHECK(static_cast<uint16_t>(used_idx(memory) - used_before) == peek.returned_unusable);
        if (peek.status != RxBufferStatus::kAvailable) {
            return;
        }

        const uint16_t avail_start = queue.next_avail();
        const uint16_t used_start = used_idx(memory);
        const RxResult result = deliver_frame(memory, queue, frame, mergeable);
        if (result.status == RxStatus::kBrokenQueue) {
            return;
        }
        const auto taken = static_cast<uint16_t>(queue.next_avail() - avail_start);
        const auto returned = static_cast<uint16_t>(used_idx(memory) - used_start);
        CHECK(taken == returned);  // each chain taken is back in the used ring, once
        if (result.status != RxStatus::kDelivered) {
            CHECK(result.buffers == 0);
            CHECK(returned == result.returned_unusable);
            return;  // the frame waits or is dropped; nothing of it was placed
        }
        CHECK(result.buffers >= 1);
        CHECK(mergeable || result.buffers == 1);
        CHECK(returned == result.returned_unusable + result.buffers);
        // The frame's used entries are the last ones, and add up to it. They
        // were written after the frame's bytes, so a buffer laid over the used
        // ring cannot have changed them.
        uint64_t total = 0;
        for (uint16_t n = static_cast<uint16_t>(used_idx(memory) - result.buffers);
             n != used_idx(memory); ++n) {
            const auto slot = static_cast<uint16_t>(n % queue.size());
            const auto len = memory.read_obj<uint32_t>(kUsedRing + 4 + 8ull * slot + 4).value();
            CHECK(len > 0);
            total += len;
        }
        CHECK(total == frame.size());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderSize) {
        return 0;
    }
    const GuestMemory& memory = guest_memory();
    std::memset(memory.regions()[0].host, 0, kRamSize);
    std::memcpy(memory.regions()[0].host, data + kHeaderSize,
                std::min<size_t>(size - kHeaderSize, kRamSize));

    const auto queue_size = static_cast<uint16_t>(1u << (data[0] % 9));
    const auto start = static_cast<uint16_t>(data[2] | (data[3] << 8));
    const uint32_t frame_length = (data[4] | (data[5] << 8)) % (kMaxFrameSize + 1);
    uint64_t features = 0;
    if (data[1] & 1) {
        features |= uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC;
    }
    if (data[1] & 2) {
        features |= uint64_t{1} << VIRTIO_RING_F_EVENT_IDX;
    }
    const bool mergeable = (data[1] & 4) != 0;

    SplitQueue queue(256);
    queue.set_size(queue_size);
    queue.set_desc_table(kDescTable);
    queue.set_avail_ring(kAvailRing);
    queue.set_used_ring(kUsedRing);
    queue.set_negotiated_features(features);
    queue.set_next_avail(start);
    queue.set_next_used(start);
    CHECK(queue.is_valid_config(memory));
    queue.set_ready(true);
    transmit_all(memory, queue);
    (void)queue.should_notify(memory);

    // The same chains again, now as receive buffers.
    const uint16_t next_used = queue.next_used();
    queue.reset();
    queue.set_size(queue_size);
    queue.set_desc_table(kDescTable);
    queue.set_avail_ring(kAvailRing);
    queue.set_used_ring(kUsedRing);
    queue.set_negotiated_features(features);
    queue.set_next_avail(start);
    queue.set_next_used(next_used);
    queue.set_ready(true);
    receive(memory, queue, frame_length, mergeable);
    (void)queue.should_notify(memory);
    return 0;
}
