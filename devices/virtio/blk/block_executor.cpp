#include "devices/virtio/blk/block_executor.h"

#include <linux/virtio_blk.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace berth::virtio {

namespace {

// sector + count <= capacity was checked by the parser, and capacity * 512
// is the image's size: these products cannot overflow.
uint64_t byte_offset(uint64_t sector) {
    return sector * DiskImage::kSectorSize;
}

BlockOutcome from_error(int error, uint32_t data_written) {
    if (error != 0) {
        return BlockOutcome{VIRTIO_BLK_S_IOERR, 0, error};
    }
    return BlockOutcome{VIRTIO_BLK_S_OK, data_written, 0};
}

// §5.2.6: "a NUL-padded ASCII string up to 20 bytes long"; written as far as
// the driver's buffer reaches.
BlockOutcome get_id(std::string_view device_id, const BlockRequest& request) {
    std::array<uint8_t, VIRTIO_BLK_ID_BYTES> id{};
    std::memcpy(id.data(), device_id.data(), std::min(device_id.size(), id.size()));
    size_t written = 0;
    for (std::span<uint8_t> buffer : request.in_data) {
        const size_t piece = std::min(buffer.size(), id.size() - written);
        std::memcpy(buffer.data(), id.data() + written, piece);
        written += piece;
        if (written == id.size()) {
            break;
        }
    }
    return BlockOutcome{VIRTIO_BLK_S_OK, static_cast<uint32_t>(written), 0};
}

// DISCARD and WRITE_ZEROES: every segment, stopping at the first failure
// (§5.2.6: the state of the segments is then indeterminate).
BlockOutcome ranges(DiskImage& disk, const BlockRequest& request) {
    for (const SectorRange& range : request.ranges) {
        const uint64_t offset = byte_offset(range.sector);
        const uint64_t length = uint64_t{range.num_sectors} * DiskImage::kSectorSize;
        const int error = request.type == VIRTIO_BLK_T_DISCARD
                              ? disk.discard(offset, length)
                              : disk.write_zeroes(offset, length, range.unmap);
        if (error != 0) {
            return from_error(error, 0);
        }
    }
    return from_error(0, 0);
}

}  // namespace

BlockOutcome execute_block_request(DiskImage& disk, std::string_view device_id,
                                   const BlockRequest& request) {
    switch (request.type) {
        case VIRTIO_BLK_T_IN:
            return from_error(disk.read(byte_offset(request.sector), request.in_data),
                              request.data_length);
        case VIRTIO_BLK_T_OUT:
            return from_error(disk.write(byte_offset(request.sector), request.out_data), 0);
        case VIRTIO_BLK_T_FLUSH:
            return from_error(disk.flush(), 0);
        case VIRTIO_BLK_T_GET_ID:
            return get_id(device_id, request);
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES:
            return ranges(disk, request);
        default:
            // parse_block_request() returns no other type.
            return BlockOutcome{VIRTIO_BLK_S_UNSUPP, 0, 0};
    }
}

}  // namespace berth::virtio
