// parse_block_request(): every rule of virtio 1.2 §5.2.6 it enforces, on
// chains a test driver lays out in guest memory, with no I/O at all.
#include "devices/virtio/blk/block_request.h"

#include <linux/virtio_blk.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <variant>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "tests/unit/virtio/blk/blk_driver.h"

namespace berth::virtio {
namespace {

using testing::BlkDriver;
using testing::Buffer;
using testing::segment;

constexpr uint64_t kCapacity = 64;  // sectors

class BlockRequestTest : public ::testing::Test {
protected:
    BlockRequestTest() { driver_.fake().configure(queue_); }

    ParsedBlockRequest parse(const std::vector<Buffer>& buffers) {
        driver_.offer(buffers);
        chain_.emplace(testing::expect_chain(queue_.pop(driver_.memory())));
        return parse_block_request(driver_.memory(), *chain_, limits_);
    }
    BlockRequest parse_ok(const std::vector<Buffer>& buffers) {
        ParsedBlockRequest parsed = parse(buffers);
        if (auto* failed = std::get_if<FailedBlockRequest>(&parsed)) {
            ADD_FAILURE() << "refused: " << describe(failed->error);
            return BlockRequest{.status = std::span<uint8_t, 1>(&dummy_status_, 1)};
        }
        return std::get<BlockRequest>(std::move(parsed));
    }
    FailedBlockRequest parse_failed(const std::vector<Buffer>& buffers) {
        ParsedBlockRequest parsed = parse(buffers);
        if (!std::holds_alternative<FailedBlockRequest>(parsed)) {
            ADD_FAILURE() << "accepted";
            return FailedBlockRequest{BlockRequestError::kNoStatusByte, 0xff, std::nullopt};
        }
        return std::get<FailedBlockRequest>(parsed);
    }
    // Checks a refusal: its reason, status, and that the status byte it
    // names is `where`'s last byte.
    void expect_refused(const std::vector<Buffer>& buffers, BlockRequestError error,
                        uint8_t status) {
        const Buffer where = buffers.back();
        const FailedBlockRequest failed = parse_failed(buffers);
        EXPECT_EQ(failed.error, error) << describe(failed.error);
        EXPECT_EQ(failed.status, status);
        ASSERT_TRUE(failed.status_byte);
        (*failed.status_byte)[0] = 0x5a;
        EXPECT_EQ(driver_.last_byte(where), 0x5a);
    }
    static size_t total(const std::vector<std::span<uint8_t>>& slices) {
        return std::accumulate(slices.begin(), slices.end(), size_t{0},
                               [](size_t sum, std::span<uint8_t> s) { return sum + s.size(); });
    }

