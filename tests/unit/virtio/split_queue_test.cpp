// SplitQueue from the device's side, driven by a fake guest driver: the
// configuration checks, taking chains from the available ring, returning them
// in the used ring, and notification suppression (virtio 1.2 §2.7).
#include "devices/virtio/queue/split_queue.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <variant>

#include "devices/virtio/queue/chain_io.h"
#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio {
namespace {

using testing::expect_chain;
using testing::FakeDriver;
using testing::readable;
using testing::writable;

constexpr uint64_t kEventIdx = uint64_t{1} << VIRTIO_RING_F_EVENT_IDX;
constexpr uint64_t kIndirectDesc = uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC;

// --- Configuration (§2.7) --------------------------------------------------

TEST(VirtioSplitQueue, MaximumSizeMustBeAPowerOfTwo) {
    EXPECT_THROW(SplitQueue(0), std::invalid_argument);
    EXPECT_THROW(SplitQueue(3), std::invalid_argument);
    EXPECT_THROW(SplitQueue(65535), std::invalid_argument);
    EXPECT_NO_THROW(SplitQueue(32768));
    EXPECT_EQ(SplitQueue(256).size(), 256);  // the size starts at the maximum
}

TEST(VirtioSplitQueue, AcceptsADriversLayout) {
    FakeDriver driver(256);
    SplitQueue queue(256);
    driver.configure(queue);
    EXPECT_TRUE(queue.is_valid_config(driver.memory()));
}

TEST(VirtioSplitQueue, RefusesASizeThatIsNotAPowerOfTwoOrTooLarge) {
    FakeDriver driver(16);
    SplitQueue queue(16);
    driver.configure(queue);
    for (uint16_t size : {0, 3, 12, 15, 32}) {
        queue.set_size(size);
        EXPECT_FALSE(queue.is_valid_config(driver.memory())) << size;
    }
    for (uint16_t size : {1, 2, 8, 16}) {
        queue.set_size(size);
        EXPECT_TRUE(queue.is_valid_config(driver.memory())) << size;
    }
}

TEST(VirtioSplitQueue, RefusesMisalignedAreas) {
    FakeDriver driver(16);
    SplitQueue queue(16);
    driver.configure(queue);
    queue.set_desc_table(FakeDriver::kDescTable + 8);  // descriptor table: 16
    EXPECT_FALSE(queue.is_valid_config(driver.memory()));
    queue.set_desc_table(FakeDriver::kDescTable);
    queue.set_avail_ring(FakeDriver::kAvailRing + 1);  // available ring: 2
    EXPECT_FALSE(queue.is_valid_config(driver.memory()));
    queue.set_avail_ring(FakeDriver::kAvailRing + 2);
    EXPECT_TRUE(queue.is_valid_config(driver.memory()));
    queue.set_used_ring(FakeDriver::kUsedRing + 2);  // used ring: 4
    EXPECT_FALSE(queue.is_valid_config(driver.memory()));
}

TEST(VirtioSplitQueue, RefusesAreasOutsideMemory) {
    const uint64_t end = FakeDriver::kRamSize;
    FakeDriver driver(16);
    SplitQueue queue(16);
    driver.configure(queue);
    // Each area must fit whole: 16 * 16, 6 + 2 * 16 and 6 + 8 * 16 bytes.
    queue.set_desc_table(GuestAddress(end - 16 * 16));
    queue.set_avail_ring(GuestAddress(end - (6 + 2 * 16)));
    queue.set_used_ring(GuestAddress(end - (6 + 8 * 16) - 2));  // 4-aligned
    EXPECT_TRUE(queue.is_valid_config(driver.memory()));

    queue.set_desc_table(GuestAddress(end - 16 * 15));
    EXPECT_FALSE(queue.is_valid_config(driver.memory()));
    queue.set_desc_table(GuestAddress(end - 16 * 16));
    queue.set_avail_ring(GuestAddress(end - (6 + 2 * 16) + 2));  // no room for used_event
    EXPECT_FALSE(queue.is_valid_config(driver.memory()));
    queue.set_avail_ring(GuestAddress(end - (6 + 2 * 16)));
    queue.set_used_ring(GuestAddress(end));
    EXPECT_FALSE(queue.is_valid_config(driver.memory()));
    queue.set_used_ring(GuestAddress(UINT64_MAX - 3));
    EXPECT_FALSE(queue.is_valid_config(driver.memory()));
}

TEST(VirtioSplitQueue, TakesTheRingFeaturesFromTheNegotiatedSet) {
    SplitQueue queue(8);
    queue.set_negotiated_features(kEventIdx | (uint64_t{1} << 32));
    EXPECT_TRUE(queue.event_idx());
    EXPECT_FALSE(queue.indirect_desc());
    queue.set_negotiated_features(kIndirectDesc);
    EXPECT_FALSE(queue.event_idx());
    EXPECT_TRUE(queue.indirect_desc());
}

TEST(VirtioSplitQueue, ResetForgetsEverything) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue, kEventIdx | kIndirectDesc);
    queue.set_size(4);
    driver.set_avail_idx(100);
    EXPECT_TRUE(std::holds_alternative<BrokenQueue>(queue.pop(driver.memory())));
    queue.reset();
    EXPECT_FALSE(queue.ready());
    EXPECT_EQ(queue.size(), 8);
    EXPECT_EQ(queue.desc_table(), GuestAddress(0));
    EXPECT_EQ(queue.avail_ring(), GuestAddress(0));
    EXPECT_EQ(queue.used_ring(), GuestAddress(0));
    EXPECT_FALSE(queue.event_idx());
    EXPECT_FALSE(queue.indirect_desc());
    EXPECT_EQ(queue.next_avail(), 0);
    EXPECT_EQ(queue.next_used(), 0);
    EXPECT_FALSE(queue.error().has_value());
}

