#include "vmm/cli/size.h"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

TEST(ParseSize, UnitsArePowersOf1024) {
    EXPECT_EQ(parse_size("512M"), 512ull << 20);
    EXPECT_EQ(parse_size("2G"), 2ull << 30);
    EXPECT_EQ(parse_size("64K"), 64ull << 10);
    EXPECT_EQ(parse_size("1T"), 1ull << 40);
    EXPECT_EQ(parse_size("2GiB"), 2ull << 30);
    EXPECT_EQ(parse_size("256mb"), 256ull << 20);
    EXPECT_EQ(parse_size("5g"), 5ull << 30);
}

TEST(ParseSize, BareNumberIsMebibytes) {
    EXPECT_EQ(parse_size("256"), 256ull << 20);
}

TEST(ParseSize, RefusesWhatIsNotASize) {
    for (const char* text : {"", "M", "1.5G", "-1G", "12Q", "1GG", " 1G", "1G ", "0x10M", "1 G"}) {
        EXPECT_FALSE(parse_size(text).has_value()) << text;
    }
}

TEST(ParseSize, RefusesOverflow) {
    EXPECT_FALSE(parse_size("16777216T").has_value());      // 2^24 TiB = 2^64 bytes
    EXPECT_EQ(parse_size("16777215T"), 16777215ull << 40);  // just fits
    EXPECT_FALSE(parse_size("99999999999999999999999").has_value());
}

}  // namespace
}  // namespace berth::cli