    BlkDriver driver_;
    SplitQueue queue_{256};
    std::optional<DescriptorChain> chain_;
    BlockLimits limits_{
        .capacity_sectors = kCapacity,
        .read_only = false,
        .discard = true,
        .write_zeroes = true,
        .max_discard_sectors = 16,
        .max_discard_seg = 4,
        .max_write_zeroes_sectors = 32,
        .max_write_zeroes_seg = 2,
    };
    uint8_t dummy_status_ = 0;
};

TEST_F(BlockRequestTest, ARead) {
    const Buffer data = driver_.room(1024);
    const Buffer status = driver_.status();
    const BlockRequest request = parse_ok({driver_.header(VIRTIO_BLK_T_IN, 7), data, status});
    EXPECT_EQ(request.type, uint32_t{VIRTIO_BLK_T_IN});
    EXPECT_EQ(request.sector, 7u);
    EXPECT_EQ(request.data_length, 1024u);
    ASSERT_EQ(request.in_data.size(), 1u);
    EXPECT_EQ(total(request.in_data), 1024u);
    EXPECT_TRUE(request.out_data.empty());
    // The views are the guest's buffers themselves.
    request.in_data[0][0] = 0x42;
    EXPECT_EQ(driver_.read(data)[0], 0x42);
    request.status[0] = 0x17;
    EXPECT_EQ(driver_.last_byte(status), 0x17);
}

TEST_F(BlockRequestTest, AWriteWhoseFieldsAreSplitOverManyDescriptors) {
    std::vector<uint8_t> contents(1536);
    std::iota(contents.begin(), contents.end(), 0);
    virtio_blk_outhdr header{};
    header.type = VIRTIO_BLK_T_OUT;
    header.sector = 61;  // 61 + 3 sectors = the whole disk
    std::vector<uint8_t> header_and_data = BlkDriver::as_bytes(header);
    header_and_data.insert(header_and_data.end(), contents.begin(), contents.end());
    // The header in three pieces, the third shared with the first data bytes.
    const Buffer whole = driver_.bytes(header_and_data);
    std::vector<Buffer> buffers = BlkDriver::split(whole, {5, 7, 10, 1, 513, 500, 516});
    buffers.push_back(driver_.status());

    const BlockRequest request = parse_ok(buffers);
    EXPECT_EQ(request.type, uint32_t{VIRTIO_BLK_T_OUT});
    EXPECT_EQ(request.sector, 61u);
    EXPECT_EQ(request.data_length, 1536u);
    std::vector<uint8_t> gathered;
    for (std::span<const uint8_t> slice : request.out_data) {
        gathered.insert(gathered.end(), slice.begin(), slice.end());
    }
    EXPECT_EQ(gathered, contents);
    EXPECT_EQ(request.out_data.size(), 5u);  // 6 + 1 + 513 + 500 + 516
}

TEST_F(BlockRequestTest, TheStatusIsTheLastWritableByteEvenInsideADataBuffer) {
    // One writable buffer of 513 bytes: 512 of data, then the status.
    const Buffer data_and_status = driver_.room(513);
    const BlockRequest request = parse_ok({driver_.header(VIRTIO_BLK_T_IN, 0), data_and_status});
    EXPECT_EQ(request.data_length, 512u);
    EXPECT_EQ(total(request.in_data), 512u);
    request.status[0] = 0;
    EXPECT_EQ(driver_.last_byte(data_and_status), 0);
    EXPECT_EQ(driver_.read(data_and_status)[511], BlkDriver::kUntouched);
}

TEST_F(BlockRequestTest, NoWritableByteLeavesNowhereToReport) {
    const FailedBlockRequest failed = parse_failed({driver_.header(VIRTIO_BLK_T_IN, 0)});
    EXPECT_EQ(failed.error, BlockRequestError::kNoStatusByte);
    EXPECT_FALSE(failed.status_byte);
}

TEST_F(BlockRequestTest, AShortHeaderIsAnIoError) {
    const Buffer header = driver_.header(VIRTIO_BLK_T_IN, 0);
    expect_refused({Buffer{header.address, 15, false}, driver_.room(512), driver_.status()},
                   BlockRequestError::kHeaderTooShort, VIRTIO_BLK_S_IOERR);
}

TEST_F(BlockRequestTest, DataMustBeWholeSectors) {
    expect_refused({driver_.header(VIRTIO_BLK_T_IN, 0), driver_.room(1000), driver_.status()},
                   BlockRequestError::kDataNotSectorMultiple, VIRTIO_BLK_S_IOERR);
    expect_refused({driver_.header(VIRTIO_BLK_T_OUT, 0), driver_.bytes(std::vector<uint8_t>(100)),
                    driver_.status()},
                   BlockRequestError::kDataNotSectorMultiple, VIRTIO_BLK_S_IOERR);
}

TEST_F(BlockRequestTest, SectorsMustLieInsideTheDisk) {
    // The last sector is fine; one past it is not.
    parse_ok({driver_.header(VIRTIO_BLK_T_IN, kCapacity - 1), driver_.room(512), driver_.status()});
    expect_refused(
        {driver_.header(VIRTIO_BLK_T_IN, kCapacity - 1), driver_.room(1024), driver_.status()},
        BlockRequestError::kOutOfRange, VIRTIO_BLK_S_IOERR);
    expect_refused({driver_.header(VIRTIO_BLK_T_OUT, kCapacity),
                    driver_.bytes(std::vector<uint8_t>(512)), driver_.status()},
                   BlockRequestError::kOutOfRange, VIRTIO_BLK_S_IOERR);
    // sector + count wraps around 2^64: must not look small.
    expect_refused(
        {driver_.header(VIRTIO_BLK_T_IN, UINT64_MAX), driver_.room(1024), driver_.status()},
        BlockRequestError::kOutOfRange, VIRTIO_BLK_S_IOERR);
}

TEST_F(BlockRequestTest, AReadOnlyDiskRefusesEveryKindOfWriteWithAnIoError) {
    limits_.read_only = true;
    // Checked before the length: even a malformed write gets IOERR.
    expect_refused({driver_.header(VIRTIO_BLK_T_OUT, 0), driver_.bytes(std::vector<uint8_t>(7)),
                    driver_.status()},
                   BlockRequestError::kWriteToReadOnly, VIRTIO_BLK_S_IOERR);
    expect_refused({driver_.header(VIRTIO_BLK_T_DISCARD, 0), driver_.segments({segment(0, 1)}),
                    driver_.status()},
                   BlockRequestError::kWriteToReadOnly, VIRTIO_BLK_S_IOERR);
    expect_refused({driver_.header(VIRTIO_BLK_T_WRITE_ZEROES, 0), driver_.segments({segment(0, 1)}),
                    driver_.status()},
                   BlockRequestError::kWriteToReadOnly, VIRTIO_BLK_S_IOERR);
    // Reads and flushes still work.
    parse_ok({driver_.header(VIRTIO_BLK_T_IN, 0), driver_.room(512), driver_.status()});
    parse_ok({driver_.header(VIRTIO_BLK_T_FLUSH, 0), driver_.status()});
}

TEST_F(BlockRequestTest, UnknownTypesAreUnsupported) {
    for (uint32_t type : {2u, 3u, 5u, 10u, uint32_t{VIRTIO_BLK_T_SECURE_ERASE}, 0x80000000u,
                          0x80000001u, 0xffffffffu}) {
        SCOPED_TRACE(type);
        expect_refused({driver_.header(type, 0), driver_.status()},
                       BlockRequestError::kUnsupportedType, VIRTIO_BLK_S_UNSUPP);
    }
}

TEST_F(BlockRequestTest, FlushAndGetId) {
    const BlockRequest flush = parse_ok({driver_.header(VIRTIO_BLK_T_FLUSH, 0), driver_.status()});
    EXPECT_EQ(flush.type, uint32_t{VIRTIO_BLK_T_FLUSH});
    EXPECT_EQ(flush.data_length, 0u);

    // GET_ID takes a buffer of any size; the device writes what fits.
    const BlockRequest id =
        parse_ok({driver_.header(VIRTIO_BLK_T_GET_ID, 0), driver_.room(7), driver_.status()});
    EXPECT_EQ(id.type, uint32_t{VIRTIO_BLK_T_GET_ID});
    EXPECT_EQ(id.data_length, 7u);
    EXPECT_EQ(total(id.in_data), 7u);
}

TEST_F(BlockRequestTest, DiscardAndWriteZeroesSegments) {
    const BlockRequest discard = parse_ok(
        {driver_.header(VIRTIO_BLK_T_DISCARD, 0),
         driver_.segments({segment(0, 16), segment(60, 4), segment(8, 0)}), driver_.status()});
    EXPECT_EQ(discard.ranges,
              (std::vector<SectorRange>{{0, 16, false}, {60, 4, false}, {8, 0, false}}));

    const BlockRequest zeroes = parse_ok(
        {driver_.header(VIRTIO_BLK_T_WRITE_ZEROES, 0),
         driver_.segments({segment(32, 32, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP), segment(1, 2)}),
         driver_.status()});
    EXPECT_EQ(zeroes.ranges, (std::vector<SectorRange>{{32, 32, true}, {1, 2, false}}));
}

TEST_F(BlockRequestTest, SegmentsAreCopiedOutOfGuestMemory) {
    const Buffer list = driver_.segments({segment(3, 5)});
    const BlockRequest request =
        parse_ok({driver_.header(VIRTIO_BLK_T_DISCARD, 0), list, driver_.status()});
    // The guest rewrites the segment after the device parsed it.
    ASSERT_TRUE(driver_.memory().write_obj(list.address, segment(1000, 16)));
    EXPECT_EQ(request.ranges, (std::vector<SectorRange>{{3, 5, false}}));
}

TEST_F(BlockRequestTest, SegmentRules) {
    using E = BlockRequestError;
    const auto refused = [&](uint32_t type, const Buffer& list, E error, uint8_t status) {
        expect_refused({driver_.header(type, 0), list, driver_.status()}, error, status);
    };
    // Not negotiated.
    limits_.discard = false;
    refused(VIRTIO_BLK_T_DISCARD, driver_.segments({segment(0, 1)}), E::kNotNegotiated,
            VIRTIO_BLK_S_UNSUPP);
    limits_.discard = true;
    limits_.write_zeroes = false;
    refused(VIRTIO_BLK_T_WRITE_ZEROES, driver_.segments({segment(0, 1)}), E::kNotNegotiated,
            VIRTIO_BLK_S_UNSUPP);
    limits_.write_zeroes = true;
    // No segment, or a partial one.
    expect_refused({driver_.header(VIRTIO_BLK_T_DISCARD, 0), driver_.status()}, E::kBadSegmentList,
                   VIRTIO_BLK_S_IOERR);
    refused(VIRTIO_BLK_T_DISCARD, driver_.bytes(std::vector<uint8_t>(20)), E::kBadSegmentList,
            VIRTIO_BLK_S_IOERR);
    // More segments than advertised (4 for discard, 2 for write zeroes).
    refused(VIRTIO_BLK_T_DISCARD, driver_.segments(std::vector(5, segment(0, 1))),
            E::kTooManySegments, VIRTIO_BLK_S_IOERR);
    refused(VIRTIO_BLK_T_WRITE_ZEROES, driver_.segments(std::vector(3, segment(0, 1))),
            E::kTooManySegments, VIRTIO_BLK_S_IOERR);
    // §5.2.6.2: unknown flags, and unmap on a discard, are UNSUPP.
    refused(VIRTIO_BLK_T_DISCARD,
            driver_.segments({segment(0, 1, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)}),
            E::kUnsupportedFlags, VIRTIO_BLK_S_UNSUPP);
    refused(VIRTIO_BLK_T_WRITE_ZEROES, driver_.segments({segment(0, 1, 2)}), E::kUnsupportedFlags,
            VIRTIO_BLK_S_UNSUPP);
    // Larger than advertised (16 sectors for discard, 32 for write zeroes).
    refused(VIRTIO_BLK_T_DISCARD, driver_.segments({segment(0, 17)}), E::kSegmentTooLarge,
            VIRTIO_BLK_S_IOERR);
    refused(VIRTIO_BLK_T_WRITE_ZEROES, driver_.segments({segment(0, 33)}), E::kSegmentTooLarge,
            VIRTIO_BLK_S_IOERR);
    // Outside the disk, also by wrapping around; a bad second segment fails the request.
    refused(VIRTIO_BLK_T_DISCARD, driver_.segments({segment(kCapacity - 1, 2)}), E::kOutOfRange,
            VIRTIO_BLK_S_IOERR);
    refused(VIRTIO_BLK_T_WRITE_ZEROES, driver_.segments({segment(0, 1), segment(UINT64_MAX, 1)}),
            E::kOutOfRange, VIRTIO_BLK_S_IOERR);
}

TEST_F(BlockRequestTest, ARequestInAnIndirectTable) {
    // The queue must have been told that indirect descriptors were negotiated.
    queue_.reset();
    driver_.fake().configure(queue_, uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC);
    const uint16_t head = driver_.fake().build_indirect_chain(
        {testing::readable(BlkDriver::as_bytes(virtio_blk_outhdr{VIRTIO_BLK_T_IN, 0, 2})),
         testing::writable(512), testing::writable(1)});
    driver_.fake().offer_head(head);
    const DescriptorChain chain = testing::expect_chain(queue_.pop(driver_.memory()));
    const ParsedBlockRequest parsed = parse_block_request(driver_.memory(), chain, limits_);
    ASSERT_TRUE(std::holds_alternative<BlockRequest>(parsed));
    EXPECT_EQ(std::get<BlockRequest>(parsed).sector, 2u);
    EXPECT_EQ(std::get<BlockRequest>(parsed).data_length, 512u);
}

TEST(BlockRequestErrors, EveryErrorHasADescription) {
    for (int e = 0; e <= static_cast<int>(BlockRequestError::kUnsupportedFlags); ++e) {
        EXPECT_NE(describe(static_cast<BlockRequestError>(e)), "unknown error") << e;
    }
}

}  // namespace
}  // namespace berth::virtio
