#include "vmm/gdb/listen_address.h"

#include <gtest/gtest.h>

namespace berth::gdb {
namespace {

TEST(GdbListenAddress, APortAloneMeansLoopbackOnly) {
    const auto address = parse_listen_address("1234");
    ASSERT_TRUE(address);
    EXPECT_EQ(address->ipv4, 0x7f000001u);
    EXPECT_EQ(address->port, 1234);
    EXPECT_EQ(address->to_string(), "127.0.0.1:1234");
}

TEST(GdbListenAddress, AnAddressIsOnlyUsedWhenGiven) {
    const auto address = parse_listen_address("0.0.0.0:1234");
    ASSERT_TRUE(address);
    EXPECT_EQ(address->ipv4, 0u);
    EXPECT_EQ(address->to_string(), "0.0.0.0:1234");
}

TEST(GdbListenAddress, RejectsWhatIsNotAnIpv4AddressAndPort) {
    for (const char* bad : {"", "x", "65536", "-1", "12a", "localhost:1234", "1.2.3:4", ":1234",
                            "1.2.3.4:", "[::1]:1234", "1234 "}) {
        EXPECT_FALSE(parse_listen_address(bad)) << bad;
    }
}

}  // namespace
}  // namespace berth::gdb
