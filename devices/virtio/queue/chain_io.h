// A descriptor chain's buffers as two byte streams: what the device reads
// (the device-readable buffers, in order) and what it writes (the
// device-writable ones). The spec leaves the split into descriptors to the
// driver, and a device "MUST NOT make assumptions about the particular
// arrangement of descriptors" (virtio 1.2 §2.7.4.1): a 16-byte request header
// may arrive in one buffer or in three. Reading and writing through these
// classes makes a device correct for every arrangement.
//
// Both classes only touch buffers that walk_chain() validated, through
// GuestMemory. They refer to the chain and the memory they were built from,
// which must outlive them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "devices/virtio/queue/descriptor_chain.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

// A position in a sequence of validated buffers; the common part of
// ChainReader and ChainWriter.
class BufferCursor {
public:
    BufferCursor(const GuestMemory& memory, std::span<const Descriptor> buffers, uint32_t length);

    uint32_t remaining() const { return length_ - consumed_; }
    uint32_t consumed() const { return consumed_; }

    // Host views of the next `count` bytes, one per buffer they touch, and
    // moves past them. Nothing happens, and nullopt comes back, when fewer than
    // `count` bytes remain.
    std::optional<std::vector<std::span<uint8_t>>> take(size_t count);

private:
    const GuestMemory& memory_;
    std::span<const Descriptor> buffers_;
    uint32_t length_;
    uint32_t consumed_ = 0;
    size_t buffer_index_ = 0;     // buffer holding the next byte
    uint32_t buffer_offset_ = 0;  // offset of the next byte in that buffer
};

// Reads the chain's device-readable buffers as one stream.
class ChainReader {
public:
    ChainReader(const GuestMemory& memory, const DescriptorChain& chain);

    uint32_t remaining() const { return cursor_.remaining(); }
    uint32_t bytes_read() const { return cursor_.consumed(); }

    // Copies the next out.size() bytes into `out`. When fewer remain, reads
    // nothing and returns false.
    bool read(std::span<uint8_t> out);

    // Copies a plain struct (a request header, say) out of the stream.
    template <typename T>
    std::optional<T> read_obj() {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        // reinterpret_cast: a trivially copyable object's bytes may be
        // written as an array of bytes.
        if (!read(std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T)))) {
            return std::nullopt;
        }
        return value;
    }

    bool skip(size_t count) { return cursor_.take(count).has_value(); }

    // The next `count` bytes as host views, consumed, for handing straight to
    // write(2) or pwritev(2) without a copy. nullopt when fewer remain.
    std::optional<std::vector<std::span<const uint8_t>>> take_slices(size_t count);

private:
    BufferCursor cursor_;
};

// Writes the chain's device-writable buffers as one stream, counting the
// bytes written: bytes_written() is the `len` a device reports in the used
// ring (§2.7.8: the number of bytes written into the buffer).
class ChainWriter {
public:
    ChainWriter(const GuestMemory& memory, const DescriptorChain& chain);

    uint32_t remaining() const { return cursor_.remaining(); }
    uint32_t bytes_written() const { return cursor_.consumed(); }

    // Copies `data` into the next data.size() bytes. When fewer remain, writes
    // nothing and returns false.
    bool write(std::span<const uint8_t> data);

    template <typename T>
    bool write_obj(const T& value) {
        static_assert(std::is_trivially_copyable_v<T>);
        // reinterpret_cast: a trivially copyable object may be read as bytes.
        return write(std::span(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
    }

    // The next `count` bytes as host views, for read(2) or preadv(2) to fill
    // without a copy. They count as written from now on. nullopt when fewer
    // remain.
    std::optional<std::vector<std::span<uint8_t>>> take_slices(size_t count) {
        return cursor_.take(count);
    }

private:
    BufferCursor cursor_;
};

}  // namespace berth::virtio
