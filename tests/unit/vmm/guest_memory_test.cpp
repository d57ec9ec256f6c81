#include "vmm/memory/guest_memory.h"

#include <gtest/gtest.h>

#include "vmm/layout.h"

namespace berth {
namespace {

TEST(MemoryLayout, SmallGuestIsOneRangeFromZero) {
    auto ranges = x86_ram_ranges(256ull << 20);
    ASSERT_EQ(ranges.size(), 1u);
    EXPECT_EQ(ranges[0].start.value(), 0u);
    EXPECT_EQ(ranges[0].size, 256ull << 20);
}

TEST(MemoryLayout, LargeGuestSkipsTheMmioHole) {
    auto ranges = x86_ram_ranges(5ull << 30);
    ASSERT_EQ(ranges.size(), 2u);
    EXPECT_EQ(ranges[0].end(), layout::kMmioHoleStart);
    EXPECT_EQ(ranges[1].start, layout::kHighRamStart);
    EXPECT_EQ(ranges[0].size + ranges[1].size, 5ull << 30);
}

TEST(GuestMemory, ChecksTheWholeRangeNotJustItsStart) {
    auto memory =
        GuestMemory::create({{GuestAddress(0), 0x10000}, {GuestAddress(0x20000), 0x1000}});
    EXPECT_TRUE(memory.contains(GuestAddress(0xfff0), 0x10));
    EXPECT_FALSE(memory.contains(GuestAddress(0xfff0), 0x11));     // runs off the end
    EXPECT_FALSE(memory.contains(GuestAddress(0x10000), 1));       // in the gap
    EXPECT_FALSE(memory.contains(GuestAddress(0xffff), 0x10002));  // spans the gap
    EXPECT_TRUE(memory.contains(GuestAddress(0x20fff), 1));
    EXPECT_FALSE(memory.contains(GuestAddress(UINT64_MAX), 2));  // would wrap
    EXPECT_FALSE(memory.contains(GuestAddress(0x10), UINT64_MAX));
}

TEST(GuestMemory, ReadsBackWhatItWrote) {
    auto memory = GuestMemory::create({{GuestAddress(0x1000), 0x2000}});
    const uint32_t value = 0xdeadbeef;
    ASSERT_TRUE(memory.write_obj(GuestAddress(0x1ffe), value));  // crosses a page inside the region
    auto back = memory.read_obj<uint32_t>(GuestAddress(0x1ffe));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, value);
    EXPECT_FALSE(memory.read_obj<uint32_t>(GuestAddress(0x2ffe)).has_value());
    EXPECT_FALSE(memory.write_obj(GuestAddress(0xfff), value));
}

TEST(GuestMemory, ZeroLengthAccessAtTheEndIsInside) {
    auto memory = GuestMemory::create({{GuestAddress(0), 0x1000}});
    EXPECT_TRUE(memory.contains(GuestAddress(0x1000), 0));
    EXPECT_FALSE(memory.contains(GuestAddress(0x1001), 0));
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

// Host mappings start on a 2 MiB boundary so huge pages can back the guest.
TEST(GuestMemory, HostMappingsAreHugePageAligned) {
    auto memory = GuestMemory::create(x86_ram_ranges(5ull << 30));
    for (const auto& region : memory.regions()) {
        EXPECT_EQ(reinterpret_cast<uintptr_t>(region.host) % (2u << 20), 0u);
    }
    // The whole region is usable, up to its last byte.
    const uint8_t byte = 0x5a;
    const auto last =
        GuestAddress(memory.regions()[1].start.value() + memory.regions()[1].size - 1);
    EXPECT_TRUE(memory.write_obj(last, byte));
    EXPECT_EQ(memory.read_obj<uint8_t>(last), byte);
}

}  // namespace
}  // namespace berth
