// Where each field of a split virtqueue lies (virtio 1.2 §2.7), as byte
// offsets from the start of its area.
//
// The structures and constants come from the kernel's uapi header
// <linux/virtio_ring.h>. Berth never casts guest memory to those structs:
// vring_avail and vring_used end in flexible arrays whose size is the queue
// size, and the event fields (used_event, avail_event) sit after those arrays,
// where no struct can name them. Each field is read on its own, at the offset
// computed here, through GuestMemory.
#pragma once

// The header's "legacy" part (vring_init) converts void* implicitly, which is
// C but not C++; Berth needs none of it.
#ifndef VIRTIO_RING_NO_LEGACY
#define VIRTIO_RING_NO_LEGACY
#endif
#include <linux/virtio_ring.h>

#include <bit>
#include <cstddef>
#include <cstdint>

namespace berth::virtio::ring {

// Virtio 1.x rings are little-endian (§2.4; only legacy devices use the guest's
// byte order). Berth reads them as native integers, which is right on x86-64.
static_assert(std::endian::native == std::endian::little);

// The largest queue size a split ring can have (§2.7: 32768, the largest power
// of two that a 16-bit index can tell apart from an empty ring).
inline constexpr uint32_t kMaxQueueSize = 32768;

// Descriptor table (§2.7.5): `size` entries of struct vring_desc, 16 bytes each.
// This struct has no flexible array, so it is copied out whole.
inline constexpr uint64_t kDescriptorSize = sizeof(vring_desc);
static_assert(kDescriptorSize == 16);
static_assert(offsetof(vring_desc, addr) == 0 && offsetof(vring_desc, len) == 8 &&
              offsetof(vring_desc, flags) == 12 && offsetof(vring_desc, next) == 14);

// Available ring (§2.7.6), written by the driver:
//   le16 flags; le16 idx; le16 ring[size]; le16 used_event;
inline constexpr uint64_t kAvailFlags = offsetof(vring_avail, flags);
inline constexpr uint64_t kAvailIdx = offsetof(vring_avail, idx);
inline constexpr uint64_t kAvailRing = offsetof(vring_avail, ring);
static_assert(kAvailFlags == 0 && kAvailIdx == 2 && kAvailRing == 4);

constexpr uint64_t avail_entry(uint16_t slot) {
    return kAvailRing + sizeof(uint16_t) * slot;
}
constexpr uint64_t used_event(uint16_t queue_size) {
    return avail_entry(0) + sizeof(uint16_t) * uint64_t{queue_size};
}
constexpr uint64_t avail_ring_bytes(uint16_t queue_size) {
    return used_event(queue_size) + sizeof(uint16_t);  // §2.7: 6 + 2 * size
}

// Used ring (§2.7.8), written by the device:
//   le16 flags; le16 idx; struct vring_used_elem ring[size]; le16 avail_event;
inline constexpr uint64_t kUsedFlags = offsetof(vring_used, flags);
inline constexpr uint64_t kUsedIdx = offsetof(vring_used, idx);
inline constexpr uint64_t kUsedRing = offsetof(vring_used, ring);
static_assert(kUsedFlags == 0 && kUsedIdx == 2 && kUsedRing == 4);
static_assert(sizeof(vring_used_elem) == 8);

constexpr uint64_t used_entry(uint16_t slot) {
    return kUsedRing + sizeof(vring_used_elem) * slot;
}
constexpr uint64_t avail_event(uint16_t queue_size) {
    return used_entry(0) + sizeof(vring_used_elem) * uint64_t{queue_size};
}
constexpr uint64_t used_ring_bytes(uint16_t queue_size) {
    return avail_event(queue_size) + sizeof(uint16_t);  // §2.7: 6 + 8 * size
}

// Minimum alignment of each area's guest-physical address (§2.7).
inline constexpr uint64_t kDescriptorTableAlign = VRING_DESC_ALIGN_SIZE;  // 16
inline constexpr uint64_t kAvailRingAlign = VRING_AVAIL_ALIGN_SIZE;       // 2
inline constexpr uint64_t kUsedRingAlign = VRING_USED_ALIGN_SIZE;         // 4

}  // namespace berth::virtio::ring
