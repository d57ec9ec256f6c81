// libFuzzer target: virtio-blk requests (virtio 1.2 §5.2.6) from arbitrary
// guest memory, taken off a split virtqueue, parsed by parse_block_request()
// and served by execute_block_request() against a small disk held in a
// memfd, exactly as VirtioBlk's worker does (minus the thread).
//
// It checks, besides what ASan and UBSan catch:
// - a refused request carries IOERR or UNSUPP, and a status byte exactly
//   when the chain has a writable byte; an accepted one lies inside the disk,
//   with whole sectors of data for IN and OUT, within the advertised segment
//   limits, and nothing that writes on a read-only disk;
// - every accepted request succeeds on this disk (a memfd cannot fail);
// - the disk against a shadow copy: bytes read into the guest equal the
//   shadow, and after every request the whole file equals it (OUT and
//   WRITE_ZEROES update the shadow; DISCARDed bytes are left unchecked until
//   written again, since a discard MAY leave any contents);
// - a read-only disk is never changed.
//
// Input: a 4-byte header, then the bytes of guest memory.
//   [0]  log2 of the queue size (modulo 5: 1 to 16)
//   [1]  bit 0: VIRTIO_F_INDIRECT_DESC, bit 1: read-only disk, bit 2:
//        VIRTIO_BLK_F_DISCARD negotiated, bit 3: VIRTIO_BLK_F_WRITE_ZEROES
//        negotiated, bit 4: VIRTIO_F_EVENT_IDX, bit 5: O_DIRECT mode (guest
//        buffers that are not 512-aligned go through the bounce buffer)
//   [2]  disk capacity in sectors, minus 1 (modulo 64: 1 to 64 sectors)
//   [3]  unused
//   [4..] guest memory from address 0. RAM is [0, 0x4000) and
//        [0x5000, 0x6000). The queue's descriptor table is at 0x0, its
//        available ring at 0x100 and its used ring at 0x200.
//
// tests/fuzz/make_seeds.py writes seeds in this format.
//
// clang-format off
// fuzz-sources: devices/virtio/blk/block_*.cpp devices/virtio/blk/disk_image.cpp devices/virtio/queue/*.cpp vmm/memory/guest_memory.cpp vmm/common/error.cpp
// clang-format on

#include <linux/virtio_blk.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <variant>
#include <vector>

#include "devices/virtio/blk/block_executor.h"
#include "devices/virtio/blk/block_request.h"
#include "devices/virtio/blk/disk_image.h"
#include "devices/virtio/queue/chain_io.h"
#include "devices/virtio/queue/ring_layout.h"
#include "devices/virtio/queue/split_queue.h"
#include "tests/fuzz/check.h"
#include "vmm/common/unique_fd.h"
#include "vmm/memory/guest_memory.h"

using berth::GuestAddress;
using berth::GuestMemory;
using berth::UniqueFd;
using namespace berth::virtio;

namespace {

constexpr uint64_t kLowRamSize = 0x4000;
constexpr GuestAddress kHighRamStart{0x5000};
constexpr uint64_t kHighRamSize = 0x1000;
constexpr size_t kHeaderSize = 4;
constexpr GuestAddress kDescTable{0x0};
constexpr GuestAddress kAvailRing{0x100};
constexpr GuestAddress kUsedRing{0x200};
constexpr uint64_t kMaxSectors = 64;
constexpr size_t kSector = 512;
constexpr char kDeviceId[] = "fuzz-serial-0123456";  // 19 bytes and a NUL

// Small limits, so that inputs reach them.
constexpr BlockLimits kLimits{
    .capacity_sectors = 0,
    .read_only = false,
    .discard = false,
    .write_zeroes = false,
    .max_discard_sectors = 8,
    .max_discard_seg = 4,
    .max_write_zeroes_sectors = 16,
    .max_write_zeroes_seg = 3,
};

const GuestMemory& guest_memory() {
    static const GuestMemory memory =
        GuestMemory::create({{GuestAddress(0), kLowRamSize}, {kHighRamStart, kHighRamSize}});
    return memory;
}

// One in-memory file for the whole run, resized and refilled per input.
int disk_fd() {
    static const int fd = [] {
        const int created = memfd_create("fuzz-disk", MFD_CLOEXEC);
        CHECK(created >= 0);
        return created;
    }();
    return fd;
}

void load_guest_memory(const GuestMemory& memory, const uint8_t* data, size_t size) {
    for (const berth::MemoryRegion& region : memory.regions()) {
        std::memset(region.host, 0, region.size);
    }
    const size_t low = std::min<size_t>(size, kLowRamSize);
    std::memcpy(memory.regions()[0].host, data, low);
    const size_t high = std::min<size_t>(size - low, kHighRamSize);
    std::memcpy(memory.regions()[1].host, data + low, high);
}

// What the disk should hold: bytes, and whether each is known (a discard
// makes its range unknown).
struct Shadow {
    std::vector<uint8_t> bytes;
    std::vector<uint8_t> known;  // 1: bytes[i] is what the disk holds
};

std::vector<uint8_t> read_disk(size_t size) {
    std::vector<uint8_t> bytes(size);
    CHECK(pread(disk_fd(), bytes.data(), size, 0) == static_cast<ssize_t>(size));
    return bytes;
}

// Whether `actual` equals the shadow from `offset` on, where it is known.
// memcmp first: per-byte loops are slow under the fuzzer's instrumentation.
bool matches(const Shadow& shadow, size_t offset, std::span<const uint8_t> actual) {
    if (std::memcmp(actual.data(), shadow.bytes.data() + offset, actual.size()) == 0) {
        return true;
    }
    for (size_t i = 0; i < actual.size(); ++i) {
        if (shadow.known[offset + i] && actual[i] != shadow.bytes[offset + i]) {
            return false;
        }
    }
    return true;
}

void check_disk(const Shadow& shadow) {
    const std::vector<uint8_t> now = read_disk(shadow.bytes.size());
    CHECK(matches(shadow, 0, now));
}

// Whether any two of the host ranges overlap: the guest may alias its
// buffers, and then what a later one received overwrites an earlier one.
bool overlapping(std::vector<std::span<uint8_t>> ranges) {
    std::sort(ranges.begin(), ranges.end(),
              [](std::span<uint8_t> a, std::span<uint8_t> b) { return a.data() < b.data(); });
    for (size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i - 1].data() + ranges[i - 1].size() > ranges[i].data()) {
            return true;
        }
    }
    return false;
}

