// walk_chain() against descriptors laid out by hand: every rule of virtio 1.2
// §2.7.5 it enforces, each broken on its own.
#include "devices/virtio/queue/descriptor_chain.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <variant>

#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio {
namespace {

using testing::FakeDriver;

constexpr uint16_t NEXT = VRING_DESC_F_NEXT;
constexpr uint16_t WRITE = VRING_DESC_F_WRITE;
constexpr uint16_t INDIRECT = VRING_DESC_F_INDIRECT;

DescriptorTable table_of(const FakeDriver& driver, bool indirect_allowed = true) {
    return {FakeDriver::kDescTable, driver.size(), indirect_allowed};
}

ChainError error_of(const ChainResult& result) {
    if (auto* error = std::get_if<ChainError>(&result)) {
        return *error;
    }
    ADD_FAILURE() << "the chain was accepted";
    return ChainError{};
}

// By value: the result it comes from is usually a temporary.
DescriptorChain chain_of(ChainResult result) {
    if (auto* error = std::get_if<ChainError>(&result)) {
        ADD_FAILURE() << "chain refused: " << describe(*error);
    }
    return std::get<DescriptorChain>(std::move(result));
}

// Addresses for hand-made buffers, inside the fake driver's RAM.
constexpr uint64_t kBuffer = 0x90000;

TEST(VirtioDescriptorChain, SingleReadableBuffer) {
    FakeDriver driver(8);
    driver.write_descriptor(3, kBuffer, 100, 0);
    const DescriptorChain chain = chain_of(walk_chain(driver.memory(), table_of(driver), 3));
    EXPECT_EQ(chain.head_index(), 3);
    ASSERT_EQ(chain.descriptors().size(), 1u);
    EXPECT_EQ(chain.descriptors()[0], (Descriptor{GuestAddress(kBuffer), 100, false}));
    EXPECT_EQ(chain.readable_length(), 100u);
    EXPECT_EQ(chain.writable_length(), 0u);
    EXPECT_TRUE(chain.writable().empty());
}

TEST(VirtioDescriptorChain, FollowsNextAndSplitsReadableFromWritable) {
    FakeDriver driver(8);
    // 5 -> 2 -> 7: header (readable), data (readable), status (writable).
    driver.write_descriptor(5, kBuffer, 16, NEXT, 2);
    driver.write_descriptor(2, kBuffer + 0x100, 512, NEXT, 7);
    driver.write_descriptor(7, kBuffer + 0x1000, 1, WRITE);
    const DescriptorChain chain = chain_of(walk_chain(driver.memory(), table_of(driver), 5));
    EXPECT_EQ(chain.head_index(), 5);
    ASSERT_EQ(chain.readable().size(), 2u);
    ASSERT_EQ(chain.writable().size(), 1u);
    EXPECT_EQ(chain.readable()[1].address, GuestAddress(kBuffer + 0x100));
    EXPECT_EQ(chain.writable()[0], (Descriptor{GuestAddress(kBuffer + 0x1000), 1, true}));
    EXPECT_EQ(chain.readable_length(), 528u);
    EXPECT_EQ(chain.writable_length(), 1u);
}

TEST(VirtioDescriptorChain, ChainOfExactlyTheQueueSizeIsAllowed) {
    FakeDriver driver(4);
    for (uint16_t i = 0; i < 4; ++i) {
        driver.write_descriptor(i, kBuffer, 8, i < 3 ? NEXT : 0, static_cast<uint16_t>(i + 1));
    }
    EXPECT_EQ(chain_of(walk_chain(driver.memory(), table_of(driver), 0)).descriptors().size(), 4u);
}

TEST(VirtioDescriptorChain, ZeroLengthBuffersAreAllowed) {
    FakeDriver driver(4);
    driver.write_descriptor(0, kBuffer, 0, NEXT, 1);
    driver.write_descriptor(1, kBuffer, 0, WRITE);
    const DescriptorChain chain = chain_of(walk_chain(driver.memory(), table_of(driver), 0));
    EXPECT_EQ(chain.descriptors().size(), 2u);
    EXPECT_EQ(chain.readable_length() + chain.writable_length(), 0u);
}

// Copy, then validate: the chain holds copies, so a driver that rewrites a
// descriptor afterwards changes nothing the device sees.
TEST(VirtioDescriptorChain, HoldsCopiesNotReferencesToGuestMemory) {
    FakeDriver driver(4);
    driver.write_descriptor(0, kBuffer, 64, WRITE);
    const auto result = walk_chain(driver.memory(), table_of(driver), 0);
    driver.write_descriptor(0, FakeDriver::kRamSize + 0x1000, 0xffffffff, 0);
    EXPECT_EQ(chain_of(result).descriptors()[0], (Descriptor{GuestAddress(kBuffer), 64, true}));
}

TEST(VirtioDescriptorChain, RefusesAHeadOutsideTheTable) {
    FakeDriver driver(8);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 8)),
              ChainError::kHeadOutOfRange);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 0xffff)),
              ChainError::kHeadOutOfRange);
}

