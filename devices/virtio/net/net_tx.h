// Sending one frame from virtio-net's transmitq (virtio 1.2 §5.1.6.2
// "Packet Transmission"): the driver's chain holds, in its device-readable
// buffers, the 12-byte header and then the frame. The device writes both, as
// they are, to the packet fd in one writev(2) straight from guest RAM: no
// copy, one frame per write, and the backend (a TAP interface) checks the
// header's offload fields itself.
//
// Pure apart from the one write, so that a fuzzer can drive it.
#pragma once

#include <cstdint>

#include "devices/virtio/queue/descriptor_chain.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

enum class TxStatus {
    kSent,          // the whole frame went out
    kWouldBlock,    // the backend is full (EAGAIN): nothing was sent, try again later
    kMalformed,     // the chain is not a frame: shorter than the header, or too long
    kBackendError,  // the backend refused the frame (its errno in TxResult::error)
};

struct TxResult {
    TxStatus status = TxStatus::kSent;
    uint32_t frame_bytes = 0;  // after the header; set for kSent
    int error = 0;             // errno, for kBackendError
};

// Where frames are written: `fd` is the packet fd. A socket gets
// sendmsg(MSG_NOSIGNAL), so that a peer that went away means EPIPE, not a
// SIGPIPE that would end the VMM; anything else (a tap) gets writev(2).
struct PacketSink {
    int fd = -1;
    bool is_socket = false;
};

// Sends the frame in `chain`'s device-readable buffers. Device-writable
// buffers, which a transmit chain has no use for, are ignored. The chain's
// readable part must hold at least kNetHeaderSize bytes and at most
// kNetHeaderSize + kMaxFrameSize.
TxResult transmit_chain(const GuestMemory& memory, const DescriptorChain& chain, PacketSink sink);

}  // namespace berth::virtio
