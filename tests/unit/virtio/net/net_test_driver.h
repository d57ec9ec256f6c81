// The guest's side of virtio-net for tests: both queues (receiveq1 and
// transmitq1) in one guest RAM, laid out and driven as a driver does
// (virtio 1.2 §2.7.13, §2.7.14), safe to use while the device's own thread
// works on the same rings: ring indices are written and read as atomics, with
// the fences the spec asks of a driver. Chains are built from the BufferSpecs
// of fake_driver.h; descriptors are recycled once the device has returned
// their chain, so a test can run many frames through a small ring.
#pragma once

#ifndef VIRTIO_RING_NO_LEGACY
#define VIRTIO_RING_NO_LEGACY
#endif
#include <linux/virtio_ring.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "tests/unit/virtio/fake_driver.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio::testing {

// Where one offered buffer lies in guest RAM.
struct PlacedBuffer {
    GuestAddress address;
    uint32_t length = 0;
};

class NetTestDriver {
public:
    static constexpr uint64_t kRamSize = 16ull << 20;
    static constexpr GuestAddress kDataArea{0x100000};

    explicit NetTestDriver(uint16_t size) : size_(size), memory_(make_memory()) {
        for (Ring& ring : rings_) {
            for (uint16_t i = 0; i < size; ++i) {
                ring.free.push_back(static_cast<uint16_t>(size - 1 - i));
            }
        }
    }

    const GuestMemory& memory() const { return memory_; }
    uint16_t size() const { return size_; }

    // What the transport does for queue `index` (0 receive, 1 transmit).
    void configure(SplitQueue& queue, unsigned index, uint64_t features = 0) const {
        queue.set_size(size_);
        queue.set_desc_table(desc_table(index));
        queue.set_avail_ring(avail_ring(index));
        queue.set_used_ring(used_ring(index));
        queue.set_negotiated_features(features);
        queue.set_ready(true);
    }

    // Builds a chain on queue `index` and makes it available; returns the
    // head and where each buffer is.
    uint16_t offer(unsigned index, const std::vector<BufferSpec>& buffers,
                   std::vector<PlacedBuffer>* placed = nullptr) {
        Ring& ring = rings_[index];
        EXPECT_GE(ring.free.size(), buffers.size()) << "no free descriptors";
        std::vector<uint16_t> descriptors;
        for (size_t i = 0; i < buffers.size(); ++i) {
            descriptors.push_back(ring.free.back());
            ring.free.pop_back();
        }
        for (size_t i = 0; i < buffers.size(); ++i) {
            const BufferSpec& buffer = buffers[i];
            const uint32_t length = buffer.writable ? buffer.writable_length
                                                    : static_cast<uint32_t>(buffer.data.size());
            const GuestAddress address = allocate(length);
            if (!buffer.writable && !buffer.data.empty()) {
                EXPECT_TRUE(memory_.write(address, buffer.data));
            }
            const bool last = i + 1 == buffers.size();
            const uint16_t flags = static_cast<uint16_t>(
                (buffer.writable ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT));
            write_descriptor(index, descriptors[i], address.value(), length, flags,
                             last ? 0 : descriptors[i + 1]);
            if (placed != nullptr) {
                placed->push_back({address, length});
            }
        }
        const uint16_t head = descriptors.front();
        ring.chains[head] = descriptors;
        offer_head(index, head);
        return head;
    }

    // Puts `head` in the next available entry and publishes it (§2.7.13.2-3):
    // entry first, then a release fence, then the index.
    void offer_head(unsigned index, uint16_t head) {
        Ring& ring = rings_[index];
        const auto slot = static_cast<uint16_t>(ring.avail_idx % size_);
        EXPECT_TRUE(memory_.write_obj(avail_ring(index) + 4 + 2ull * slot, head));
        ++ring.avail_idx;
        std::atomic_thread_fence(std::memory_order_release);
        u16(avail_ring(index) + 2).store(ring.avail_idx, std::memory_order_relaxed);
    }