TEST(VirtioDescriptorChain, RefusesANextOutsideTheTable) {
    FakeDriver driver(8);
    driver.write_descriptor(0, kBuffer, 8, NEXT, 8);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 0)),
              ChainError::kNextOutOfRange);
}

TEST(VirtioDescriptorChain, ALoopEndsAsTooLong) {
    FakeDriver driver(8);
    // 0 -> 1 -> 2 -> 0 -> ...
    driver.write_descriptor(0, kBuffer, 8, NEXT, 1);
    driver.write_descriptor(1, kBuffer, 8, NEXT, 2);
    driver.write_descriptor(2, kBuffer, 8, NEXT, 0);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 0)),
              ChainError::kChainTooLong);
    // A descriptor that names itself.
    driver.write_descriptor(5, kBuffer, 8, NEXT, 5);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 5)),
              ChainError::kChainTooLong);
}

TEST(VirtioDescriptorChain, RefusesMoreBuffersThanTheQueueSize) {
    // Two direct buffers, then an indirect table of three: five buffers in a
    // queue of four, with no loop anywhere.
    FakeDriver driver(4);
    const GuestAddress table = FakeDriver::kIndirectTables;
    for (uint16_t i = 0; i < 3; ++i) {
        driver.write_descriptor_at(table, i, kBuffer, 8, i < 2 ? NEXT : 0,
                                   static_cast<uint16_t>(i + 1));
    }
    driver.write_descriptor(0, kBuffer, 8, NEXT, 1);
    driver.write_descriptor(1, kBuffer, 8, NEXT, 2);
    driver.write_descriptor(2, table.value(), 48, INDIRECT);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 0)),
              ChainError::kChainTooLong);
    // One direct buffer fewer, and the four fit.
    EXPECT_EQ(chain_of(walk_chain(driver.memory(), table_of(driver), 1)).descriptors().size(), 4u);
}

TEST(VirtioDescriptorChain, RefusesBuffersOutsideGuestMemory) {
    FakeDriver driver(4);
    const DescriptorTable table = table_of(driver);
    const uint64_t end = FakeDriver::kRamSize;
    driver.write_descriptor(0, end, 1, 0);  // just past the end
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table, 0)), ChainError::kBufferOutsideMemory);
    driver.write_descriptor(0, end - 8, 16, 0);  // straddles the end of RAM
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table, 0)), ChainError::kBufferOutsideMemory);
    driver.write_descriptor(0, UINT64_MAX - 3, 8, WRITE);  // address + length wraps
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table, 0)), ChainError::kBufferOutsideMemory);
    driver.write_descriptor(0, end - 8, 8, 0);  // the last bytes are fine
    EXPECT_TRUE(std::holds_alternative<DescriptorChain>(walk_chain(driver.memory(), table, 0)));
}

TEST(VirtioDescriptorChain, RefusesABufferThatSpansAGapBetweenRamRanges) {
    FakeDriver driver(4, {{GuestAddress(0), 0x100000}, {GuestAddress(0x200000), 0x100000}});
    driver.write_descriptor(0, 0xffff0, 0x20, 0);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 0)),
              ChainError::kBufferOutsideMemory);
    driver.write_descriptor(0, 0x200000, 0x20, 0);
    EXPECT_TRUE(
        std::holds_alternative<DescriptorChain>(walk_chain(driver.memory(), table_of(driver), 0)));
}

TEST(VirtioDescriptorChain, RefusesReadableAfterWritable) {
    FakeDriver driver(4);
    driver.write_descriptor(0, kBuffer, 8, NEXT, 1);
    driver.write_descriptor(1, kBuffer, 8, NEXT | WRITE, 2);
    driver.write_descriptor(2, kBuffer, 8, 0);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 0)),
              ChainError::kReadableAfterWritable);
}

