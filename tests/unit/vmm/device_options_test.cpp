#include "vmm/cli/device_options.h"

#include <gtest/gtest.h>

#include "vmm/common/error.h"

namespace berth::cli {
namespace {

TEST(DiskOption, APathAloneIsAWritableDisk) {
    const DiskConfig disk = parse_disk_option("/images/root.img");
    EXPECT_EQ(disk.path, "/images/root.img");
    EXPECT_FALSE(disk.read_only);
    EXPECT_FALSE(disk.direct);
    EXPECT_EQ(disk.serial, "");
}

TEST(DiskOption, ReadsEverySetting) {
    const DiskConfig disk = parse_disk_option("data.img,ro,serial=disk-7,direct=on");
    EXPECT_EQ(disk.path, "data.img");
    EXPECT_TRUE(disk.read_only);
    EXPECT_TRUE(disk.direct);
    EXPECT_EQ(disk.serial, "disk-7");
    EXPECT_FALSE(parse_disk_option("d.img,ro=off").read_only);
}

TEST(DiskOption, RefusesWhatItDoesNotKnow) {
    for (const char* text :
         {"", ",ro", "d.img,rw", "d.img,,ro", "d.img,serial=", "d.img,serial=123456789012345678901",
          "d.img,direct=maybe", "d.img,ro=perhaps", "d.img,cache=none"}) {
        EXPECT_THROW(parse_disk_option(text), UserError) << text;
    }
    // 20 bytes is the most GET_ID can return.
    EXPECT_EQ(parse_disk_option("d.img,serial=12345678901234567890").serial.size(), 20u);
}

TEST(NetOption, TapAndMac) {
    const NetConfig net = parse_net_option("tap=tap0,mac=52:54:00:ab:cd:EF");
    EXPECT_EQ(net.tap_name, "tap0");
    ASSERT_TRUE(net.mac.has_value());
    EXPECT_EQ(*net.mac, (std::array<uint8_t, 6>{0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}));
    EXPECT_FALSE(parse_net_option("tap=t").mac.has_value());
}

TEST(NetOption, RefusesBadNamesAndAddresses) {
    for (const char* text :
         {"", "tap0", "tap=", "tap=a/b", "tap=0123456789abcdef", "mac=52:54:00:12:34:56",
          "tap=t,mac=52:54:00:12:34", "tap=t,mac=52-54-00-12-34-56", "tap=t,mac=01:00:5e:00:00:01",
          "tap=t,mac=52:54:00:12:34:5g", "tap=t,vhost=on"}) {
        EXPECT_THROW(parse_net_option(text), UserError) << text;
    }
    EXPECT_EQ(parse_net_option("tap=0123456789abcde").tap_name.size(), 15u);  // IFNAMSIZ - 1
}

// Found by tests/fuzz/fuzz_cli_options: the kernel's dev_valid_name() refuses
// every isspace() character, not only blanks and tabs.
TEST(NetOption, RefusesWhiteSpaceTheKernelRefuses) {
    for (const char* text : {"tap=ta\n", "tap=a\rb", "tap=\va", "tap=a\f", "tap=a b", "tap=a\tb"}) {
        EXPECT_THROW(parse_net_option(text), UserError) << text;
    }
}

TEST(ConsoleOption, SerialOrVirtio) {
    EXPECT_EQ(parse_console_option("serial"), ConsoleKind::kSerial);
    EXPECT_EQ(parse_console_option("virtio"), ConsoleKind::kVirtio);
    EXPECT_THROW(parse_console_option("hvc0"), UserError);
}

}  // namespace
}  // namespace berth::cli
