// A virtio-blk request (virtio 1.2 §5.2.6 "Device Operation"), parsed from a
// descriptor chain and checked, without doing any I/O: this is where every
// rule about what a guest may ask of the disk is enforced, and what the fuzz
// target tests/fuzz/fuzz_block_request.cpp exercises.
//
// A request is struct virtio_blk_req laid over the chain's two byte streams
// (chain_io.h), however the driver split it into descriptors (§2.7.4.1):
//
//   readable:  struct virtio_blk_outhdr (16 bytes)    type, reserved, sector
//              [OUT: data]  [DISCARD/WRITE_ZEROES: struct virtio_blk_discard_write_zeroes...]
//   writable:  [IN, GET_ID: data]  status (1 byte: the last writable byte)
//
// The parsed request holds host views of the guest's data buffers (from
// ChainReader/ChainWriter::take_slices) so that the I/O goes straight between
// the image file and guest RAM.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "devices/virtio/queue/descriptor_chain.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

// What the device offers and the driver accepted: the limits every request
// is checked against (struct virtio_blk_config, §5.2.4).
struct BlockLimits {
    uint64_t capacity_sectors = 0;
    bool read_only = false;     // VIRTIO_BLK_F_RO offered
    bool discard = false;       // VIRTIO_BLK_F_DISCARD negotiated
    bool write_zeroes = false;  // VIRTIO_BLK_F_WRITE_ZEROES negotiated
    uint32_t max_discard_sectors = 0;
    uint32_t max_discard_seg = 0;
    uint32_t max_write_zeroes_sectors = 0;
    uint32_t max_write_zeroes_seg = 0;
};

// One segment of a DISCARD or WRITE_ZEROES request (struct
// virtio_blk_discard_write_zeroes, §5.2.6), checked against the capacity.
struct SectorRange {
    uint64_t sector = 0;
    uint32_t num_sectors = 0;
    bool unmap = false;  // VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP (WRITE_ZEROES only)

    bool operator==(const SectorRange&) const = default;
};

// A request that passed every check (§5.2.6).
struct BlockRequest {
    uint32_t type = 0;    // VIRTIO_BLK_T_IN, _OUT, _FLUSH, _GET_ID, _DISCARD, _WRITE_ZEROES
    uint64_t sector = 0;  // IN and OUT: where the data starts; [sector, sector + n) is on the disk
    // IN: where the sectors read go (a multiple of 512 bytes). GET_ID: where
    // the ID string goes (any length; the device writes at most 20 bytes).
    std::vector<std::span<uint8_t>> in_data{};
    // OUT: the sectors to write (a multiple of 512 bytes).
    std::vector<std::span<const uint8_t>> out_data{};
    uint32_t data_length = 0;  // total bytes of in_data or out_data
    // DISCARD and WRITE_ZEROES: one or more segments, each inside the disk.
    std::vector<SectorRange> ranges{};
    // The status byte: the chain's last device-writable byte.
    std::span<uint8_t, 1> status;
};

// Why a request was refused. Each names the rule the driver broke.
enum class BlockRequestError {
    kNoStatusByte,           // no device-writable byte at all: nowhere to report
    kHeaderTooShort,         // fewer than 16 readable bytes for struct virtio_blk_outhdr
    kDataNotSectorMultiple,  // IN/OUT data length not a multiple of 512
    kOutOfRange,             // sector range past the capacity (or wrapping 64 bits)
    kWriteToReadOnly,        // OUT, DISCARD or WRITE_ZEROES on a read-only disk (§5.2.6.2)
    kUnsupportedType,        // a type this device does not implement
    kNotNegotiated,          // DISCARD or WRITE_ZEROES without its feature bit
    kBadSegmentList,         // segment bytes not a non-zero multiple of 16
    kTooManySegments,        // more than max_discard_seg / max_write_zeroes_seg
    kSegmentTooLarge,        // num_sectors above max_discard_sectors / max_write_zeroes_sectors
    kUnsupportedFlags,       // unknown flag bits, or unmap on a discard (§5.2.6.2)
};

std::string_view describe(BlockRequestError error);

// A refused request: the status to report (VIRTIO_BLK_S_IOERR or
// VIRTIO_BLK_S_UNSUPP) and where, unless the chain has no writable byte, in
// which case the chain goes back with nothing written.
struct FailedBlockRequest {
    BlockRequestError error;
    uint8_t status;
    std::optional<std::span<uint8_t, 1>> status_byte;
};

using ParsedBlockRequest = std::variant<BlockRequest, FailedBlockRequest>;

// Parses and checks the request in `chain`. Reads the header and any
// segments from guest memory once (copy, then validate); writes nothing.
//
// Rules, in the order they are checked (virtio 1.2 §5.2.6, §5.2.6.2):
// - the status is the last writable byte; with none, kNoStatusByte;
// - the header is the first 16 readable bytes (IOERR);
// - OUT, DISCARD, WRITE_ZEROES on a read-only disk: IOERR, before anything
//   else about them is looked at ("MUST NOT write any data");
// - IN: data = every writable byte before the status; OUT: every readable
//   byte after the header; a multiple of 512 (IOERR); sector + length / 512
//   at most the capacity, with overflow-checked arithmetic (IOERR);
// - FLUSH: nothing more; GET_ID: data as for IN, any length;
// - DISCARD, WRITE_ZEROES: UNSUPP unless negotiated; the readable bytes
//   after the header are 1 to max_*_seg segments of 16 bytes (IOERR); each
//   segment's flags hold no unknown bit, and no unmap bit for DISCARD
//   (UNSUPP); num_sectors at most max_*_sectors, the range inside the
//   capacity (IOERR);
// - any other type: UNSUPP.
ParsedBlockRequest parse_block_request(const GuestMemory& memory, const DescriptorChain& chain,
                                       const BlockLimits& limits);

}  // namespace berth::virtio
