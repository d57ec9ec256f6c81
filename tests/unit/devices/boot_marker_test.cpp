#include "devices/legacy/boot_marker.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "devices/legacy/post_code_port.h"
#include "tests/unit/devices/fake_irq_line.h"

namespace berth::devices {
namespace {

class BootMarkerTest : public ::testing::Test {
protected:
    std::vector<std::pair<uint64_t, uint64_t>> markers_;
    BootMarker marker_{
        [this](uint64_t offset, uint64_t value) { markers_.emplace_back(offset, value); }};
};

TEST_F(BootMarkerTest, DeliversAOneByteWrite) {
    testing::write8(marker_, 0, static_cast<uint8_t>(BootMarker::kInitReached));
    ASSERT_EQ(markers_.size(), 1u);
    EXPECT_EQ(markers_[0], std::make_pair(uint64_t{0}, BootMarker::kInitReached));
}

TEST_F(BootMarkerTest, DeliversWiderWritesLittleEndian) {
    const uint8_t four[4] = {0x78, 0x56, 0x34, 0x12};
    marker_.write(8, four);
    const uint8_t eight[8] = {1, 2, 3, 4, 5, 6, 7, 0x88};
    marker_.write(0x10, eight);
    ASSERT_EQ(markers_.size(), 2u);
    EXPECT_EQ(markers_[0], std::make_pair(uint64_t{8}, uint64_t{0x12345678}));
    EXPECT_EQ(markers_[1], std::make_pair(uint64_t{0x10}, uint64_t{0x8807060504030201}));
}

TEST_F(BootMarkerTest, ReadsReturnZero) {
    uint8_t bytes[4] = {0xaa, 0xaa, 0xaa, 0xaa};
    marker_.read(0, bytes);
    for (uint8_t byte : bytes) {
        EXPECT_EQ(byte, 0);
    }
    EXPECT_TRUE(markers_.empty());
}

TEST(PostCodePort, DiscardsWritesAndReadsAllOnes) {
    PostCodePort port;
    testing::write8(port, 0, 0x42);
    EXPECT_EQ(testing::read8(port, 0), 0xff);
    EXPECT_EQ(port.name(), "post-code-port");
}

}  // namespace
}  // namespace berth::devices