TEST(VirtioDescriptorChain, RefusesChainsOf4GiBOrMore) {
    // 2 GiB of RAM, mapped but never touched: buffers may overlap, so two
    // buffers over the same 2 GiB add up to 4 GiB.
    const uint64_t two_gib = 2ull << 30;
    FakeDriver driver(4, {{GuestAddress(0), two_gib}});
    driver.write_descriptor(0, 0, 0x80000000, NEXT, 1);
    driver.write_descriptor(1, 0, 0x7fffffff, WRITE);
    const DescriptorChain largest = chain_of(walk_chain(driver.memory(), table_of(driver), 0));
    EXPECT_EQ(largest.readable_length() + uint64_t{largest.writable_length()}, 0xffffffffu);
    driver.write_descriptor(1, 0, 0x80000000, WRITE);
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table_of(driver), 0)),
              ChainError::kTotalLengthOverflow);
}

TEST(VirtioDescriptorChain, RefusesADescriptorTableOutsideMemory) {
    FakeDriver driver(4);
    const DescriptorTable table{GuestAddress(FakeDriver::kRamSize), 4, false};
    EXPECT_EQ(error_of(walk_chain(driver.memory(), table, 0)),
              ChainError::kDescriptorTableOutsideMemory);
}

// --- Indirect descriptors (§2.7.5.3) --------------------------------------

TEST(VirtioDescriptorChain, IndirectTableSuppliesTheBuffers) {
    FakeDriver driver(8);
    const GuestAddress table = FakeDriver::kIndirectTables;
    driver.write_descriptor_at(table, 0, kBuffer, 16, NEXT, 2);  // any order inside the table
    driver.write_descriptor_at(table, 2, kBuffer + 0x100, 8, NEXT | WRITE, 1);
    driver.write_descriptor_at(table, 1, kBuffer + 0x200, 1, WRITE);
    driver.write_descriptor(6, table.value(), 48, INDIRECT);
    const DescriptorChain chain = chain_of(walk_chain(driver.memory(), table_of(driver), 6));
    EXPECT_EQ(chain.head_index(), 6);
    ASSERT_EQ(chain.descriptors().size(), 3u);
    EXPECT_EQ(chain.readable().size(), 1u);
    EXPECT_EQ(chain.writable()[1], (Descriptor{GuestAddress(kBuffer + 0x200), 1, true}));
}

TEST(VirtioDescriptorChain, DirectBuffersMayPrecedeTheIndirectTable) {
    // §2.7.5.3.2: "zero or more normal chained descriptors followed by a
    // single descriptor with flags&VIRTQ_DESC_F_INDIRECT".
    FakeDriver driver(8);
    const GuestAddress table = FakeDriver::kIndirectTables;
    driver.write_descriptor_at(table, 0, kBuffer + 0x100, 8, NEXT, 1);
    driver.write_descriptor_at(table, 1, kBuffer + 0x200, 4, WRITE);
    driver.write_descriptor(0, kBuffer, 16, NEXT, 1);
    driver.write_descriptor(1, table.value(), 32, INDIRECT);
    const DescriptorChain chain = chain_of(walk_chain(driver.memory(), table_of(driver), 0));
    ASSERT_EQ(chain.descriptors().size(), 3u);
    EXPECT_EQ(chain.readable_length(), 24u);
    EXPECT_EQ(chain.writable_length(), 4u);
}

TEST(VirtioDescriptorChain, IgnoresTheWriteFlagOfTheIndirectDescriptor) {
    // §2.7.5.3.2: the device MUST ignore it.
    FakeDriver driver(8);
    const GuestAddress table = FakeDriver::kIndirectTables;
    driver.write_descriptor_at(table, 0, kBuffer, 16, 0);
    driver.write_descriptor(0, table.value(), 16, INDIRECT | WRITE);
    const DescriptorChain chain = chain_of(walk_chain(driver.memory(), table_of(driver), 0));
    EXPECT_EQ(chain.readable_length(), 16u);
    EXPECT_EQ(chain.writable_length(), 0u);
}

TEST(VirtioDescriptorChain, IndirectTableOfExactlyTheQueueSizeIsAllowed) {
    FakeDriver driver(4);
    const GuestAddress table = FakeDriver::kIndirectTables;
    for (uint16_t i = 0; i < 4; ++i) {
        driver.write_descriptor_at(table, i, kBuffer, 8, i < 3 ? NEXT : 0,
                                   static_cast<uint16_t>(i + 1));
    }
    driver.write_descriptor(0, table.value(), 64, INDIRECT);
    EXPECT_EQ(chain_of(walk_chain(driver.memory(), table_of(driver), 0)).descriptors().size(), 4u);
}

