// A split virtqueue, seen from the device (virtio 1.2 §2.7).
//
// The driver lays out three areas in guest memory and tells the device, through
// the transport, where they are:
//
//   descriptor table (§2.7.5)  the buffers, linked into chains   written by the driver
//   available ring   (§2.7.6)  heads of chains for the device    written by the driver
//   used ring        (§2.7.8)  heads of chains the device is     written by the device
//                              done with, and bytes written
//
// Each ring carries a free-running 16-bit `idx`: the number of entries its
// writer has ever added, wrapping at 65536. The ring slot of entry n is
// n % size, which is why the size is a power of two. The device keeps its own
// two counters: next_avail, the next available entry it will take, and
// next_used, the next used entry it will write.
//
// A device handles a notification like this:
//
//   for (;;) {
//       PopResult next = queue.pop(memory);
//       if (auto* chain = std::get_if<DescriptorChain>(&next)) {
//           ChainReader request(memory, *chain);
//           ChainWriter reply(memory, *chain);
//           ... serve the request ...
//           queue.add_used(memory, chain->head_index(), reply.bytes_written());
//       } else if (auto* bad = std::get_if<BadChain>(&next)) {
//           ... log describe(bad->error) once ...
//           queue.add_used(memory, bad->head_index, 0);  // the request fails
//       } else if (std::holds_alternative<BrokenQueue>(next)) {
//           ... set DEVICE_NEEDS_RESET (§2.1.2) ...
//           break;
//       } else {
//           break;  // QueueEmpty
//       }
//   }
//   if (queue.should_notify(memory)) { ... used buffer notification ... }
//
// The queue knows nothing about the transport (PCI or MMIO) or the device.
// It is not thread-safe: one thread at a time uses it, and the transport
// changes its configuration only while it is not ready.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "devices/virtio/queue/descriptor_chain.h"
#include "vmm/memory/guest_address.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

// The driver broke the queue itself; nothing more can be taken from it until
// it is reset. The device sets DEVICE_NEEDS_RESET (§2.1.2).
enum class QueueError {
    // The available idx is more than `size` entries past next_avail: the driver
    // cannot have that many buffers outstanding (§2.7.13, §2.7.6.1).
    kAvailIndexTooFarAhead,
    // The queue was used with a configuration that is_valid_config() refuses
    // (a size that is not a power of two, a ring outside guest memory).
    kInvalidConfig,
};

std::string_view describe(QueueError error);

// What pop() found at the front of the available ring.
struct QueueEmpty {};  // nothing new (or the queue is not ready)
struct BadChain {      // a chain the device cannot use: return it with length 0
    uint16_t head_index;
    ChainError error;
};
struct BrokenQueue {  // the queue is unusable until reset
    QueueError error;
};
using PopResult = std::variant<QueueEmpty, DescriptorChain, BadChain, BrokenQueue>;

class SplitQueue {
public:
    // `max_size` is the largest size the device accepts: a power of two from 1
    // to 32768 (§2.7). Throws std::invalid_argument otherwise.
    explicit SplitQueue(uint16_t max_size);

    // --- Configuration, written by the driver through the transport -------
    uint16_t max_size() const { return max_size_; }
    uint16_t size() const { return size_; }
    GuestAddress desc_table() const { return desc_table_; }
    GuestAddress avail_ring() const { return avail_ring_; }  // the "driver area"
    GuestAddress used_ring() const { return used_ring_; }    // the "device area"
    bool ready() const { return ready_; }
    bool indirect_desc() const { return indirect_desc_; }
    bool event_idx() const { return event_idx_; }

    void set_size(uint16_t size) { size_ = size; }
    void set_desc_table(GuestAddress address) { desc_table_ = address; }
    void set_avail_ring(GuestAddress address) { avail_ring_ = address; }
    void set_used_ring(GuestAddress address) { used_ring_ = address; }
    void set_ready(bool ready) { ready_ = ready; }
    // The features the driver accepted. The queue looks at the two that change
    // the ring, VIRTIO_F_INDIRECT_DESC (bit 28) and VIRTIO_F_EVENT_IDX (bit
    // 29); <linux/virtio_ring.h> calls them VIRTIO_RING_F_*.
    void set_negotiated_features(uint64_t features);

    // True when the configuration can be used: size a power of two, non-zero,
    // at most max_size (§2.7); each area aligned (descriptor table 16, available
    // ring 2, used ring 4) and inside guest RAM, at its full size for that
    // queue size. A transport checks this before it lets the queue run.
    bool is_valid_config(const GuestMemory& memory) const;

    // --- The device's side ---------------------------------------------------

    // Takes the next chain from the available ring, copied and validated
    // (walk_chain). With VIRTIO_F_EVENT_IDX, finding the ring empty also asks
    // the driver for a notification on the next buffer (avail_event, §2.7.10).
    PopResult pop(const GuestMemory& memory);

    // Returns a chain to the driver (§2.7.8): writes the used element
    // {head_index, bytes_written}, then the new used idx. `bytes_written` is
    // what the device wrote into the chain's writable buffers.
    void add_used(const GuestMemory& memory, uint16_t head_index, uint32_t bytes_written);

    // Returns several chains at once: writes every used element, then used->idx
    // once, so that the driver sees all of them or none. virtio-net's mergeable
    // receive buffers need this (§5.1.6.4): the driver reads a frame's
    // num_buffers entries in a row, and drops the frame if a later one is not
    // there yet. At most size() elements.
    struct UsedElement {
        uint16_t head_index = 0;
        uint32_t bytes_written = 0;
    };
    void add_used_batch(const GuestMemory& memory, std::span<const UsedElement> elements);

    // Whether the driver wants a used buffer notification now (§2.7.7): call it
    // once after a batch of add_used(). Without VIRTIO_F_EVENT_IDX the driver
    // can only switch notifications off (VRING_AVAIL_F_NO_INTERRUPT); with it,
    // it names the used index it wants to hear about (used_event).
    bool should_notify(const GuestMemory& memory);

    // Back to the state after construction: not ready, size = max_size, no
    // areas, no features, counters at 0, no error (device reset, §2.1).
    void reset();

    // Set once the driver has broken the queue; cleared by reset().
    std::optional<QueueError> error() const { return error_; }

    uint16_t next_avail() const { return next_avail_; }
    uint16_t next_used() const { return next_used_; }
    // For restoring a saved queue (and for tests of index wrap-around).
    void set_next_avail(uint16_t index) { next_avail_ = index; }
    void set_next_used(uint16_t index) { next_used_ = index; }

private:
    bool size_is_valid() const;
    std::optional<uint16_t> count_available(const GuestMemory& memory);
    BrokenQueue fail(QueueError error);

    // Configuration.
    uint16_t max_size_;
    uint16_t size_;
    GuestAddress desc_table_;
    GuestAddress avail_ring_;
    GuestAddress used_ring_;
    bool ready_ = false;
    bool indirect_desc_ = false;
    bool event_idx_ = false;

    // Device state.
    uint16_t next_avail_ = 0;
    uint16_t next_used_ = 0;
    // next_used when should_notify() last ran; nullopt before the first time,
    // when a notification is always sent (as vhost does).
    std::optional<uint16_t> signalled_used_;
    std::optional<QueueError> error_;
};

}  // namespace berth::virtio
