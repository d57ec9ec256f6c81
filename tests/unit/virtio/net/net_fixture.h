// A VirtioNet with a SOCK_SEQPACKET socket pair for its backend: the device
// gets one end as its packet fd, the test holds the other ("the peer") and
// sees exactly the frames, header first, that a TAP interface would. The
// guest's side is a NetTestDriver.
#pragma once

#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "devices/virtio/net/net_header.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/virtio_device.h"
#include "tests/unit/virtio/net/net_test_driver.h"
#include "vmm/common/unique_fd.h"

namespace berth::virtio::testing {

inline constexpr uint64_t kVersion1 = uint64_t{1} << 32;  // VIRTIO_F_VERSION_1

inline constexpr uint64_t net_feature(unsigned bit) {
    return uint64_t{1} << bit;
}

// Counts notifications; the device's thread calls it, the test reads it.
class CountingInterrupt final : public Interrupt {
public:
    void signal_used_queue(uint16_t queue_index) override {
        used[queue_index < 2 ? queue_index : 0].fetch_add(1);
    }
    void signal_config_change() override { config_changes.fetch_add(1); }
    void signal_needs_reset() override { needs_reset.fetch_add(1); }

    std::atomic<int> used[2] = {0, 0};
    std::atomic<int> config_changes{0};
    std::atomic<int> needs_reset{0};
};

// Waits for `condition` for up to `timeout`, looking every millisecond:
// returns as soon as it holds, and whether it did.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// A header as a TAP would carry it: the given flags and GSO fields.
inline virtio_net_hdr_mrg_rxbuf make_header(uint8_t flags = 0, uint16_t csum_start = 0,
                                            uint16_t csum_offset = 0) {
    virtio_net_hdr_mrg_rxbuf header{};
    header.hdr.flags = flags;
    header.hdr.gso_type = VIRTIO_NET_HDR_GSO_NONE;
    header.hdr.csum_start = csum_start;
    header.hdr.csum_offset = csum_offset;
    return header;
}

// Header bytes followed by `payload`.
inline std::vector<uint8_t> with_header(const virtio_net_hdr_mrg_rxbuf& header,
                                        const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> bytes(sizeof(header));
    std::memcpy(bytes.data(), &header, sizeof(header));
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return bytes;
}

// `length` bytes that say which frame they belong to: byte i is
// (seed * 31 + i) % 251, so frames with different seeds differ.
inline std::vector<uint8_t> payload(size_t length, unsigned seed = 0) {
    std::vector<uint8_t> bytes(length);
    for (size_t i = 0; i < length; ++i) {
        bytes[i] = static_cast<uint8_t>((seed * 31 + i) % 251);
    }
    return bytes;
}

inline virtio_net_hdr_mrg_rxbuf header_of(const std::vector<uint8_t>& bytes) {
    virtio_net_hdr_mrg_rxbuf header{};
    EXPECT_GE(bytes.size(), sizeof(header));
    std::memcpy(&header, bytes.data(), std::min(bytes.size(), sizeof(header)));
    return header;
}

class VirtioNetTest : public ::testing::Test {
protected:
    static constexpr unsigned kRx = VirtioNet::kReceiveQueue;
    static constexpr unsigned kTx = VirtioNet::kTransmitQueue;

    void SetUp() override {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), 0);
        device_end_ = UniqueFd(fds[0]);
        peer_ = UniqueFd(fds[1]);
    }

    // The device, on the device end of the pair; `send_buffer` shrinks that
    // end's SO_SNDBUF, so that the backend fills up quickly.
    VirtioNet& make_device(std::optional<int> send_buffer = std::nullopt) {
        if (send_buffer) {
            EXPECT_EQ(::setsockopt(device_end_.get(), SOL_SOCKET, SO_SNDBUF, &*send_buffer,
                                   sizeof(*send_buffer)),
                      0);
        }
        PacketBackend backend;
        backend.fd = std::move(device_end_);
        backend.set_offload = [this](unsigned flags) { offloads_.push_back(flags); };
        net_ = std::make_unique<VirtioNet>(std::move(backend), kMac);
        return *net_;
    }

    // Both queues with `size` entries instead of 256; before activate().
    void set_ring_size(uint16_t size) { driver_ = NetTestDriver(size); }

    // The transport's part: configure both queues, then DRIVER_OK.
    void activate(uint64_t features = 0) {
        if (!net_) {
            make_device();
        }
        driver_.configure(rx_queue_, kRx, features | kVersion1);
        driver_.configure(tx_queue_, kTx, features | kVersion1);
        ASSERT_TRUE(net_->activate(driver_.memory(), features | kVersion1, {&rx_queue_, &tx_queue_},
                                   interrupt_));
    }

    // Sends one frame from the peer, as a tap hands the device one.
    void peer_send(const std::vector<uint8_t>& bytes) {
        ASSERT_EQ(::send(peer_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
                  static_cast<ssize_t>(bytes.size()));
    }

    // The next frame the device sent, waiting up to `timeout`; nullopt if none.
    std::optional<std::vector<uint8_t>> peer_receive(
        std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
        pollfd poll_fd{peer_.get(), POLLIN, 0};
        if (::poll(&poll_fd, 1, static_cast<int>(timeout.count())) != 1) {
            return std::nullopt;
        }
        std::vector<uint8_t> bytes(kNetHeaderSize + kMaxFrameSize + 100);
        const ssize_t got = ::recv(peer_.get(), bytes.data(), bytes.size(), MSG_DONTWAIT);
        if (got < 0) {
            return std::nullopt;
        }
        bytes.resize(static_cast<size_t>(got));
        return bytes;
    }

    // Whether a frame is waiting for the peer right now.
    bool peer_has_frame() {
        pollfd poll_fd{peer_.get(), POLLIN, 0};
        return ::poll(&poll_fd, 1, 0) == 1;
    }

    static constexpr VirtioNet::MacAddress kMac = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};

    // Declared before the device, so that they outlive it.
    NetTestDriver driver_{256};
    SplitQueue rx_queue_{VirtioNet::kQueueSize};
    SplitQueue tx_queue_{VirtioNet::kQueueSize};
    std::shared_ptr<CountingInterrupt> interrupt_ = std::make_shared<CountingInterrupt>();
    std::vector<unsigned> offloads_;
    UniqueFd device_end_;
    UniqueFd peer_;
    std::unique_ptr<VirtioNet> net_;
};

}  // namespace berth::virtio::testing
