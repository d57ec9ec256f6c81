#include "devices/virtio/net/net_header.h"

#include <linux/if_tun.h>

namespace berth::virtio {

namespace {

bool has(uint64_t features, unsigned bit) {
    return (features & (uint64_t{1} << bit)) != 0;
}

}  // namespace

unsigned tun_offload_flags(uint64_t features) {
    if (!has(features, VIRTIO_NET_F_GUEST_CSUM)) {
        return 0;  // no offload at all: the host must finish every checksum
    }
    unsigned flags = TUN_F_CSUM;
    if (has(features, VIRTIO_NET_F_GUEST_TSO4)) {
        flags |= TUN_F_TSO4;
    }
    if (has(features, VIRTIO_NET_F_GUEST_TSO6)) {
        flags |= TUN_F_TSO6;
    }
    if ((flags & (TUN_F_TSO4 | TUN_F_TSO6)) != 0 && has(features, VIRTIO_NET_F_GUEST_ECN)) {
        flags |= TUN_F_TSO_ECN;
    }
    return flags;
}

}  // namespace berth::virtio