void check_refusal(const DescriptorChain& chain, const FailedBlockRequest& failed) {
    CHECK(failed.status == VIRTIO_BLK_S_IOERR || failed.status == VIRTIO_BLK_S_UNSUPP);
    CHECK(failed.status_byte.has_value() == (chain.writable_length() > 0));
    CHECK(!describe(failed.error).empty());
}

void check_accepted(const DescriptorChain& chain, const BlockRequest& request,
                    const BlockLimits& limits) {
    CHECK(chain.writable_length() >= 1);
    const uint64_t capacity = limits.capacity_sectors;
    switch (request.type) {
        case VIRTIO_BLK_T_IN:
        case VIRTIO_BLK_T_OUT: {
            CHECK(request.data_length % kSector == 0);
            CHECK(request.sector <= capacity);
            CHECK(request.data_length / kSector <= capacity - request.sector);
            size_t total = 0;
            if (request.type == VIRTIO_BLK_T_IN) {
                for (auto slice : request.in_data) {
                    total += slice.size();
                }
                CHECK(request.out_data.empty());
                CHECK(request.data_length == chain.writable_length() - 1);
            } else {
                CHECK(!limits.read_only);
                for (auto slice : request.out_data) {
                    total += slice.size();
                }
                CHECK(request.in_data.empty());
            }
            CHECK(total == request.data_length);
            break;
        }
        case VIRTIO_BLK_T_FLUSH:
        case VIRTIO_BLK_T_GET_ID:
            break;
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES: {
            const bool discard = request.type == VIRTIO_BLK_T_DISCARD;
            CHECK(!limits.read_only);
            CHECK(discard ? limits.discard : limits.write_zeroes);
            CHECK(!request.ranges.empty());
            CHECK(request.ranges.size() <=
                  (discard ? limits.max_discard_seg : limits.max_write_zeroes_seg));
            for (const SectorRange& range : request.ranges) {
                CHECK(range.sector <= capacity && range.num_sectors <= capacity - range.sector);
                CHECK(range.num_sectors <=
                      (discard ? limits.max_discard_sectors : limits.max_write_zeroes_sectors));
                CHECK(!(discard && range.unmap));
            }
            break;
        }
        default:
            CHECK(false);  // the parser refuses every other type
    }
}

