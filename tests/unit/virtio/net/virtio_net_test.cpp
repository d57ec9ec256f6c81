// virtio-net (virtio 1.2 §5.1) as the transport sees it: identity, features,
// configuration space, offload negotiation, and its life cycle (activate,
// reset, activate again) with a socket pair standing in for the tap.
#include "devices/virtio/net/virtio_net.h"

#include <linux/if_tun.h>
#include <linux/virtio_ids.h>

#include <gtest/gtest.h>

#include <stdexcept>

#include "devices/virtio/net/net_header.h"
#include "tests/unit/virtio/net/net_fixture.h"

namespace berth::virtio {
namespace {

using testing::net_feature;
using testing::payload;
using testing::VirtioNetTest;
using testing::wait_until;
using testing::with_header;
using testing::writable;

TEST_F(VirtioNetTest, DescribesItselfAsANetworkDeviceWithOneQueuePair) {
    VirtioNet& net = make_device();
    EXPECT_EQ(net.device_type(), VIRTIO_ID_NET);
    EXPECT_EQ(net.name(), "virtio-net");
    EXPECT_EQ(net.queue_max_sizes(), (std::vector<uint16_t>{256, 256}));
    const uint64_t features = net.device_features();
    for (unsigned bit : {VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MRG_RXBUF,
                         VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_HOST_TSO4,
                         VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_GUEST_TSO4,
                         VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_ECN}) {
        EXPECT_NE(features & net_feature(bit), 0u) << "feature bit " << bit;
    }
    // No control queue, so nothing that needs one (§5.1.3.1).
    for (unsigned bit :
         {VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_GUEST_ANNOUNCE,
          VIRTIO_NET_F_GUEST_UFO, VIRTIO_NET_F_HOST_UFO}) {
        EXPECT_EQ(features & net_feature(bit), 0u) << "feature bit " << bit;
    }
}

TEST_F(VirtioNetTest, ConfigurationSpaceHoldsTheMacAndAnUpLink) {
    VirtioNet& net = make_device();
    ASSERT_EQ(net.config_size(), 10u);  // mac[6], status, max_virtqueue_pairs
    std::vector<uint8_t> mac(6);
    net.read_config(0, mac);
    EXPECT_EQ(mac, std::vector<uint8_t>(kMac.begin(), kMac.end()));

    std::vector<uint8_t> status(2);
    net.read_config(6, status);  // little-endian u16
    EXPECT_EQ(status, (std::vector<uint8_t>{VIRTIO_NET_S_LINK_UP, 0}));
    std::vector<uint8_t> pairs(2);
    net.read_config(8, pairs);
    EXPECT_EQ(pairs, (std::vector<uint8_t>{1, 0}));

    // One byte at a time, as Linux reads the mac (virtio_cread_bytes).
    std::vector<uint8_t> byte(1);
    net.read_config(5, byte);
    EXPECT_EQ(byte[0], kMac[5]);

    // Writes change nothing.
    const std::vector<uint8_t> zeros(6, 0);
    net.write_config(0, zeros);
    net.read_config(0, mac);
    EXPECT_EQ(mac, std::vector<uint8_t>(kMac.begin(), kMac.end()));
}

TEST(VirtioNetMac, DefaultMacsAreLocallyAdministeredUnicastAndDistinct) {
    const auto first = VirtioNet::default_mac(0);
    EXPECT_EQ(first, (VirtioNet::MacAddress{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}));
    EXPECT_EQ(first[0] & 0x01, 0);  // unicast
    EXPECT_NE(first[0] & 0x02, 0);  // locally administered
    EXPECT_EQ(VirtioNet::default_mac(1)[5], 0x57);
    // Counting carries into the next byte instead of wrapping.
    EXPECT_EQ(VirtioNet::default_mac(0xaa),
              (VirtioNet::MacAddress{0x52, 0x54, 0x00, 0x12, 0x35, 0x00}));
}

TEST(VirtioNetOffloads, FollowTheGuestFeaturesAndTheirDependencies) {
    const uint64_t csum = net_feature(VIRTIO_NET_F_GUEST_CSUM);
    const uint64_t tso4 = net_feature(VIRTIO_NET_F_GUEST_TSO4);
    const uint64_t tso6 = net_feature(VIRTIO_NET_F_GUEST_TSO6);
    const uint64_t ecn = net_feature(VIRTIO_NET_F_GUEST_ECN);
    EXPECT_EQ(tun_offload_flags(0), 0u);
    EXPECT_EQ(tun_offload_flags(csum), unsigned{TUN_F_CSUM});
    EXPECT_EQ(tun_offload_flags(csum | tso4 | tso6 | ecn),
              unsigned{TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN});
    EXPECT_EQ(tun_offload_flags(csum | tso6), unsigned{TUN_F_CSUM | TUN_F_TSO6});
    // TSO needs GUEST_CSUM, ECN needs TSO (§5.1.3.1).
    EXPECT_EQ(tun_offload_flags(tso4 | tso6 | ecn), 0u);
    EXPECT_EQ(tun_offload_flags(csum | ecn), unsigned{TUN_F_CSUM});
    // The HOST_* features are about the other direction: no tap offload.
    EXPECT_EQ(
        tun_offload_flags(net_feature(VIRTIO_NET_F_CSUM) | net_feature(VIRTIO_NET_F_HOST_TSO4)),
        0u);
}

TEST_F(VirtioNetTest, TellsTheBackendWhichOffloadsTheDriverAccepted) {
    activate(net_feature(VIRTIO_NET_F_GUEST_CSUM) | net_feature(VIRTIO_NET_F_GUEST_TSO4) |
             net_feature(VIRTIO_NET_F_GUEST_ECN) | net_feature(VIRTIO_NET_F_MRG_RXBUF));
    EXPECT_EQ(offloads_, (std::vector<unsigned>{TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN}));

    // After a reset, a driver that accepts none turns them all off.
    net_->reset();
    rx_queue_.reset();
    tx_queue_.reset();
    activate(0);
    EXPECT_EQ(offloads_, (std::vector<unsigned>{TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN, 0}));
}

TEST_F(VirtioNetTest, RefusesToStartWhenTheBackendRefusesTheOffloads) {
    PacketBackend backend;
    backend.fd = std::move(device_end_);
    backend.set_offload = [](unsigned) { throw std::runtime_error("TUNSETOFFLOAD: refused"); };
    VirtioNet net(std::move(backend), kMac);
    driver_.configure(rx_queue_, kRx);
    driver_.configure(tx_queue_, kTx);
    EXPECT_FALSE(net.activate(driver_.memory(), 0, {&rx_queue_, &tx_queue_}, interrupt_));
}

TEST_F(VirtioNetTest, RefusesToActivateWithoutBothQueuesAndAnInterrupt) {
    VirtioNet& net = make_device();
    EXPECT_FALSE(net.activate(driver_.memory(), 0, {&rx_queue_}, interrupt_));
    EXPECT_FALSE(net.activate(driver_.memory(), 0, {&rx_queue_, nullptr}, interrupt_));
    EXPECT_FALSE(net.activate(driver_.memory(), 0, {&rx_queue_, &tx_queue_}, nullptr));
}

TEST_F(VirtioNetTest, DoesNothingBeforeActivationOrAfterReset) {
    VirtioNet& net = make_device();
    driver_.configure(rx_queue_, kRx);
    driver_.configure(tx_queue_, kTx);
    driver_.offer(kTx, {testing::readable(with_header(testing::make_header(), payload(60)))});
    net.process_queue(kTx);  // not active
    net.process_queue(kRx);
    EXPECT_EQ(driver_.used_idx(kTx), 0);
    EXPECT_FALSE(peer_has_frame());

    ASSERT_TRUE(
        net.activate(driver_.memory(), testing::kVersion1, {&rx_queue_, &tx_queue_}, interrupt_));
    net.process_queue(kTx);
    EXPECT_EQ(driver_.used_idx(kTx), 1);
    ASSERT_TRUE(peer_receive().has_value());

    net.reset();
    driver_.offer(kTx, {testing::readable(with_header(testing::make_header(), payload(60)))});
    net.process_queue(kTx);
    EXPECT_EQ(driver_.used_idx(kTx), 1);
    EXPECT_FALSE(peer_has_frame());
}

TEST_F(VirtioNetTest, ResetWithFramesWaitingReturnsAndLosesNothingTheGuestCouldSee) {
    activate();  // no receive buffers
    for (unsigned i = 0; i < 5; ++i) {
        peer_send(with_header(testing::make_header(), payload(100, i)));
    }
    net_->process_queue(kRx);  // a kick with nothing posted
    net_->reset();             // returns: the thread is joined
    EXPECT_EQ(net_->frames_received(), 0u);

    // A new driver (after the guest's reset) gets every frame: none was read
    // while there was nowhere to put it.
    rx_queue_.reset();
    tx_queue_.reset();
    set_ring_size(256);
    activate();
    for (unsigned i = 0; i < 5; ++i) {
        driver_.offer(kRx, {writable(1600)});
    }
    net_->process_queue(kRx);
    ASSERT_TRUE(wait_until([&] { return driver_.used_idx(kRx) == 5; }));
    EXPECT_EQ(net_->frames_received(), 5u);
    EXPECT_EQ(net_->frames_dropped_too_large(), 0u);
}

TEST_F(VirtioNetTest, ResetWhileTransmitIsBlockedReturns) {
    make_device(/*send_buffer=*/4096);
    activate();
    for (unsigned i = 0; i < 64; ++i) {
        driver_.offer(kTx,
                      {testing::readable(with_header(testing::make_header(), payload(2000, i)))});
    }
    net_->process_queue(kTx);
    ASSERT_LT(driver_.used_idx(kTx), 64);  // the backend filled up
    net_->reset();                         // the thread waiting for EPOLLOUT stops
    const uint64_t sent = net_->frames_sent();
    // Nothing more goes out once reset: the frames in the socket are all
    // there were (sends are synchronous, and the thread is joined).
    uint64_t received = 0;
    while (peer_receive(std::chrono::milliseconds(0))) {
        ++received;
    }
    EXPECT_EQ(received, sent);
    EXPECT_EQ(net_->frames_sent(), sent);
}

}  // namespace
}  // namespace berth::virtio
