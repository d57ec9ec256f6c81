// The driver's side of virtio-blk requests (virtio 1.2 §5.2.6), for tests:
// places headers, data and status bytes in guest memory where the test says,
// links them into chains of whatever shape the test wants (one buffer per
// field, a field split over many buffers, the status sharing a buffer with
// data), and offers them on a queue through FakeDriver.
#pragma once

#include <linux/virtio_blk.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio::testing {

// One buffer of a request, somewhere in guest memory.
struct Buffer {
    GuestAddress address;
    uint32_t length = 0;
    bool writable = false;
};

class BlkDriver {
public:
    // Buffers go from 1 MiB up to the end of FakeDriver's 2 MiB of RAM, clear
    // of FakeDriver's own areas.
    static constexpr GuestAddress kBuffers{0x100000};
    static constexpr uint8_t kUntouched = 0xee;  // fills writable room before the device runs

    explicit BlkDriver(uint16_t queue_size = 16) : fake_(queue_size) {}

    FakeDriver& fake() { return fake_; }
    const GuestMemory& memory() const { return fake_.memory(); }

    // --- Buffers -----------------------------------------------------------

    // Device-readable bytes. `misalign` shifts the start off a 512-byte boundary.
    Buffer bytes(const std::vector<uint8_t>& contents, uint32_t misalign = 0) {
        Buffer buffer{allocate(static_cast<uint32_t>(contents.size()), misalign),
                      static_cast<uint32_t>(contents.size()), false};
        if (!contents.empty()) {
            EXPECT_TRUE(fake_.memory().write(buffer.address, contents));
        }
        return buffer;
    }
    // Device-writable room, filled with kUntouched.
    Buffer room(uint32_t length, uint32_t misalign = 0) {
        Buffer buffer{allocate(length, misalign), length, true};
        EXPECT_TRUE(fake_.memory().write(buffer.address, std::vector<uint8_t>(length, kUntouched)));
        return buffer;
    }
    Buffer header(uint32_t type, uint64_t sector) {
        virtio_blk_outhdr header{};
        header.type = type;
        header.sector = sector;
        return bytes(as_bytes(header));
    }
    Buffer segments(const std::vector<virtio_blk_discard_write_zeroes>& list) {
        std::vector<uint8_t> contents(list.size() * sizeof(virtio_blk_discard_write_zeroes));
        if (!list.empty()) {
            std::memcpy(contents.data(), list.data(), contents.size());
        }
        return bytes(contents);
    }
    Buffer status() { return room(1); }

    // Splits `whole` into consecutive buffers of the given sizes (which must
    // add up to its length), each in its own descriptor.
    static std::vector<Buffer> split(const Buffer& whole, const std::vector<uint32_t>& sizes) {
        std::vector<Buffer> parts;
        uint64_t offset = 0;
        for (uint32_t size : sizes) {
            parts.push_back(Buffer{whole.address + offset, size, whole.writable});
            offset += size;
        }
        EXPECT_EQ(offset, whole.length);
        return parts;
    }

    // --- Chains --------------------------------------------------------------

    // Writes one descriptor per buffer, linked in order; returns the head.
    uint16_t chain(const std::vector<Buffer>& buffers) {
        const uint16_t head = next_descriptor_;
        for (size_t i = 0; i < buffers.size(); ++i) {
            const uint16_t index = next_descriptor_;
            next_descriptor_ = static_cast<uint16_t>((next_descriptor_ + 1) % fake_.size());
            const bool last = i + 1 == buffers.size();
            const auto flags = static_cast<uint16_t>(
                (buffers[i].writable ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT));
            fake_.write_descriptor(index, buffers[i].address.value(), buffers[i].length, flags,
                                   last ? 0 : next_descriptor_);
        }
        return head;
    }
    uint16_t offer(const std::vector<Buffer>& buffers) {
        const uint16_t head = chain(buffers);
        fake_.offer_head(head);
        return head;
    }

    // The common shapes: header, data, status, each in its own buffer.
    struct Request {
        uint16_t head;
        Buffer data;
        Buffer status;
    };
    Request offer_read(uint64_t sector, uint32_t length) {
        const Buffer header_buffer = header(VIRTIO_BLK_T_IN, sector);
        const Buffer data = room(length);
        const Buffer status_buffer = status();
        return {offer({header_buffer, data, status_buffer}), data, status_buffer};
    }
    Request offer_write(uint64_t sector, const std::vector<uint8_t>& contents) {
        const Buffer header_buffer = header(VIRTIO_BLK_T_OUT, sector);
        const Buffer data = bytes(contents);
        const Buffer status_buffer = status();
        return {offer({header_buffer, data, status_buffer}), data, status_buffer};
    }
    Request offer_simple(uint32_t type, uint64_t sector = 0) {
        const Buffer header_buffer = header(type, sector);
        const Buffer status_buffer = status();
        return {offer({header_buffer, status_buffer}), Buffer{}, status_buffer};
    }

    // --- Reading what the device did ----------------------------------------

    std::vector<uint8_t> read(const Buffer& buffer) const {
        return fake_.read_bytes(buffer.address, buffer.length);
    }
    uint8_t last_byte(const Buffer& buffer) const {
        return fake_.read_bytes(buffer.address + (buffer.length - 1), 1)[0];
    }

    template <typename T>
    static std::vector<uint8_t> as_bytes(const T& value) {
        std::vector<uint8_t> out(sizeof(T));
        std::memcpy(out.data(), &value, sizeof(T));
        return out;
    }

private:
    GuestAddress allocate(uint32_t length, uint32_t misalign) {
        const GuestAddress address = next_buffer_ + misalign;
        // Each buffer starts on a fresh 512-byte boundary (plus its misalignment).
        next_buffer_ = next_buffer_ + ((misalign + length + 511) & ~uint64_t{511});
        EXPECT_LE(next_buffer_.value(), FakeDriver::kRamSize) << "test buffers overflow guest RAM";
        return address;
    }

    FakeDriver fake_;
    GuestAddress next_buffer_ = kBuffers;
    uint16_t next_descriptor_ = 0;
};

inline virtio_blk_discard_write_zeroes segment(uint64_t sector, uint32_t num_sectors,
                                               uint32_t flags = 0) {
    virtio_blk_discard_write_zeroes value{};
    value.sector = sector;
    value.num_sectors = num_sectors;
    value.flags = flags;
    return value;
}

}  // namespace berth::virtio::testing