// Serves one accepted request and checks it against the shadow; returns the
// bytes written into the chain, status included.
uint32_t serve(DiskImage& disk, const BlockRequest& request, Shadow& shadow) {
    // OUT: the bytes as they are now are what reaches the disk.
    std::vector<uint8_t> out_bytes;
    for (std::span<const uint8_t> slice : request.out_data) {
        out_bytes.insert(out_bytes.end(), slice.begin(), slice.end());
    }
    const BlockOutcome outcome = execute_block_request(disk, kDeviceId, request);
    CHECK(outcome.status == VIRTIO_BLK_S_OK);
    CHECK(outcome.host_error == 0);
    const size_t offset = request.sector * kSector;  // checked by check_accepted
    std::vector<std::span<uint8_t>> destinations = request.in_data;
    destinations.push_back(request.status);
    const bool aliased = overlapping(destinations);
    switch (request.type) {
        case VIRTIO_BLK_T_IN: {
            CHECK(outcome.data_written == request.data_length);
            if (aliased) {
                break;
            }
            size_t at = offset;
            for (std::span<uint8_t> slice : request.in_data) {
                CHECK(matches(shadow, at, slice));
                at += slice.size();
            }
            break;
        }
        case VIRTIO_BLK_T_OUT:
            CHECK(outcome.data_written == 0);
            std::copy(out_bytes.begin(), out_bytes.end(), shadow.bytes.begin() + offset);
            std::fill(shadow.known.begin() + offset,
                      shadow.known.begin() + offset + out_bytes.size(), 1);
            break;
        case VIRTIO_BLK_T_GET_ID: {
            const size_t expected = std::min<size_t>(request.data_length, VIRTIO_BLK_ID_BYTES);
            CHECK(outcome.data_written == expected);
            if (aliased) {
                break;
            }
            size_t at = 0;
            for (std::span<uint8_t> slice : request.in_data) {
                for (size_t i = 0; i < slice.size() && at < expected; ++i, ++at) {
                    CHECK(slice[i] == static_cast<uint8_t>(kDeviceId[at]));
                }
            }
            break;
        }
        case VIRTIO_BLK_T_DISCARD:
        case VIRTIO_BLK_T_WRITE_ZEROES:
            for (const SectorRange& range : request.ranges) {
                const size_t begin = range.sector * kSector;
                const size_t end = begin + size_t{range.num_sectors} * kSector;
                const bool zeroes = request.type == VIRTIO_BLK_T_WRITE_ZEROES;
                std::fill(shadow.bytes.begin() + begin, shadow.bytes.begin() + end, 0);
                std::fill(shadow.known.begin() + begin, shadow.known.begin() + end, zeroes ? 1 : 0);
            }
            break;
        default:
            CHECK(outcome.data_written == 0);
            break;
    }
    request.status[0] = outcome.status;
    return outcome.data_written + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderSize) {
        return 0;
    }
    const GuestMemory& memory = guest_memory();
    const auto queue_size = static_cast<uint16_t>(1u << (data[0] % 5));
    const uint8_t flags = data[1];
    const uint64_t capacity = data[2] % kMaxSectors + 1;
    const bool read_only = (flags & 2) != 0;
    load_guest_memory(memory, data + kHeaderSize, size - kHeaderSize);

    // The disk: a known pattern, and its shadow.
    const size_t disk_size = capacity * kSector;
    static const std::vector<uint8_t> pattern = [] {
        std::vector<uint8_t> bytes(kMaxSectors * kSector);
        for (size_t i = 0; i < bytes.size(); ++i) {
            bytes[i] = static_cast<uint8_t>(i * 7 + i / kSector);
        }
        return bytes;
    }();
    Shadow shadow{std::vector<uint8_t>(pattern.begin(), pattern.begin() + disk_size),
                  std::vector<uint8_t>(disk_size, 1)};
    CHECK(ftruncate(disk_fd(), 0) == 0);
    CHECK(pwrite(disk_fd(), shadow.bytes.data(), disk_size, 0) == static_cast<ssize_t>(disk_size));
    const std::vector<uint8_t> original = shadow.bytes;
    DiskImage disk(UniqueFd(dup(disk_fd())), "fuzz-disk", disk_size, read_only, (flags & 32) != 0);
    CHECK(disk.fd() >= 0);

    BlockLimits limits = kLimits;
    limits.capacity_sectors = capacity;
    limits.read_only = read_only;
    limits.discard = !read_only && (flags & 4) != 0;
    limits.write_zeroes = !read_only && (flags & 8) != 0;

    SplitQueue queue(16);
    queue.set_size(queue_size);
    queue.set_desc_table(kDescTable);
    queue.set_avail_ring(kAvailRing);
    queue.set_used_ring(kUsedRing);
    uint64_t features = 0;
    if (flags & 1) {
        features |= uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC;
    }
    if (flags & 16) {
        features |= uint64_t{1} << VIRTIO_RING_F_EVENT_IDX;
    }
    queue.set_negotiated_features(features);
    CHECK(queue.is_valid_config(memory));
    queue.set_ready(true);

    // As the worker does: pop, serve, return. The request may rewrite the
    // ring (an IN request landing on it), so allow a few rounds, no more.
    for (int pops = 0; pops < 4 * queue_size + 4; ++pops) {
        PopResult next = queue.pop(memory);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            ParsedBlockRequest parsed = parse_block_request(memory, *chain, limits);
            uint32_t written = 0;
            if (auto* failed = std::get_if<FailedBlockRequest>(&parsed)) {
                check_refusal(*chain, *failed);
                if (failed->status_byte) {
                    (*failed->status_byte)[0] = failed->status;
                    written = 1;
                }
            } else {
                const BlockRequest& request = std::get<BlockRequest>(parsed);
                check_accepted(*chain, request, limits);
                written = serve(disk, request, shadow);
                CHECK(written <= chain->writable_length());
                if (request.type != VIRTIO_BLK_T_IN && request.type != VIRTIO_BLK_T_GET_ID) {
                    check_disk(shadow);
                }
            }
            queue.add_used(memory, chain->head_index(), written);
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            queue.add_used(memory, bad->head_index, 0);
        } else {
            break;  // empty, or broken
        }
    }
    (void)queue.should_notify(memory);
    check_disk(shadow);
    if (read_only) {
        CHECK(read_disk(disk_size) == original);
    }
    return 0;
}