// --- Taking chains (§2.7.6, §2.7.13) -----------------------------------------

TEST(VirtioSplitQueue, EmptyRingHasNothing) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
    EXPECT_EQ(queue.next_avail(), 0);
}

TEST(VirtioSplitQueue, QueueThatIsNotReadyGivesNothing) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    queue.set_ready(false);
    driver.offer({readable("ignored")});
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
}

TEST(VirtioSplitQueue, PopsASingleBuffer) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    const uint16_t head = driver.offer({readable("hello")});
    const DescriptorChain chain = expect_chain(queue.pop(driver.memory()));
    EXPECT_EQ(chain.head_index(), head);
    ASSERT_EQ(chain.descriptors().size(), 1u);
    EXPECT_EQ(chain.readable_length(), 5u);
    EXPECT_EQ(driver.read_bytes(chain.descriptors()[0].address, 5),
              (std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'}));
    EXPECT_EQ(queue.next_avail(), 1);
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
}

TEST(VirtioSplitQueue, PopsAMultiBufferRequest) {
    // The shape of a virtio-blk write: header and data to read, status to write.
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.offer(
        {readable("header.........."), readable(std::vector<uint8_t>(512, 0xab)), writable(1)});
    const DescriptorChain chain = expect_chain(queue.pop(driver.memory()));
    EXPECT_EQ(chain.readable().size(), 2u);
    EXPECT_EQ(chain.writable().size(), 1u);
    EXPECT_EQ(chain.readable_length(), 528u);
    EXPECT_EQ(chain.writable_length(), 1u);
}

TEST(VirtioSplitQueue, PopsAnIndirectChainWhenNegotiated) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue, kIndirectDesc);
    const uint16_t head = driver.offer_indirect({readable("abc"), writable(10), writable(20)});
    const DescriptorChain chain = expect_chain(queue.pop(driver.memory()));
    EXPECT_EQ(chain.head_index(), head);
    EXPECT_EQ(chain.descriptors().size(), 3u);
    EXPECT_EQ(chain.writable_length(), 30u);
}

TEST(VirtioSplitQueue, RefusesAnIndirectChainWhenNotNegotiated) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    const uint16_t head = driver.offer_indirect({readable("abc")});
    const PopResult result = queue.pop(driver.memory());
    ASSERT_TRUE(std::holds_alternative<BadChain>(result));
    EXPECT_EQ(std::get<BadChain>(result).head_index, head);
    EXPECT_EQ(std::get<BadChain>(result).error, ChainError::kIndirectNotNegotiated);
}

