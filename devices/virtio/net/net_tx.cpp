#include "devices/virtio/net/net_tx.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <climits>
#include <span>
#include <vector>

#include "devices/virtio/net/net_header.h"
#include "devices/virtio/queue/chain_io.h"

namespace berth::virtio {

TxResult transmit_chain(const GuestMemory& memory, const DescriptorChain& chain, PacketSink sink) {
    const uint32_t length = chain.readable_length();
    if (length < kNetHeaderSize || length - kNetHeaderSize > kMaxFrameSize) {
        return {TxStatus::kMalformed};
    }
    ChainReader reader(memory, chain);
    // Host views of the guest's buffers, in RAM (walk_chain checked each).
    const auto slices = reader.take_slices(length);
    if (!slices || slices->size() > IOV_MAX) {
        return {TxStatus::kMalformed};  // a queue of 256 entries never has more than 256 pieces
    }
    std::vector<iovec> iov;
    iov.reserve(slices->size());
    for (std::span<const uint8_t> slice : *slices) {
        // const_cast: iovec has one pointer type for reading and writing;
        // writev() and sendmsg() only read through it.
        iov.push_back({const_cast<uint8_t*>(slice.data()), slice.size()});
    }

    ssize_t sent = -1;
    do {
        if (sink.is_socket) {
            msghdr message{};
            message.msg_iov = iov.data();
            message.msg_iovlen = iov.size();
            sent = ::sendmsg(sink.fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else {
            sent = ::writev(sink.fd, iov.data(), static_cast<int>(iov.size()));
        }
    } while (sent < 0 && errno == EINTR);

    if (sent < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return {TxStatus::kWouldBlock};
        }
        return {TxStatus::kBackendError, 0, errno};
    }
    // A tap and a SOCK_SEQPACKET socket take a frame whole or not at all; a
    // short count means the backend cut the frame.
    if (static_cast<size_t>(sent) != length) {
        return {TxStatus::kBackendError, 0, EMSGSIZE};
    }
    return {TxStatus::kSent, length - kNetHeaderSize};
}

}  // namespace berth::virtio