// One case per indirect rule; each starts from a valid one-entry table.
class VirtioIndirectRule : public ::testing::Test {
protected:
    VirtioIndirectRule() : driver_(4) { driver_.write_descriptor_at(table_, 0, kBuffer, 8, 0); }
    ChainError walk_from(uint64_t addr, uint32_t len, uint16_t flags, bool negotiated = true) {
        driver_.write_descriptor(0, addr, len, flags, 1);
        return error_of(walk_chain(driver_.memory(), table_of(driver_, negotiated), 0));
    }

    FakeDriver driver_;
    const GuestAddress table_ = FakeDriver::kIndirectTables;
};

TEST_F(VirtioIndirectRule, OnlyWhenNegotiated) {
    EXPECT_EQ(walk_from(table_.value(), 16, INDIRECT, false), ChainError::kIndirectNotNegotiated);
}

TEST_F(VirtioIndirectRule, NeverWithNext) {
    EXPECT_EQ(walk_from(table_.value(), 16, INDIRECT | NEXT), ChainError::kIndirectWithNext);
}

TEST_F(VirtioIndirectRule, NeverNested) {
    driver_.write_descriptor_at(table_, 0, table_.value(), 16, INDIRECT);
    EXPECT_EQ(walk_from(table_.value(), 16, INDIRECT), ChainError::kNestedIndirect);
}

TEST_F(VirtioIndirectRule, TableNotEmpty) {
    EXPECT_EQ(walk_from(table_.value(), 0, INDIRECT), ChainError::kIndirectTableEmpty);
}

TEST_F(VirtioIndirectRule, TableLengthAMultipleOf16) {
    EXPECT_EQ(walk_from(table_.value(), 24, INDIRECT), ChainError::kIndirectTableBadLength);
    EXPECT_EQ(walk_from(table_.value(), 15, INDIRECT), ChainError::kIndirectTableBadLength);
}

TEST_F(VirtioIndirectRule, TableNoLargerThanTheQueue) {
    EXPECT_EQ(walk_from(table_.value(), 5 * 16, INDIRECT), ChainError::kIndirectTableTooLarge);
    EXPECT_EQ(walk_from(table_.value(), 0xfffffff0, INDIRECT), ChainError::kIndirectTableTooLarge);
}

TEST_F(VirtioIndirectRule, TableInsideMemory) {
    EXPECT_EQ(walk_from(FakeDriver::kRamSize - 16, 32, INDIRECT),
              ChainError::kIndirectTableOutsideMemory);
    EXPECT_EQ(walk_from(UINT64_MAX - 15, 32, INDIRECT), ChainError::kIndirectTableOutsideMemory);
}

TEST_F(VirtioIndirectRule, NextInsideTheTable) {
    // Entry 0 links to entry 2 of a two-entry table (the queue's table is
    // larger, but the indirect table is what `next` indexes).
    driver_.write_descriptor_at(table_, 0, kBuffer, 8, NEXT, 2);
    EXPECT_EQ(walk_from(table_.value(), 32, INDIRECT), ChainError::kNextOutOfRange);
}

TEST_F(VirtioIndirectRule, LoopInsideTheTableEnds) {
    driver_.write_descriptor_at(table_, 0, kBuffer, 8, NEXT, 1);
    driver_.write_descriptor_at(table_, 1, kBuffer, 8, NEXT, 0);
    EXPECT_EQ(walk_from(table_.value(), 32, INDIRECT), ChainError::kChainTooLong);
}

TEST_F(VirtioIndirectRule, BuffersStillChecked) {
    driver_.write_descriptor_at(table_, 0, FakeDriver::kRamSize - 4, 8, 0);
    EXPECT_EQ(walk_from(table_.value(), 16, INDIRECT), ChainError::kBufferOutsideMemory);
}

TEST_F(VirtioIndirectRule, ReadableAfterWritableAcrossTheTableBoundary) {
    driver_.write_descriptor(1, kBuffer, 8, WRITE | NEXT, 0);
    driver_.write_descriptor(0, table_.value(), 16, INDIRECT);
    EXPECT_EQ(error_of(walk_chain(driver_.memory(), table_of(driver_), 1)),
              ChainError::kReadableAfterWritable);
}

TEST(VirtioDescriptorChain, EveryErrorHasItsOwnDescription) {
    std::set<std::string_view> seen;
    for (int i = 0; i <= static_cast<int>(ChainError::kDescriptorTableOutsideMemory); ++i) {
        const std::string_view text = describe(static_cast<ChainError>(i));
        EXPECT_NE(text, "unknown chain error");
        EXPECT_TRUE(seen.insert(text).second) << text;
    }
}

}  // namespace
}  // namespace berth::virtio