TEST(VirtioSplitQueue, PopsSeveralChainsInRingOrder) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    // Batched: three heads in the ring, then one idx update (§2.7.13.3).
    const uint16_t first = driver.build_chain({readable("one")});
    const uint16_t second = driver.build_chain({readable("two"), writable(4)});
    const uint16_t third = driver.build_chain({writable(8)});
    driver.add_to_ring(second);
    driver.add_to_ring(first);
    driver.add_to_ring(third);
    // Nothing is visible before avail->idx moves.
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
    driver.publish();
    EXPECT_EQ(expect_chain(queue.pop(driver.memory())).head_index(), second);
    EXPECT_EQ(expect_chain(queue.pop(driver.memory())).head_index(), first);
    EXPECT_EQ(expect_chain(queue.pop(driver.memory())).head_index(), third);
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
}

TEST(VirtioSplitQueue, AFullRingIsNotAnError) {
    FakeDriver driver(4);
    SplitQueue queue(4);
    driver.configure(queue);
    for (int i = 0; i < 4; ++i) {
        driver.offer({readable("x")});
    }
    for (int i = 0; i < 4; ++i) {
        expect_chain(queue.pop(driver.memory()));
    }
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
}

TEST(VirtioSplitQueue, ABadChainIsTakenAndReportedWithItsHead) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.write_descriptor(3, FakeDriver::kRamSize - 2, 4, 0);  // straddles the end of RAM
    driver.offer_head(3);
    const uint16_t good = driver.offer({readable("fine")});

    const PopResult bad = queue.pop(driver.memory());
    ASSERT_TRUE(std::holds_alternative<BadChain>(bad));
    EXPECT_EQ(std::get<BadChain>(bad).head_index, 3);
    EXPECT_EQ(std::get<BadChain>(bad).error, ChainError::kBufferOutsideMemory);
    // The device returns it, failed, and carries on with the next one.
    queue.add_used(driver.memory(), 3, 0);
    EXPECT_EQ(driver.used_element(0).id, 3u);
    EXPECT_EQ(driver.used_element(0).len, 0u);
    EXPECT_EQ(expect_chain(queue.pop(driver.memory())).head_index(), good);
}

TEST(VirtioSplitQueue, AHeadOutsideTheTableIsABadChain) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.offer_head(8);
    const PopResult result = queue.pop(driver.memory());
    ASSERT_TRUE(std::holds_alternative<BadChain>(result));
    EXPECT_EQ(std::get<BadChain>(result).error, ChainError::kHeadOutOfRange);
}

TEST(VirtioSplitQueue, AvailIndexTooFarAheadBreaksTheQueue) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.set_avail_idx(9);  // nine buffers in a ring of eight
    const PopResult result = queue.pop(driver.memory());
    ASSERT_TRUE(std::holds_alternative<BrokenQueue>(result));
    EXPECT_EQ(std::get<BrokenQueue>(result).error, QueueError::kAvailIndexTooFarAhead);
    EXPECT_EQ(queue.error(), QueueError::kAvailIndexTooFarAhead);
    // It stays broken, even once idx looks sane again, until reset.
    driver.set_avail_idx(1);
    EXPECT_TRUE(std::holds_alternative<BrokenQueue>(queue.pop(driver.memory())));
    queue.reset();
    driver.configure(queue);
    EXPECT_FALSE(std::holds_alternative<BrokenQueue>(queue.pop(driver.memory())));
}

TEST(VirtioSplitQueue, AvailIndexGoingBackwardsBreaksTheQueue) {
    // §2.7.6.1: the driver MUST NOT decrement idx. Modulo 2^16, a step back
    // is a jump of 65535 entries forward.
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.offer({readable("a")});
    expect_chain(queue.pop(driver.memory()));
    driver.set_avail_idx(0);
    const PopResult result = queue.pop(driver.memory());
    ASSERT_TRUE(std::holds_alternative<BrokenQueue>(result));
    EXPECT_EQ(std::get<BrokenQueue>(result).error, QueueError::kAvailIndexTooFarAhead);
}

