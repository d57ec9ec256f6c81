// One descriptor chain of a split virtqueue (virtio 1.2 §2.7.5), copied out of
// guest memory and checked against every rule the driver must follow.
//
// The driver describes a request as a chain: descriptors linked by `next`,
// device-readable buffers first, then device-writable ones (§2.7.4.2). A chain
// may end in one indirect descriptor that points at a table of further
// descriptors (§2.7.5.3). Nothing in guest memory can be trusted, and the guest
// can rewrite it at any moment, so walk_chain() copies each descriptor exactly
// once, validates the copy, and keeps only validated copies: a device never
// reads a descriptor from guest memory itself.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "vmm/memory/guest_address.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

// One buffer of a chain (struct virtq_desc, §2.7.5, after validation): it lies
// entirely inside guest RAM, and its flags are reduced to the one a device
// needs. Chaining and indirect flags have been consumed by walk_chain().
struct Descriptor {
    GuestAddress address;
    uint32_t length = 0;
    bool device_writable = false;  // VRING_DESC_F_WRITE

    bool operator==(const Descriptor&) const = default;
};

// Why a chain was refused. Each is a rule of §2.7.5 that the driver broke; the
// request fails, and the device returns the head with add_used(head, 0).
enum class ChainError {
    kHeadOutOfRange,                // the available ring names a descriptor >= queue size
    kNextOutOfRange,                // `next` >= the size of the table it indexes
    kChainTooLong,                  // more descriptors than the queue size (§2.7.5.3.1);
                                    // this is also how a loop of `next` links ends
    kBufferOutsideMemory,           // [addr, addr + len) not inside one RAM region, or wraps
    kReadableAfterWritable,         // device-readable after device-writable (§2.7.4.2)
    kTotalLengthOverflow,           // the buffers add up to 2^32 bytes or more (§2.7.5.2)
    kIndirectNotNegotiated,         // VRING_DESC_F_INDIRECT without VIRTIO_F_INDIRECT_DESC
    kIndirectWithNext,              // VRING_DESC_F_INDIRECT and VRING_DESC_F_NEXT together
    kNestedIndirect,                // VRING_DESC_F_INDIRECT inside an indirect table
    kIndirectTableEmpty,            // indirect table of length 0
    kIndirectTableBadLength,        // indirect table length not a multiple of 16
    kIndirectTableTooLarge,         // more entries than the queue size (see walk_chain)
    kIndirectTableOutsideMemory,    // the table itself not inside one RAM region
    kDescriptorTableOutsideMemory,  // the queue's own table unreadable (bad config)
};

// A short, stable name for logs ("next index out of range").
std::string_view describe(ChainError error);

// Where a chain's descriptors are read from: the queue's descriptor table
// (§2.7.5) and whether the driver negotiated VIRTIO_F_INDIRECT_DESC.
struct DescriptorTable {
    GuestAddress address;
    uint16_t queue_size = 0;  // entries in the table; also the longest chain allowed
    bool indirect_allowed = false;
};

// A validated chain: its head index (what the device hands back in the used
// ring) and its buffers in order, readable ones first.
class DescriptorChain {
public:
    uint16_t head_index() const { return head_index_; }

    std::span<const Descriptor> descriptors() const { return descriptors_; }
    // Because every device-readable buffer precedes every device-writable one,
    // the two kinds are a prefix and a suffix of descriptors().
    std::span<const Descriptor> readable() const { return descriptors().first(readable_count_); }
    std::span<const Descriptor> writable() const { return descriptors().subspan(readable_count_); }
    // Both sums fit in 32 bits together: walk_chain() refuses larger chains.
    uint32_t readable_length() const { return readable_length_; }
    uint32_t writable_length() const { return writable_length_; }

private:
    friend class ChainBuilder;
    explicit DescriptorChain(uint16_t head_index) : head_index_(head_index) {}

    uint16_t head_index_;
    std::vector<Descriptor> descriptors_;
    size_t readable_count_ = 0;
    uint32_t readable_length_ = 0;
    uint32_t writable_length_ = 0;
};

using ChainResult = std::variant<DescriptorChain, ChainError>;

// Copies and validates the chain that starts at descriptor `head` of `table`.
//
// Rules enforced (virtio 1.2):
// - head and every `next` lie inside the table they index (§2.7.5);
// - at most `queue_size` buffers in all, direct and indirect together: "A driver
//   MUST NOT create a descriptor chain longer than the Queue Size" (§2.7.5.3.1).
//   Every step of the walk adds a buffer, so this bound also ends a loop of
//   `next` links, with kChainTooLong, instead of spinning;
// - every buffer lies inside guest RAM, and all of them add up to less than
//   2^32 bytes (§2.7.5.2: used lengths are 32-bit);
// - device-writable buffers come after all device-readable ones (§2.7.4.2);
// - indirect descriptors (§2.7.5.3): only when negotiated, never with NEXT
//   (so an indirect descriptor ends the chain), never inside an indirect table,
//   with a table length that is a non-zero multiple of 16 and inside RAM. The
//   table may hold at most `queue_size` entries, the same bound as the chain
//   (QEMU allows 1024 and vhost 65536, but Linux sizes a table by the request,
//   so a device that keeps its seg_max below the queue size never sees more).
//   The WRITE flag of the indirect descriptor itself is ignored (§2.7.5.3.2).
ChainResult walk_chain(const GuestMemory& memory, const DescriptorTable& table, uint16_t head);

}  // namespace berth::virtio
