#include "devices/bus.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace berth::devices {
namespace {

// Remembers the accesses it receives; reads return `fill`.
class RecordingDevice final : public BusDevice {
public:
    explicit RecordingDevice(uint8_t fill = 0x11) : fill_(fill) {}
    std::string_view name() const override { return "recorder"; }
    void read(uint64_t offset, std::span<uint8_t> data) override {
        reads.push_back({offset, data.size()});
        std::fill(data.begin(), data.end(), fill_);
    }
    void write(uint64_t offset, std::span<const uint8_t> data) override {
        writes.push_back({offset, data.size()});
    }

    struct Access {
        uint64_t offset;
        size_t size;
        bool operator==(const Access&) const = default;
    };
    std::vector<Access> reads;
    std::vector<Access> writes;

private:
    uint8_t fill_;
};

TEST(Bus, RefusesOverlappingRanges) {
    Bus bus("test");
    bus.insert(0x10, 0x10, std::make_shared<RecordingDevice>());  // [0x10, 0x20)
    auto other = std::make_shared<RecordingDevice>();
    EXPECT_THROW(bus.insert(0x10, 1, other), std::invalid_argument);      // same base
    EXPECT_THROW(bus.insert(0x18, 0x10, other), std::invalid_argument);   // tail overlaps
    EXPECT_THROW(bus.insert(0x08, 0x09, other), std::invalid_argument);   // head overlaps
    EXPECT_THROW(bus.insert(0x00, 0x100, other), std::invalid_argument);  // contains it
    EXPECT_THROW(bus.insert(0x1f, 1, other), std::invalid_argument);      // last byte
    EXPECT_THROW(bus.insert(0x14, 2, other), std::invalid_argument);      // inside it
}

TEST(Bus, AcceptsAdjacentRanges) {
    Bus bus("test");
    bus.insert(0x10, 0x10, std::make_shared<RecordingDevice>());
    EXPECT_NO_THROW(bus.insert(0x20, 0x10, std::make_shared<RecordingDevice>()));
    EXPECT_NO_THROW(bus.insert(0x00, 0x10, std::make_shared<RecordingDevice>()));
    EXPECT_NO_THROW(bus.insert(0x30, 1, std::make_shared<RecordingDevice>()));
}

TEST(Bus, RefusesEmptyWrappingAndDevicelessRanges) {
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>();
    EXPECT_THROW(bus.insert(0x10, 0, device), std::invalid_argument);
    EXPECT_THROW(bus.insert(UINT64_MAX, 2, device), std::invalid_argument);
    EXPECT_THROW(bus.insert(2, UINT64_MAX, device), std::invalid_argument);
    EXPECT_THROW(bus.insert(0x10, 1, nullptr), std::invalid_argument);
    EXPECT_FALSE(bus.find(0x10, 1).has_value());  // nothing was inserted
}

TEST(Bus, FindGivesTheDeviceAndTheOffset) {
    Bus bus("test");
    auto low = std::make_shared<RecordingDevice>();
    auto high = std::make_shared<RecordingDevice>();
    bus.insert(0x3f8, 8, low);
    bus.insert(0xd000'0000, 0x1000, high);

    auto match = bus.find(0x3f8, 1);
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->device, low.get());
    EXPECT_EQ(match->offset, 0u);
    match = bus.find(0x3ff, 1);
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->device, low.get());
    EXPECT_EQ(match->offset, 7u);
    match = bus.find(0xd000'0ff8, 8);
    ASSERT_TRUE(match.has_value());
    EXPECT_EQ(match->device, high.get());
    EXPECT_EQ(match->offset, 0xff8u);

    EXPECT_FALSE(bus.find(0x3f7, 1).has_value());        // just below
    EXPECT_FALSE(bus.find(0x400, 1).has_value());        // just above
    EXPECT_FALSE(bus.find(0x1000, 1).has_value());       // in the gap
    EXPECT_FALSE(bus.find(0xd000'1000, 1).has_value());  // past the last range
    EXPECT_FALSE(bus.find(0, 1).has_value());            // before the first
}

TEST(Bus, AccessesStraddlingARangeEndAreUnhandled) {
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>();
    bus.insert(0x10, 0x10, device);
    bus.insert(0x20, 0x10, std::make_shared<RecordingDevice>());  // adjacent
    EXPECT_FALSE(bus.find(0x1f, 2).has_value());
    EXPECT_FALSE(bus.find(0x0f, 2).has_value());
    EXPECT_FALSE(bus.find(0x10, UINT64_MAX).has_value());

    uint8_t bytes[2] = {0, 0};
    EXPECT_FALSE(bus.read(0x1f, bytes));
    EXPECT_EQ(bytes[0], 0xff);
    EXPECT_EQ(bytes[1], 0xff);
    const uint8_t out[4] = {1, 2, 3, 4};
    EXPECT_FALSE(bus.write(0x1e, out));
    EXPECT_TRUE(device->reads.empty());
    EXPECT_TRUE(device->writes.empty());
    EXPECT_EQ(bus.unhandled_accesses(), 2u);
}

TEST(Bus, DispatchesWithTheOffsetAndCountsOnlyUnhandledAccesses) {
    Bus bus("test");
    auto device = std::make_shared<RecordingDevice>(0x42);
    bus.insert(0x600, 6, device);

    uint8_t word[2] = {0, 0};
    EXPECT_TRUE(bus.read(0x604, word));
    EXPECT_EQ(word[0], 0x42);
    EXPECT_EQ(word[1], 0x42);
    const uint8_t value[4] = {1, 2, 3, 4};
    EXPECT_TRUE(bus.write(0x600, value));
    EXPECT_EQ(device->reads, (std::vector<RecordingDevice::Access>{{4, 2}}));
    EXPECT_EQ(device->writes, (std::vector<RecordingDevice::Access>{{0, 4}}));
    EXPECT_EQ(bus.unhandled_accesses(), 0u);

    uint8_t unclaimed[4] = {0, 0, 0, 0};
    EXPECT_FALSE(bus.read(0x80, unclaimed));
    for (uint8_t byte : unclaimed) {
        EXPECT_EQ(byte, 0xff);
    }
    EXPECT_FALSE(bus.write(0x80, value));
    EXPECT_EQ(bus.unhandled_accesses(), 2u);
    EXPECT_EQ(bus.name(), "test");
}

TEST(Bus, RemoveUnregistersOnlyTheRangeStartingThere) {
    Bus bus("test");
    auto moved = std::make_shared<RecordingDevice>();
    auto neighbour = std::make_shared<RecordingDevice>();
    bus.insert(0x1000, 0x100, moved);
    bus.insert(0x1100, 0x100, neighbour);

    EXPECT_FALSE(bus.remove(0x1010));  // inside the range, not its base
    EXPECT_FALSE(bus.remove(0x2000));  // nothing there
    ASSERT_TRUE(bus.find(0x1010, 4).has_value());

    EXPECT_TRUE(bus.remove(0x1000));
    EXPECT_FALSE(bus.find(0x1000, 1).has_value());
    EXPECT_FALSE(bus.remove(0x1000));  // already gone
    uint8_t byte = 0;
    EXPECT_FALSE(bus.read(0x1000, std::span(&byte, 1)));
    EXPECT_TRUE(moved->reads.empty());
    ASSERT_TRUE(bus.find(0x1100, 1).has_value());
    EXPECT_EQ(bus.find(0x1100, 1)->device, neighbour.get());

    // The freed range can be used again, by the same device at a new place too.
    EXPECT_NO_THROW(bus.insert(0x1000, 0x80, std::make_shared<RecordingDevice>()));
    EXPECT_NO_THROW(bus.insert(0x2000, 0x100, moved));
    EXPECT_EQ(bus.find(0x2004, 4)->device, moved.get());
}

// Moves itself to `to` when written, as a PCI BAR does when the guest
// reprograms it through configuration space.
class SelfMovingDevice final : public BusDevice {
public:
    SelfMovingDevice(Bus& bus, uint64_t from, uint64_t to) : bus_(bus), from_(from), to_(to) {}
    std::string_view name() const override { return "mover"; }
    void read(uint64_t, std::span<uint8_t> data) override {
        std::fill(data.begin(), data.end(), 0x5a);
    }
    void write(uint64_t, std::span<const uint8_t>) override {
        ASSERT_TRUE(bus_.remove(from_));
        bus_.insert(to_, 0x10, self);
    }
    std::shared_ptr<BusDevice> self;

private:
    Bus& bus_;
    uint64_t from_;
    uint64_t to_;
};

TEST(Bus, ADeviceMayChangeTheBusWhileItIsDispatched) {
    Bus bus("test");
    auto device = std::make_shared<SelfMovingDevice>(bus, 0x100, 0x200);
    device->self = device;
    bus.insert(0x100, 0x10, device);

    const uint8_t value = 1;
    EXPECT_TRUE(bus.write(0x100, std::span(&value, 1)));  // would deadlock if locked
    uint8_t byte = 0;
    EXPECT_FALSE(bus.read(0x100, std::span(&byte, 1)));
    EXPECT_TRUE(bus.read(0x208, std::span(&byte, 1)));
    EXPECT_EQ(byte, 0x5a);
    device->self.reset();  // break the cycle
}

}  // namespace
}  // namespace berth::devices
