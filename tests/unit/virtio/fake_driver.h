// The driver's side of a split virtqueue, for tests: it owns guest RAM, lays
// out the three areas the way a guest driver does, and offers and reclaims
// buffers following virtio 1.2 §2.7.13 and §2.7.14, so that tests of the
// device's side read like the spec.
//
// It computes every ring offset itself from the spec's struct definitions,
// independently of the code under test (devices/virtio/queue/ring_layout.h).
#pragma once

#ifndef VIRTIO_RING_NO_LEGACY
#define VIRTIO_RING_NO_LEGACY
#endif
#include <linux/virtio_ring.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio::testing {

// One buffer of a chain to offer: data for the device to read, or room for
// it to write.
struct BufferSpec {
    std::vector<uint8_t> data;  // device-readable contents
    uint32_t writable_length = 0;
    bool writable = false;
};

inline BufferSpec readable(std::string_view text) {
    return {std::vector<uint8_t>(text.begin(), text.end()), 0, false};
}
inline BufferSpec readable(std::vector<uint8_t> bytes) {
    return {std::move(bytes), 0, false};
}
inline BufferSpec writable(uint32_t length) {
    return {{}, length, true};
}

class FakeDriver {
public:
    // Guest RAM and where the driver puts things in it.
    static constexpr uint64_t kRamSize = 2ull << 20;
    static constexpr GuestAddress kDescTable{0x10000};
    static constexpr GuestAddress kAvailRing{0x20000};
    static constexpr GuestAddress kUsedRing{0x30000};
    static constexpr GuestAddress kIndirectTables{0x40000};
    static constexpr GuestAddress kDataArea{0x80000};

    explicit FakeDriver(uint16_t size, std::vector<RamRange> ram = {{GuestAddress(0), kRamSize}})
        : size_(size), memory_(GuestMemory::create(ram)) {}

    const GuestMemory& memory() const { return memory_; }
    uint16_t size() const { return size_; }

    // What the transport does on the driver's behalf: size, areas, features,
    // then queue_enable.
    void configure(SplitQueue& queue, uint64_t features = 0) const {
        queue.set_size(size_);
        queue.set_desc_table(kDescTable);
        queue.set_avail_ring(kAvailRing);
        queue.set_used_ring(kUsedRing);
        queue.set_negotiated_features(features);
        queue.set_ready(true);
    }

    // Starts both rings' free-running indices at `index` instead of 0, on
    // this side and on the queue's, as if that many buffers had gone round.
    void start_indices_at(SplitQueue& queue, uint16_t index) {
        avail_idx_ = index;
        write_u16(kAvailRing, 2, index);
        write_u16(kUsedRing, 2, index);
        queue.set_next_avail(index);
        queue.set_next_used(index);
    }

    // --- Building chains (§2.7.13.1) -------------------------------------

    // Writes descriptor `index` of the queue's table as given.
    void write_descriptor(uint16_t index, uint64_t addr, uint32_t len, uint16_t flags,
                          uint16_t next = 0) {
        write_descriptor_at(kDescTable, index, addr, len, flags, next);
    }
    void write_descriptor_at(GuestAddress table, uint16_t index, uint64_t addr, uint32_t len,
                             uint16_t flags, uint16_t next = 0) {
        const vring_desc desc{.addr = addr, .len = len, .flags = flags, .next = next};
        ASSERT_TRUE(memory_.write_obj(table + 16ull * index, desc));
    }

    // Allocates data space and fills it with the buffer's contents.
    GuestAddress place(const BufferSpec& buffer) {
        const uint32_t length =
            buffer.writable ? buffer.writable_length : static_cast<uint32_t>(buffer.data.size());
        const GuestAddress address = next_data_;
        next_data_ = next_data_ + ((length + 15) & ~15ull);
        if (!buffer.writable && !buffer.data.empty()) {
            EXPECT_TRUE(memory_.write(address, buffer.data));
        }
        return address;
    }

    // Puts `buffers` into free descriptors of the table, chained with NEXT, and
    // returns the head index. Not yet offered.
    uint16_t build_chain(const std::vector<BufferSpec>& buffers) {
        const uint16_t head = next_free_;
        for (size_t i = 0; i < buffers.size(); ++i) {
            const uint16_t index = next_free_;
            next_free_ = static_cast<uint16_t>((next_free_ + 1) % size_);
            const bool last = i + 1 == buffers.size();
            const uint16_t flags = static_cast<uint16_t>(
                (buffers[i].writable ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT));
            write_descriptor(index, place(buffers[i]).value(), length_of(buffers[i]), flags,
                             last ? 0 : next_free_);
        }
        return head;
    }

