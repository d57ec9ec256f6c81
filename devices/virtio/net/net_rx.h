// Placing frames into virtio-net's receiveq (virtio 1.2 §5.1.6.3 "Setting
// Up Receive Buffers", §5.1.6.4 "Processing of Incoming Packets").
//
// The driver posts chains of device-writable buffers. Each frame, header
// first, goes into:
//   - without VIRTIO_NET_F_MRG_RXBUF, one chain that holds all of it; a frame
//     larger than that chain is dropped (§5.1.6.3.1 makes the driver post
//     chains big enough for the frames it accepts);
//   - with it, as many chains as it takes, in ring order, filled one after
//     the other; the header's num_buffers says how many (§5.1.6.4).
//
// A frame is only placed once every chain it needs is there: until then the
// chains stay in the ring (taken and put back, which the split ring allows:
// the device owns next_avail) and the frame waits with its owner, so nothing
// is dropped because the guest is slow to post buffers. A chain the device
// cannot use (malformed, or with room for less than the header, which
// §5.1.6.3.1 forbids) goes back to the driver with length 0 and is not part
// of any frame.
//
// Pure functions of guest memory and the queue, so that tests and a fuzzer
// can drive them; the caller notifies the driver (should_notify()).
#pragma once

#include <cstdint>
#include <span>

#include "devices/virtio/queue/split_queue.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

enum class RxBufferStatus {
    kAvailable,    // a usable chain is at the front of the ring (left there)
    kEmpty,        // none: wait for the driver to post some
    kBudgetSpent,  // a ring's worth of unusable chains returned; look again later
    kBrokenQueue,  // the queue needs a reset (§2.1.2)
};

struct RxPeek {
    RxBufferStatus status = RxBufferStatus::kEmpty;
    uint32_t returned_unusable = 0;  // chains handed back with length 0
};

// Whether the driver has posted a buffer a frame can start in, without taking
// it. Unusable chains in front of it are returned on the way.
RxPeek peek_rx_buffer(const GuestMemory& memory, SplitQueue& queue);

enum class RxStatus {
    kDelivered,    // the frame is in the guest's buffers and in the used ring
    kNoBuffers,    // not enough buffers yet: nothing taken, keep the frame
    kTooLarge,     // no set of buffers the driver posts can hold it: drop it
    kBrokenQueue,  // the queue needs a reset (§2.1.2)
};

struct RxResult {
    RxStatus status = RxStatus::kNoBuffers;
    uint16_t buffers = 0;            // chains the frame took (num_buffers), for kDelivered
    uint32_t returned_unusable = 0;  // chains handed back with length 0
};

// Places `frame` (the 12-byte header, then the frame; at most kNetHeaderSize
// + kMaxFrameSize bytes) into the ring, setting num_buffers in the header
// first. `mergeable`: VIRTIO_NET_F_MRG_RXBUF was negotiated. With it, a frame
// is too large when a whole ring of the driver's buffers cannot hold it; a
// frame that needs more buffers than are posted now waits (kNoBuffers). At
// most one ring of chains is looked at per call.
RxResult deliver_frame(const GuestMemory& memory, SplitQueue& queue, std::span<uint8_t> frame,
                       bool mergeable);

}  // namespace berth::virtio
