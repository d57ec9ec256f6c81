#include "vmm/gdb/hex.h"

#include <gtest/gtest.h>

namespace berth::gdb {
namespace {

TEST(GdbHex, BytesRoundTripInMemoryOrder) {
    const std::vector<uint8_t> bytes{0x00, 0x12, 0xab, 0xff};
    EXPECT_EQ(to_hex(bytes), "0012abff");
    EXPECT_EQ(from_hex("0012ABff"), bytes);
}

TEST(GdbHex, RejectsOddLengthsAndNonDigits) {
    EXPECT_FALSE(from_hex("abc"));
    EXPECT_FALSE(from_hex("zz"));
    EXPECT_FALSE(from_hex("0x"));
    EXPECT_EQ(from_hex("")->size(), 0u);
}

TEST(GdbHex, NumbersAreBigEndianAndBounded) {
    EXPECT_EQ(parse_hex_number("ffffffff81000000"), 0xffffffff81000000u);
    EXPECT_EQ(parse_hex_number("0"), 0u);
    EXPECT_FALSE(parse_hex_number(""));
    EXPECT_FALSE(parse_hex_number("10000000000000000"));  // 17 digits: more than 64 bits
    EXPECT_FALSE(parse_hex_number("-1"));
    EXPECT_FALSE(parse_hex_number("12 "));
    EXPECT_EQ(hex_number(0), "0");
    EXPECT_EQ(hex_number(0x1f), "1f");
}

TEST(GdbHex, TextBecomesHexBytes) {
    EXPECT_EQ(text_to_hex("vCPU 0"),
              "7643505520"
              "30");
}

}  // namespace
}  // namespace berth::gdb