    // Puts `buffers` into a new indirect table (§2.7.5.3) and one descriptor of
    // the queue's table that points at it; returns that descriptor's index.
    uint16_t build_indirect_chain(const std::vector<BufferSpec>& buffers) {
        const GuestAddress table = next_indirect_;
        next_indirect_ = next_indirect_ + 16 * buffers.size();
        for (size_t i = 0; i < buffers.size(); ++i) {
            const bool last = i + 1 == buffers.size();
            const uint16_t flags = static_cast<uint16_t>(
                (buffers[i].writable ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT));
            write_descriptor_at(table, static_cast<uint16_t>(i), place(buffers[i]).value(),
                                length_of(buffers[i]), flags,
                                last ? 0 : static_cast<uint16_t>(i + 1));
        }
        const uint16_t head = next_free_;
        next_free_ = static_cast<uint16_t>((next_free_ + 1) % size_);
        write_descriptor(head, table.value(), static_cast<uint32_t>(16 * buffers.size()),
                         VRING_DESC_F_INDIRECT);
        return head;
    }

    // --- Offering them (§2.7.13.2 - §2.7.13.3) ----------------------------

    // Places a head in the next available ring entry, not yet visible.
    void add_to_ring(uint16_t head) {
        const auto slot = static_cast<uint16_t>((avail_idx_ + added_) % size_);
        write_u16(kAvailRing, 4 + 2ull * slot, head);
        ++added_;
    }
    // Makes every added head visible: avail->idx += added.
    void publish() {
        avail_idx_ = static_cast<uint16_t>(avail_idx_ + added_);
        added_ = 0;
        write_u16(kAvailRing, 2, avail_idx_);
    }
    uint16_t offer(const std::vector<BufferSpec>& buffers) {
        const uint16_t head = build_chain(buffers);
        add_to_ring(head);
        publish();
        return head;
    }
    uint16_t offer_indirect(const std::vector<BufferSpec>& buffers) {
        const uint16_t head = build_indirect_chain(buffers);
        add_to_ring(head);
        publish();
        return head;
    }
    void offer_head(uint16_t head) {
        add_to_ring(head);
        publish();
    }

    // Writes avail->idx directly, as a broken driver might.
    void set_avail_idx(uint16_t idx) {
        avail_idx_ = idx;
        write_u16(kAvailRing, 2, idx);
    }
    void set_avail_flags(uint16_t flags) { write_u16(kAvailRing, 0, flags); }
    void set_used_event(uint16_t index) { write_u16(kAvailRing, 4 + 2ull * size_, index); }

    // --- Reading what the device returned (§2.7.14) ------------------------

    uint16_t used_idx() const { return read_u16(kUsedRing, 2); }
    // Used ring entry number `n` (free-running: the slot is n % size).
    vring_used_elem used_element(uint16_t n) const {
        const auto slot = static_cast<uint16_t>(n % size_);
        return memory_.read_obj<vring_used_elem>(kUsedRing + 4 + 8ull * slot).value();
    }
    uint16_t avail_event() const { return read_u16(kUsedRing, 4 + 8ull * size_); }

    std::vector<uint8_t> read_bytes(GuestAddress address, size_t length) const {
        std::vector<uint8_t> bytes(length);
        EXPECT_TRUE(memory_.read(address, bytes));
        return bytes;
    }

private:
    static uint32_t length_of(const BufferSpec& buffer) {
        return buffer.writable ? buffer.writable_length : static_cast<uint32_t>(buffer.data.size());
    }
    void write_u16(GuestAddress area, uint64_t offset, uint16_t value) {
        ASSERT_TRUE(memory_.write_obj(area + offset, value));
    }
    uint16_t read_u16(GuestAddress area, uint64_t offset) const {
        return memory_.read_obj<uint16_t>(area + offset).value();
    }

    uint16_t size_;
    GuestMemory memory_;
    uint16_t next_free_ = 0;  // next descriptor to hand out
    uint16_t avail_idx_ = 0;  // avail->idx as last published
    uint16_t added_ = 0;      // heads in the ring beyond avail_idx_
    GuestAddress next_data_ = kDataArea;
    GuestAddress next_indirect_ = kIndirectTables;
};

// The chain pop() returned, failing the test if it returned anything else.
inline DescriptorChain expect_chain(PopResult result) {
    if (auto* bad = std::get_if<BadChain>(&result)) {
        ADD_FAILURE() << "bad chain: " << describe(bad->error);
    } else if (auto* broken = std::get_if<BrokenQueue>(&result)) {
        ADD_FAILURE() << "broken queue: " << describe(broken->error);
    } else if (std::holds_alternative<QueueEmpty>(result)) {
        ADD_FAILURE() << "queue empty";
    }
    return std::get<DescriptorChain>(std::move(result));
}

}  // namespace berth::virtio::testing