    // A descriptor written as given, outside the free-list bookkeeping.
    void write_descriptor(unsigned index, uint16_t descriptor, uint64_t addr, uint32_t len,
                          uint16_t flags, uint16_t next = 0) {
        const vring_desc desc{.addr = addr, .len = len, .flags = flags, .next = next};
        EXPECT_TRUE(memory_.write_obj(desc_table(index) + 16ull * descriptor, desc));
    }

    // Takes descriptor `descriptor` off queue `index`'s free list, so that a
    // test can write it by hand.
    void reserve_descriptor(unsigned index, uint16_t descriptor) {
        auto& free = rings_[index].free;
        std::erase(free, descriptor);
    }

    // Writes avail->idx directly, as a broken driver might.
    void set_avail_idx(unsigned index, uint16_t value) {
        rings_[index].avail_idx = value;
        u16(avail_ring(index) + 2).store(value, std::memory_order_release);
    }

    // The used ring (§2.7.14): idx with acquire, so the elements and the
    // buffers' contents read after it are the device's.
    uint16_t used_idx(unsigned index) const {
        const uint16_t value = u16(used_ring(index) + 2).load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);
        return value;
    }
    vring_used_elem used_element(unsigned index, uint16_t n) const {
        const auto slot = static_cast<uint16_t>(n % size_);
        return memory_.read_obj<vring_used_elem>(used_ring(index) + 4 + 8ull * slot).value();
    }

    // avail_event (§2.7.10), which the device writes when it finds the ring
    // empty with VIRTIO_F_EVENT_IDX: the index of the buffer it waits for.
    uint16_t avail_event(unsigned index) const {
        return u16(used_ring(index) + 4 + 8ull * size_).load(std::memory_order_acquire);
    }

    // Gives the descriptors of every chain the device returned since the last
    // call back to the free list; returns those used elements in order.
    std::vector<vring_used_elem> reclaim(unsigned index) {
        Ring& ring = rings_[index];
        std::vector<vring_used_elem> used;
        const uint16_t end = used_idx(index);
        for (; ring.last_used != end; ++ring.last_used) {
            const vring_used_elem element = used_element(index, ring.last_used);
            used.push_back(element);
            auto chain = ring.chains.find(static_cast<uint16_t>(element.id));
            if (chain != ring.chains.end()) {
                ring.free.insert(ring.free.end(), chain->second.begin(), chain->second.end());
                ring.chains.erase(chain);
            }
        }
        return used;
    }

    std::vector<uint8_t> read_bytes(GuestAddress address, size_t length) const {
        std::vector<uint8_t> bytes(length);
        EXPECT_TRUE(memory_.read(address, bytes));
        return bytes;
    }

    static GuestAddress desc_table(unsigned index) {
        return GuestAddress(0x10000 + 0x40000ull * index);
    }
    static GuestAddress avail_ring(unsigned index) { return desc_table(index) + 0x10000; }
    static GuestAddress used_ring(unsigned index) { return desc_table(index) + 0x20000; }

private:
    struct Ring {
        std::vector<uint16_t> free;                        // descriptors not in any chain
        std::map<uint16_t, std::vector<uint16_t>> chains;  // head -> its descriptors
        uint16_t avail_idx = 0;
        uint16_t last_used = 0;
    };

    static GuestMemory make_memory() { return GuestMemory::create({{GuestAddress(0), kRamSize}}); }

    GuestAddress allocate(uint32_t length) {
        const GuestAddress address = next_data_;
        next_data_ = next_data_ + ((length + 15ull) & ~15ull);
        EXPECT_LE(next_data_.value(), kRamSize) << "the test ran out of guest RAM";
        return address;
    }

    // reinterpret_cast: a ring index is a naturally aligned little-endian
    // u16 in guest RAM, which the device's thread reads and writes as one.
    std::atomic_ref<uint16_t> u16(GuestAddress address) const {
        auto bytes = memory_.slice(address, sizeof(uint16_t)).value();
        return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(bytes.data()));
    }

    uint16_t size_;
    GuestMemory memory_;
    std::array<Ring, 2> rings_;
    GuestAddress next_data_ = kDataArea;
};

}  // namespace berth::virtio::testing
