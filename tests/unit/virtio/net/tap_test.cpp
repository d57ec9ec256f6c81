// Tap (devices/virtio/net/tap.h) against the host kernel: a name Berth
// opens that does not exist yet becomes a TAP interface that is up, carries
// frames with the virtio-net header, and goes away when closed. Skipped
// where the host has no /dev/net/tun or refuses to create interfaces.
#include "devices/virtio/net/tap.h"

#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "devices/virtio/net/virtio_net.h"
#include "tests/unit/virtio/net/net_fixture.h"
#include "vmm/common/error.h"

namespace berth::virtio {
namespace {

bool interface_exists(const std::string& name) {
    struct stat info {};
    return ::stat(("/sys/class/net/" + name).c_str(), &info) == 0;
}

// /sys/class/net/NAME/flags, a hex number (IFF_UP is bit 0).
std::optional<unsigned> interface_flags(const std::string& name) {
    std::ifstream file("/sys/class/net/" + name + "/flags");
    unsigned flags = 0;
    if (!(file >> std::hex >> flags)) {
        return std::nullopt;
    }
    return flags;
}

// A name no other test run uses at the same time.
std::string fresh_name() {
    return "berthtest" + std::to_string(::getpid() % 100000);
}

// Opens `name`, or skips the test where this host cannot have taps.
std::optional<Tap> open_or_skip(const std::string& name) {
    if (::access("/dev/net/tun", F_OK) != 0) {
        return std::nullopt;
    }
    try {
        return Tap::open(name);
    } catch (const UserError& error) {
        const std::string what = error.what();
        if (what.find("permission") != std::string::npos) {
            return std::nullopt;
        }
        throw;
    }
}

std::string user_error_of(const std::string& name) {
    try {
        Tap::open(name);
    } catch (const UserError& error) {
        return error.what();
    }
    return "(no error)";
}

TEST(VirtioNetTap, RefusesNamesTheKernelWouldRefuseWithAMessageNamingThem) {
    EXPECT_NE(user_error_of("").find("empty"), std::string::npos);
    const std::string long_name(IFNAMSIZ, 'x');  // one byte too many
    const std::string message = user_error_of(long_name);
    EXPECT_NE(message.find(long_name), std::string::npos) << message;
    EXPECT_NE(message.find("at most 15"), std::string::npos) << message;
    EXPECT_NE(user_error_of("a/b").find("not a valid interface name"), std::string::npos);
    EXPECT_NE(user_error_of("a b").find("not a valid interface name"), std::string::npos);
}

TEST(VirtioNetTap, CreatesAMissingInterfaceBringsItUpAndRemovesItWhenClosed) {
    const std::string name = fresh_name();
    ASSERT_FALSE(interface_exists(name)) << "left over from an earlier run: ip link del " << name;
    std::optional<Tap> tap = open_or_skip(name);
    if (!tap) {
        GTEST_SKIP() << "no /dev/net/tun, or no permission to create a tap here";
    }
    EXPECT_EQ(tap->name(), name);
    EXPECT_TRUE(tap->created());
    EXPECT_TRUE(interface_exists(name));
    const auto flags = interface_flags(name);
    ASSERT_TRUE(flags.has_value());
    EXPECT_NE(*flags & IFF_UP, 0u);

    // The fd is set up for VirtioNet: the 12-byte header and non-blocking.
    int header_size = 0;
    ASSERT_EQ(::ioctl(tap->fd(), TUNGETVNETHDRSZ, &header_size), 0);
    EXPECT_EQ(header_size, 12);
    EXPECT_NE(::fcntl(tap->fd(), F_GETFL) & O_NONBLOCK, 0);
    // Every offload the device may ask for is accepted.
    EXPECT_NO_THROW(tap->set_offload(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN));
    EXPECT_NO_THROW(tap->set_offload(0));

    tap.reset();  // closes the fd: a tap Berth created is not persistent
    EXPECT_FALSE(interface_exists(name));
}

TEST(VirtioNetTap, AttachesToAnExistingInterfaceAndLeavesItThere) {
    const std::string name = fresh_name();
    std::optional<Tap> owner = open_or_skip(name);
    if (!owner) {
        GTEST_SKIP() << "no /dev/net/tun, or no permission to create a tap here";
    }
    // Persistent, as `ip tuntap add` makes it, so that it outlives its fd.
    ASSERT_EQ(::ioctl(owner->fd(), TUNSETPERSIST, 1), 0);
    owner.reset();
    ASSERT_TRUE(interface_exists(name));

    {
        Tap tap = Tap::open(name);
        EXPECT_FALSE(tap.created());
        // A second open of the same single-queue tap is refused, and says so.
        const std::string message = user_error_of(name);
        EXPECT_NE(message.find("in use"), std::string::npos) << message;
        EXPECT_NE(message.find(name), std::string::npos) << message;

        ASSERT_EQ(::ioctl(tap.fd(), TUNSETPERSIST, 0), 0);  // clean up with the last close
    }
    EXPECT_FALSE(interface_exists(name));
}

TEST(VirtioNetTap, RefusesAnInterfaceThatIsNotATap) {
    if (::access("/dev/net/tun", F_OK) != 0 || !interface_exists("lo")) {
        GTEST_SKIP() << "no /dev/net/tun or no loopback interface";
    }
    const std::string message = user_error_of("lo");
    if (message.find("permission") != std::string::npos) {
        GTEST_SKIP() << "no permission to use /dev/net/tun here";
    }
    EXPECT_NE(message.find("not a single-queue TAP"), std::string::npos) << message;
}

TEST(VirtioNetTap, CarriesFramesForVirtioNet) {
    const std::string name = fresh_name();
    std::optional<Tap> tap = open_or_skip(name);
    if (!tap) {
        GTEST_SKIP() << "no /dev/net/tun, or no permission to create a tap here";
    }
    // A frame the guest sends is one the host's side of the tap receives
    // (its rx_packets), and one the host sends on the tap reaches the guest.
    testing::NetTestDriver driver(16);
    SplitQueue rx(VirtioNet::kQueueSize);
    SplitQueue tx(VirtioNet::kQueueSize);
    auto interrupt = std::make_shared<testing::CountingInterrupt>();
    VirtioNet net(std::move(*tap), VirtioNet::default_mac(0));
    driver.configure(rx, 0, testing::kVersion1);
    driver.configure(tx, 1, testing::kVersion1);
    ASSERT_TRUE(net.activate(driver.memory(), testing::kVersion1, {&rx, &tx}, interrupt));

    auto read_counter = [&](const char* counter) {
        std::ifstream file("/sys/class/net/" + name + "/statistics/" + counter);
        uint64_t value = 0;
        file >> value;
        return value;
    };
    const uint64_t before = read_counter("rx_packets");
    // A broadcast Ethernet frame with an unknown EtherType, from our MAC.
    std::vector<uint8_t> frame(60, 0);
    std::fill(frame.begin(), frame.begin() + 6, 0xff);
    const auto mac = VirtioNet::default_mac(0);
    std::copy(mac.begin(), mac.end(), frame.begin() + 6);
    frame[12] = 0x88;
    frame[13] = 0xb5;  // IEEE 802 local experimental EtherType
    driver.offer(1, {testing::readable(testing::with_header(testing::make_header(), frame))});
    net.process_queue(1);
    ASSERT_EQ(driver.used_idx(1), 1);
    EXPECT_EQ(net.frames_sent(), 1u);
    EXPECT_EQ(net.tx_errors(), 0u);
    EXPECT_TRUE(testing::wait_until([&] { return read_counter("rx_packets") == before + 1; }));

    // The other way: a raw frame sent on the interface from the host. The
    // kernel may send frames of its own on a new interface (IPv6 router
    // solicitations), so look for ours among what arrives.
    std::map<uint32_t, testing::PlacedBuffer> buffers;  // by head
    for (int i = 0; i < 8; ++i) {
        std::vector<testing::PlacedBuffer> placed;
        const uint16_t head = driver.offer(0, {testing::writable(1526)}, &placed);
        buffers[head] = placed.front();
    }
    net.process_queue(0);
    UniqueFd packet(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(packet.valid()) << "AF_PACKET socket: " << std::strerror(errno);
    sockaddr_ll address{};
    address.sll_family = AF_PACKET;
    address.sll_ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
    address.sll_halen = 6;
    std::vector<uint8_t> inbound = frame;
    std::copy(mac.begin(), mac.end(), inbound.begin());  // to the guest
    inbound[6] = 0x02;                                   // from a made-up host address
    inbound[20] = 0x42;                                  // a mark to find it by
    ASSERT_EQ(::sendto(packet.get(), inbound.data(), inbound.size(), 0,
                       reinterpret_cast<const sockaddr*>(&address), sizeof(address)),
              static_cast<ssize_t>(inbound.size()));
    bool found = false;
    ASSERT_TRUE(testing::wait_until([&] {
        for (uint16_t n = 0; n < driver.used_idx(0) && !found; ++n) {
            const auto used = driver.used_element(0, n);
            const auto bytes = driver.read_bytes(buffers.at(used.id).address, used.len);
            found = bytes.size() >= kNetHeaderSize &&
                    std::vector<uint8_t>(bytes.begin() + kNetHeaderSize, bytes.end()) == inbound;
        }
        return found;
    }));
    EXPECT_GE(net.frames_received(), 1u);
    net.reset();
}

}  // namespace
}  // namespace berth::virtio