TEST(VirtioSplitQueue, UsingAnInvalidConfigurationBreaksTheQueue) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    queue.set_avail_ring(GuestAddress(FakeDriver::kRamSize));
    const PopResult outside = queue.pop(driver.memory());
    ASSERT_TRUE(std::holds_alternative<BrokenQueue>(outside));
    EXPECT_EQ(std::get<BrokenQueue>(outside).error, QueueError::kInvalidConfig);

    queue.reset();
    driver.configure(queue);
    queue.set_size(6);
    const PopResult bad_size = queue.pop(driver.memory());
    ASSERT_TRUE(std::holds_alternative<BrokenQueue>(bad_size));
    EXPECT_EQ(std::get<BrokenQueue>(bad_size).error, QueueError::kInvalidConfig);

    queue.reset();
    driver.configure(queue);
    queue.set_used_ring(GuestAddress(UINT64_MAX - 7));
    queue.add_used(driver.memory(), 0, 0);
    EXPECT_EQ(queue.error(), QueueError::kInvalidConfig);
}

// --- Returning chains (§2.7.8) -----------------------------------------------

TEST(VirtioSplitQueue, AddUsedWritesTheElementThenTheIndex) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.offer({readable("a")});
    const uint16_t second = driver.offer({writable(64)});
    expect_chain(queue.pop(driver.memory()));
    const DescriptorChain chain = expect_chain(queue.pop(driver.memory()));
    EXPECT_EQ(driver.used_idx(), 0);

    // Returned out of order: used ring order is completion order.
    queue.add_used(driver.memory(), chain.head_index(), 42);
    EXPECT_EQ(driver.used_idx(), 1);
    EXPECT_EQ(driver.used_element(0).id, second);
    EXPECT_EQ(driver.used_element(0).len, 42u);
    queue.add_used(driver.memory(), 0, 0);
    EXPECT_EQ(driver.used_idx(), 2);
    EXPECT_EQ(driver.used_element(1).id, 0u);
    EXPECT_EQ(queue.next_used(), 2);
}

TEST(VirtioSplitQueue, IndicesWrapAt65536) {
    FakeDriver driver(4);
    SplitQueue queue(4);
    driver.configure(queue);
    driver.start_indices_at(queue, 65534);
    // Six round trips take both indices from 65534 across 0 to 4, through
    // ring slots 2, 3, 0, 1, 2, 3.
    for (uint32_t n = 0; n < 6; ++n) {
        const uint16_t head = driver.offer({readable("req"), writable(8)});
        const DescriptorChain chain = expect_chain(queue.pop(driver.memory()));
        ASSERT_EQ(chain.head_index(), head);
        queue.add_used(driver.memory(), head, n + 100);
        const auto index = static_cast<uint16_t>(65534 + n);
        EXPECT_EQ(driver.used_element(index).id, head);
        EXPECT_EQ(driver.used_element(index).len, n + 100);
        EXPECT_EQ(driver.used_idx(), static_cast<uint16_t>(index + 1));
    }
    EXPECT_EQ(queue.next_avail(), 4);
    EXPECT_EQ(queue.next_used(), 4);
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
}

TEST(VirtioSplitQueue, AFullRingAcrossTheWrapIsNotAnError) {
    FakeDriver driver(4);
    SplitQueue queue(4);
    driver.configure(queue);
    driver.start_indices_at(queue, 65533);
    for (int i = 0; i < 4; ++i) {
        driver.offer({readable("x")});  // avail idx 65533 -> 1
    }
    for (int i = 0; i < 4; ++i) {
        expect_chain(queue.pop(driver.memory()));
    }
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
}

// --- Used buffer notification suppression (§2.7.7) ---------------------------

