// The driver's side of one split virtqueue in guest RAM that several queues
// share, for testing devices with more than one queue. FakeDriver
// (tests/unit/virtio/fake_driver.h) owns its RAM and puts its one queue at
// fixed addresses; a QueueDriver instead takes the RAM and where to put its
// areas, so that a receive queue and a transmit queue can live side by side.
//
// Like FakeDriver, it computes every ring offset from the spec's structures
// (virtio 1.2 §2.7.5, §2.7.6, §2.7.8, <linux/virtio_ring.h>), independently
// of the code under test.
#pragma once

#ifndef VIRTIO_RING_NO_LEGACY
#define VIRTIO_RING_NO_LEGACY
#endif
#include <linux/virtio_ring.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "tests/unit/virtio/fake_driver.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio::testing {

class QueueDriver {
public:
    // Each queue gets a 64 KiB window at `base`: the descriptor table, then
    // the available ring at +0x1000, the used ring at +0x2000, and buffers
    // from +0x4000. Enough for queues of up to 256 entries.
    static constexpr uint64_t kWindow = 0x10000;

    QueueDriver(const GuestMemory& memory, uint16_t size, GuestAddress base)
        : memory_(memory),
          size_(size),
          desc_table_(base),
          avail_ring_(base + 0x1000),
          used_ring_(base + 0x2000),
          data_start_(base + 0x4000),
          next_data_(data_start_) {}

    uint16_t size() const { return size_; }
    GuestAddress desc_table() const { return desc_table_; }

    // What the transport does when the driver sets the queue up.
    void configure(SplitQueue& queue, uint64_t features = 0) const {
        queue.set_size(size_);
        queue.set_desc_table(desc_table_);
        queue.set_avail_ring(avail_ring_);
        queue.set_used_ring(used_ring_);
        queue.set_negotiated_features(features);
        queue.set_ready(true);
    }

    void write_descriptor(uint16_t index, uint64_t addr, uint32_t len, uint16_t flags,
                          uint16_t next = 0) {
        const vring_desc desc{.addr = addr, .len = len, .flags = flags, .next = next};
        ASSERT_TRUE(memory_.write_obj(desc_table_ + 16ull * index, desc));
    }

    // Chains `buffers` with NEXT into free descriptors, places their data,
    // and makes the chain available. Returns the head index; each buffer's
    // address is appended to `addresses` when given.
    uint16_t offer(const std::vector<BufferSpec>& buffers,
                   std::vector<GuestAddress>* addresses = nullptr) {
        const uint16_t head = next_free_;
        for (size_t i = 0; i < buffers.size(); ++i) {
            const uint16_t index = next_free_;
            next_free_ = static_cast<uint16_t>((next_free_ + 1) % size_);
            const bool last = i + 1 == buffers.size();
            const uint16_t flags = static_cast<uint16_t>(
                (buffers[i].writable ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT));
            const GuestAddress address = place(buffers[i]);
            if (addresses != nullptr) {
                addresses->push_back(address);
            }
            write_descriptor(index, address.value(), length_of(buffers[i]), flags,
                             last ? 0 : next_free_);
        }
        offer_head(head);
        return head;
    }

    // Makes descriptor `head` available (avail->ring[idx % size], then idx).
    void offer_head(uint16_t head) {
        write_u16(avail_ring_, 4 + 2ull * (avail_idx_ % size_), head);
        set_avail_idx(static_cast<uint16_t>(avail_idx_ + 1));
    }
    void set_avail_idx(uint16_t idx) {
        avail_idx_ = idx;
        write_u16(avail_ring_, 2, idx);
    }
    // VRING_AVAIL_F_NO_INTERRUPT in avail->flags.
    void set_avail_flags(uint16_t flags) { write_u16(avail_ring_, 0, flags); }

    uint16_t used_idx() const { return read_u16(used_ring_, 2); }
    vring_used_elem used_element(uint16_t n) const {
        const auto slot = static_cast<uint16_t>(n % size_);
        return memory_.read_obj<vring_used_elem>(used_ring_ + 4 + 8ull * slot).value();
    }

    // used->avail_event, after the ring (VIRTIO_F_EVENT_IDX, §2.7.10).
    uint16_t avail_event() const { return read_u16(used_ring_, 4 + 8ull * size_); }

    std::vector<uint8_t> read_bytes(GuestAddress address, size_t length) const {
        std::vector<uint8_t> bytes(length);
        EXPECT_TRUE(memory_.read(address, bytes));
        return bytes;
    }

    // A data address of this queue's window that no offered buffer uses.
    GuestAddress spare_data() const { return next_data_; }

private:
    static uint32_t length_of(const BufferSpec& buffer) {
        return buffer.writable ? buffer.writable_length : static_cast<uint32_t>(buffer.data.size());
    }
    GuestAddress place(const BufferSpec& buffer) {
        const uint32_t length = length_of(buffer);
        const GuestAddress address = next_data_;
        next_data_ = next_data_ + ((length + 15) & ~15ull);
        EXPECT_LE(next_data_.value(), desc_table_.value() + kWindow) << "queue window full";
        if (!buffer.writable && !buffer.data.empty()) {
            EXPECT_TRUE(memory_.write(address, buffer.data));
        }
        return address;
    }
    void write_u16(GuestAddress area, uint64_t offset, uint16_t value) {
        ASSERT_TRUE(memory_.write_obj(area + offset, value));
    }
    uint16_t read_u16(GuestAddress area, uint64_t offset) const {
        return memory_.read_obj<uint16_t>(area + offset).value();
    }

    const GuestMemory& memory_;
    uint16_t size_;
    GuestAddress desc_table_;
    GuestAddress avail_ring_;
    GuestAddress used_ring_;
    GuestAddress data_start_;
    GuestAddress next_data_;
    uint16_t next_free_ = 0;
    uint16_t avail_idx_ = 0;
};

}  // namespace berth::virtio::testing
