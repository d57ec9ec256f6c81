#include "devices/virtio/blk/block_request.h"

#include <linux/virtio_blk.h>

#include <bit>

#include "devices/virtio/queue/chain_io.h"

namespace berth::virtio {

// The request's fields are little-endian (virtio 1.2 §5.2.6, VIRTIO_F_VERSION_1
// being required by the transport); Berth runs on x86-64 hosts, so they are
// read as they are.
static_assert(std::endian::native == std::endian::little);
static_assert(sizeof(virtio_blk_outhdr) == 16);
static_assert(sizeof(virtio_blk_discard_write_zeroes) == 16);

std::string_view describe(BlockRequestError error) {
    switch (error) {
        case BlockRequestError::kNoStatusByte:
            return "request without a device-writable status byte";
        case BlockRequestError::kHeaderTooShort:
            return "request header shorter than 16 bytes";
        case BlockRequestError::kDataNotSectorMultiple:
            return "data length not a multiple of 512 bytes";
        case BlockRequestError::kOutOfRange:
            return "sector range beyond the disk's capacity";
        case BlockRequestError::kWriteToReadOnly:
            return "write to a read-only disk";
        case BlockRequestError::kUnsupportedType:
            return "unsupported request type";
        case BlockRequestError::kNotNegotiated:
            return "discard or write-zeroes request without its feature";
        case BlockRequestError::kBadSegmentList:
            return "discard/write-zeroes segments not a non-zero multiple of 16 bytes";
        case BlockRequestError::kTooManySegments:
            return "more discard/write-zeroes segments than advertised";
        case BlockRequestError::kSegmentTooLarge:
            return "discard/write-zeroes segment larger than advertised";
        case BlockRequestError::kUnsupportedFlags:
            return "unsupported discard/write-zeroes flags";
    }
    return "unknown error";
}

namespace {

constexpr uint32_t kSectorSize = 512;

// Whether [sector, sector + count) lies inside a disk of `capacity` sectors.
// All three come from the guest or the file: the sum may wrap.
bool in_range(uint64_t sector, uint64_t count, uint64_t capacity) {
    uint64_t end = 0;
    return !__builtin_add_overflow(sector, count, &end) && end <= capacity;
}

FailedBlockRequest fail(BlockRequestError error, uint8_t status, std::span<uint8_t, 1> where) {
    return FailedBlockRequest{error, status, where};
}

// DISCARD and WRITE_ZEROES: the segments after the header.
std::optional<FailedBlockRequest> parse_ranges(ChainReader& reader, const BlockLimits& limits,
                                               bool discard, BlockRequest& request) {
    const bool negotiated = discard ? limits.discard : limits.write_zeroes;
    const uint32_t max_segments = discard ? limits.max_discard_seg : limits.max_write_zeroes_seg;
    const uint32_t max_sectors =
        discard ? limits.max_discard_sectors : limits.max_write_zeroes_sectors;
    if (!negotiated) {
        return fail(BlockRequestError::kNotNegotiated, VIRTIO_BLK_S_UNSUPP, request.status);
    }
    const uint32_t bytes = reader.remaining();
    if (bytes == 0 || bytes % sizeof(virtio_blk_discard_write_zeroes) != 0) {
        return fail(BlockRequestError::kBadSegmentList, VIRTIO_BLK_S_IOERR, request.status);
    }
    // Counted before anything is read, so a long list costs nothing.
    const uint32_t count = bytes / sizeof(virtio_blk_discard_write_zeroes);
    if (count > max_segments) {
        return fail(BlockRequestError::kTooManySegments, VIRTIO_BLK_S_IOERR, request.status);
    }
    request.ranges.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
        // Copied once, then checked (the guest may rewrite its copy).
        const auto segment = reader.read_obj<virtio_blk_discard_write_zeroes>();
        if (!segment) {
            return fail(BlockRequestError::kBadSegmentList, VIRTIO_BLK_S_IOERR, request.status);
        }
        const uint32_t known_flags = discard ? 0u : uint32_t{VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP};
        if ((segment->flags & ~known_flags) != 0) {
            return fail(BlockRequestError::kUnsupportedFlags, VIRTIO_BLK_S_UNSUPP, request.status);
        }
        if (segment->num_sectors > max_sectors) {
            return fail(BlockRequestError::kSegmentTooLarge, VIRTIO_BLK_S_IOERR, request.status);
        }
        if (!in_range(segment->sector, segment->num_sectors, limits.capacity_sectors)) {
            return fail(BlockRequestError::kOutOfRange, VIRTIO_BLK_S_IOERR, request.status);
        }
        request.ranges.push_back(SectorRange{
            .sector = segment->sector,
            .num_sectors = segment->num_sectors,
            .unmap = (segment->flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) != 0,
        });
    }
    return std::nullopt;
}

}  // namespace