TEST(VirtioSplitQueue, WithoutEventIdxTheDriverCanOnlySwitchNotificationsOff) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.set_used_event(5);  // ignored without VIRTIO_F_EVENT_IDX
    driver.offer({writable(4)});
    queue.add_used(driver.memory(), expect_chain(queue.pop(driver.memory())).head_index(), 4);
    EXPECT_TRUE(queue.should_notify(driver.memory()));
    driver.set_avail_flags(VRING_AVAIL_F_NO_INTERRUPT);
    EXPECT_FALSE(queue.should_notify(driver.memory()));
    driver.set_avail_flags(0);
    EXPECT_TRUE(queue.should_notify(driver.memory()));
}

// Helper for the event index tests: take and return `count` chains.
void complete(FakeDriver& driver, SplitQueue& queue, int count) {
    for (int i = 0; i < count; ++i) {
        driver.offer({writable(4)});
        queue.add_used(driver.memory(), expect_chain(queue.pop(driver.memory())).head_index(), 4);
    }
}

TEST(VirtioSplitQueue, WithEventIdxTheDriverNamesTheUsedIndexItWaitsFor) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue, kEventIdx);
    driver.set_avail_flags(VRING_AVAIL_F_NO_INTERRUPT);  // ignored with EVENT_IDX

    complete(driver, queue, 1);                         // used idx 0 -> 1
    EXPECT_TRUE(queue.should_notify(driver.memory()));  // the first one always

    driver.set_used_event(2);    // "tell me once entry 2 is used", i.e. idx reaches 3
    complete(driver, queue, 1);  // 1 -> 2: entry 1 used
    EXPECT_FALSE(queue.should_notify(driver.memory()));
    complete(driver, queue, 1);  // 2 -> 3: entry 2 used
    EXPECT_TRUE(queue.should_notify(driver.memory()));
    EXPECT_FALSE(queue.should_notify(driver.memory()));  // nothing new since

    // A batch that steps over used_event notifies once for all of it.
    driver.set_used_event(5);
    complete(driver, queue, 4);  // 3 -> 7
    EXPECT_TRUE(queue.should_notify(driver.memory()));

    // An event already passed before this batch: no notification.
    driver.set_used_event(6);
    complete(driver, queue, 1);  // 7 -> 8
    EXPECT_FALSE(queue.should_notify(driver.memory()));
}

TEST(VirtioSplitQueue, EventIndexComparisonWrapsAt65536) {
    FakeDriver driver(4);
    SplitQueue queue(4);
    driver.configure(queue, kEventIdx);
    driver.start_indices_at(queue, 65534);
    complete(driver, queue, 1);  // 65534 -> 65535
    EXPECT_TRUE(queue.should_notify(driver.memory()));
    driver.set_used_event(0);
    complete(driver, queue, 2);  // 65535 -> 1: entries 65535 and 0 used
    EXPECT_TRUE(queue.should_notify(driver.memory()));
    driver.set_used_event(65535);  // long past
    complete(driver, queue, 1);    // 1 -> 2
    EXPECT_FALSE(queue.should_notify(driver.memory()));
}

// --- Available buffer notification suppression (§2.7.10) ---------------------

TEST(VirtioSplitQueue, WithEventIdxAnEmptyRingAsksForTheNextBuffer) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue, kEventIdx);
    driver.offer({readable("a")});
    driver.offer({readable("b")});
    expect_chain(queue.pop(driver.memory()));
    expect_chain(queue.pop(driver.memory()));
    EXPECT_EQ(driver.avail_event(), 0);  // busy: no request yet
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
    EXPECT_EQ(driver.avail_event(), 2);  // "notify me when you add entry 2"
}

TEST(VirtioSplitQueue, WithoutEventIdxAvailEventIsLeftAlone) {
    FakeDriver driver(8);
    SplitQueue queue(8);
    driver.configure(queue);
    driver.offer({readable("a")});
    expect_chain(queue.pop(driver.memory()));
    EXPECT_TRUE(std::holds_alternative<QueueEmpty>(queue.pop(driver.memory())));
    EXPECT_EQ(driver.avail_event(), 0);
}

TEST(VirtioSplitQueue, QueueErrorsHaveDistinctDescriptions) {
    EXPECT_NE(describe(QueueError::kAvailIndexTooFarAhead), describe(QueueError::kInvalidConfig));
}

}  // namespace
}  // namespace berth::virtio
