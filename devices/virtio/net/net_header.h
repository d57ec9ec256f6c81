// What virtio-net puts in front of every frame, and how big a frame may be
// (virtio 1.2 §5.1.6 "Device Operation").
//
// With VIRTIO_F_VERSION_1 the header is always struct virtio_net_hdr_mrg_rxbuf,
// 12 bytes, num_buffers included, whether or not VIRTIO_NET_F_MRG_RXBUF was
// negotiated (§5.1.6: only legacy drivers saw a 10-byte header). A TAP
// interface set to the same size with TUNSETVNETHDRSZ reads and writes the
// same layout, so the header passes between tap and guest unchanged; the
// device only sets num_buffers on receive.
#pragma once

#include "devices/virtio/net/virtio_net_uapi.h"

#include <cstdint>

namespace berth::virtio {

inline constexpr uint32_t kNetHeaderSize = sizeof(virtio_net_hdr_mrg_rxbuf);
static_assert(kNetHeaderSize == 12, "the virtio 1.x net header is 12 bytes");

// The largest frame after the header: a 64 KiB TSO/GSO frame (an IP packet is
// at most 65535 bytes) plus the 14-byte Ethernet header and a margin, the
// bound QEMU and Firecracker use as well (Firecracker's 65562-byte buffer is
// this plus the header).
inline constexpr uint32_t kMaxFrameSize = 65550;

// The TUNSETOFFLOAD flags (TUN_F_*, <linux/if_tun.h>) that let the host hand
// the guest what the negotiated `features` say it accepts (§5.1.3.1): partial
// checksums with VIRTIO_NET_F_GUEST_CSUM, and TSO frames with GUEST_TSO4/6,
// which the spec allows only together with GUEST_CSUM, and ECN with
// GUEST_ECN, which needs one of them. A driver that breaks those rules gets
// the smaller set.
unsigned tun_offload_flags(uint64_t features);

}  // namespace berth::virtio