ParsedBlockRequest parse_block_request(const GuestMemory& memory, const DescriptorChain& chain,
                                       const BlockLimits& limits) {
    // The status byte first: without it no error can be reported.
    ChainWriter writer(memory, chain);
    if (writer.remaining() == 0) {
        return FailedBlockRequest{BlockRequestError::kNoStatusByte, VIRTIO_BLK_S_IOERR,
                                  std::nullopt};
    }
    const uint32_t writable_data = writer.remaining() - 1;
    auto in_data = writer.take_slices(writable_data);
    auto status = writer.take_slices(1);
    if (!in_data || !status || status->size() != 1 || status->front().size() != 1) {
        // Only when the chain's buffers are not in `memory`: walk_chain
        // checked them against the memory the queue uses.
        return FailedBlockRequest{BlockRequestError::kNoStatusByte, VIRTIO_BLK_S_IOERR,
                                  std::nullopt};
    }
    BlockRequest request{.status = std::span<uint8_t, 1>(status->front().data(), 1)};

    ChainReader reader(memory, chain);
    const auto header = reader.read_obj<virtio_blk_outhdr>();
    if (!header) {
        return fail(BlockRequestError::kHeaderTooShort, VIRTIO_BLK_S_IOERR, request.status);
    }
    request.type = header->type;
    request.sector = header->sector;

    switch (request.type) {
        case VIRTIO_BLK_T_IN:
        case VIRTIO_BLK_T_OUT: {
            const bool out = request.type == VIRTIO_BLK_T_OUT;
            if (out && limits.read_only) {
                return fail(BlockRequestError::kWriteToReadOnly, VIRTIO_BLK_S_IOERR,
                            request.status);
            }
            request.data_length = out ? reader.remaining() : writable_data;
            if (request.data_length % kSectorSize != 0) {
                return fail(BlockRequestError::kDataNotSectorMultiple, VIRTIO_BLK_S_IOERR,
                            request.status);
            }
            if (!in_range(request.sector, request.data_length / kSectorSize,
                          limits.capacity_sectors)) {
                return fail(BlockRequestError::kOutOfRange, VIRTIO_BLK_S_IOERR, request.status);
            }
            if (out) {
                auto slices = reader.take_slices(request.data_length);
                if (!slices) {
                    return fail(BlockRequestError::kHeaderTooShort, VIRTIO_BLK_S_IOERR,
                                request.status);  // cannot happen: remaining() bytes exist
                }
                request.out_data = std::move(*slices);
            } else {
                request.in_data = std::move(*in_data);
            }
            return request;
        }
        case VIRTIO_BLK_T_FLUSH:
            return request;
        case VIRTIO_BLK_T_GET_ID:
            request.data_length = writable_data;
            request.in_data = std::move(*in_data);
            return request;
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES: {
            if (limits.read_only) {
                return fail(BlockRequestError::kWriteToReadOnly, VIRTIO_BLK_S_IOERR,
                            request.status);
            }
            if (auto failed =
                    parse_ranges(reader, limits, request.type == VIRTIO_BLK_T_DISCARD, request)) {
                return *failed;
            }
            return request;
        }
        default:
            return fail(BlockRequestError::kUnsupportedType, VIRTIO_BLK_S_UNSUPP, request.status);
    }
}

}  // namespace berth::virtio
