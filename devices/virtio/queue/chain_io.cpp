#include "devices/virtio/queue/chain_io.h"

#include <algorithm>
#include <cstring>

namespace berth::virtio {

BufferCursor::BufferCursor(const GuestMemory& memory, std::span<const Descriptor> buffers,
                           uint32_t length)
    : memory_(memory), buffers_(buffers), length_(length) {}

std::optional<std::vector<std::span<uint8_t>>> BufferCursor::take(size_t count) {
    if (count > remaining()) {
        return std::nullopt;
    }
    // Work on copies of the position, kept only once every piece was found.
    size_t index = buffer_index_;
    uint32_t offset = buffer_offset_;
    std::vector<std::span<uint8_t>> pieces;
    for (size_t left = count; left > 0;) {
        const Descriptor& buffer = buffers_[index];
        if (offset == buffer.length) {  // this buffer is used up (or was empty)
            ++index;
            offset = 0;
            continue;
        }
        const auto piece = static_cast<uint32_t>(std::min<size_t>(buffer.length - offset, left));
        // Cannot wrap, and lies in RAM: walk_chain() checked that for the
        // whole of [address, address + length).
        auto host = memory_.slice(buffer.address + offset, piece);
        if (!host) {
            return std::nullopt;  // only with a chain from another GuestMemory
        }
        pieces.push_back(*host);
        offset += piece;
        left -= piece;
    }
    buffer_index_ = index;
    buffer_offset_ = offset;
    consumed_ += static_cast<uint32_t>(count);  // count <= remaining(), a uint32_t
    return pieces;
}

ChainReader::ChainReader(const GuestMemory& memory, const DescriptorChain& chain)
    : cursor_(memory, chain.readable(), chain.readable_length()) {}

bool ChainReader::read(std::span<uint8_t> out) {
    auto pieces = cursor_.take(out.size());
    if (!pieces) {
        return false;
    }
    for (std::span<uint8_t> piece : *pieces) {
        std::memcpy(out.data(), piece.data(), piece.size());
        out = out.subspan(piece.size());
    }
    return true;
}

std::optional<std::vector<std::span<const uint8_t>>> ChainReader::take_slices(size_t count) {
    auto pieces = cursor_.take(count);
    if (!pieces) {
        return std::nullopt;
    }
    return std::vector<std::span<const uint8_t>>(pieces->begin(), pieces->end());
}

ChainWriter::ChainWriter(const GuestMemory& memory, const DescriptorChain& chain)
    : cursor_(memory, chain.writable(), chain.writable_length()) {}

bool ChainWriter::write(std::span<const uint8_t> data) {
    auto pieces = cursor_.take(data.size());
    if (!pieces) {
        return false;
    }
    for (std::span<uint8_t> piece : *pieces) {
        std::memcpy(piece.data(), data.data(), piece.size());
        data = data.subspan(piece.size());
    }
    return true;
}

}  // namespace berth::virtio
