// The network device (virtio 1.2 §5.1), one queue pair, no control queue,
// backed by a packet fd: a TAP interface (tap.h) in Berth, a socket in tests.
//
// Queues (§5.1.2): receiveq1 (0) and transmitq1 (1), 256 entries each.
// Features (§5.1.3): VIRTIO_NET_F_MAC and VIRTIO_NET_F_STATUS (the
// configuration space's mac and status, the link always up),
// VIRTIO_NET_F_MRG_RXBUF, checksum offload both ways (VIRTIO_NET_F_CSUM,
// VIRTIO_NET_F_GUEST_CSUM) and TSO both ways (HOST_TSO4/TSO6/ECN,
// GUEST_TSO4/TSO6/ECN). The header in front of each frame passes unchanged
// between guest and backend (net_header.h); after negotiation the backend
// is told which offloads the guest accepts (tun_offload_flags()), as QEMU
// and Firecracker tell their tap.
//
// Transmit (net_tx.h): process_queue(1) sends each chain straight from guest
// RAM. When the backend is full (EAGAIN) the chain stays in the ring and the
// device's thread waits for the backend to become writable, then carries on
// with the queue: no frame is dropped and nothing spins.
//
// Receive (net_rx.h): the device's thread reads a frame only when the driver
// has posted a buffer for it. When the ring is empty it stops reading the
// backend, whose own queue then holds the frames (back-pressure), until the
// driver kicks queue 0 (process_queue(0) wakes the thread). A frame larger
// than any buffers the driver can post is dropped and counted.
//
// Work per wake-up is bounded by one ring of chains, per queue, as in
// virtio-rng; when more is left the thread wakes itself again.
//
// Threads. The transport serialises activate(), process_queue(), reset() and
// the configuration accesses (virtio_device.h), from a vCPU or the ioeventfd
// thread. activate() starts the device's thread (made with the device,
// before any seccomp filter: vmm/seccomp/standby_thread.h); reset() and the
// destructor stop and join it, so it never uses the queues, guest memory or the
// interrupt after reset() returns. The receive queue belongs to the thread
// alone. The transmit queue is used by process_queue(1) and by the thread
// (after EAGAIN or a spent budget); tx_mutex_ serialises the two.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devices/virtio/net/net_tx.h"
#include "devices/virtio/net/packet_backend.h"
#include "devices/virtio/net/tap.h"
#include "devices/virtio/queue/split_queue.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/common/unique_fd.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/seccomp/standby_thread.h"

namespace berth::virtio {

class VirtioNet final : public VirtioDevice {
public:
    using MacAddress = std::array<uint8_t, 6>;

    static constexpr uint16_t kReceiveQueue = 0;   // receiveq1
    static constexpr uint16_t kTransmitQueue = 1;  // transmitq1
    // QEMU's default. Linux posts one buffer per descriptor with mergeable
    // receive buffers, so 256 buffers of ~1.5-4 KiB each.
    static constexpr uint16_t kQueueSize = 256;

    // `backend.fd` is made non-blocking. Throws SystemError when the host
    // cannot give the device its eventfds, epoll instance or fd flags.
    VirtioNet(PacketBackend backend, MacAddress mac);
    VirtioNet(Tap tap, MacAddress mac);
    ~VirtioNet() override;

    VirtioNet(const VirtioNet&) = delete;
    VirtioNet& operator=(const VirtioNet&) = delete;

    // 52:54:00:12:34:56 + index (QEMU's first address, counted up): locally
    // administered (bit 1 of the first byte) and unicast (bit 0 clear).
    static MacAddress default_mac(unsigned index);

    std::string_view name() const override { return "virtio-net"; }
    uint16_t device_type() const override;
    uint64_t device_features() const override;
    std::vector<uint16_t> queue_max_sizes() const override { return {kQueueSize, kQueueSize}; }

    // struct virtio_net_config (§5.1.4) up to max_virtqueue_pairs: mac,
    // status (VIRTIO_NET_S_LINK_UP), max_virtqueue_pairs (1). Read-only: the
    // driver's writes are ignored.
    uint32_t config_size() const override;
    void read_config(uint32_t offset, std::span<uint8_t> data) override;

    bool activate(const GuestMemory& memory, uint64_t features, std::vector<SplitQueue*> queues,
                  std::shared_ptr<Interrupt> interrupt) override;
    void process_queue(uint16_t queue_index) override;
    void reset() override;

    const MacAddress& mac() const { return mac_; }

    // Counters, any thread. Bytes are frame bytes, without the header.
    uint64_t frames_sent() const { return frames_sent_.load(std::memory_order_relaxed); }
    uint64_t bytes_sent() const { return bytes_sent_.load(std::memory_order_relaxed); }
    uint64_t frames_received() const { return frames_received_.load(std::memory_order_relaxed); }
    uint64_t bytes_received() const { return bytes_received_.load(std::memory_order_relaxed); }
    // Frames from the backend that no buffers the driver can post would hold.
    uint64_t frames_dropped_too_large() const {
        return dropped_too_large_.load(std::memory_order_relaxed);
    }
    // Transmit chains returned unsent: malformed, or refused by the backend.
    uint64_t tx_errors() const { return tx_errors_.load(std::memory_order_relaxed); }
    // Receive chains returned unused because they were malformed.
    uint64_t rx_errors() const { return rx_errors_.load(std::memory_order_relaxed); }

private:
    // What the thread knows about the receive side between wake-ups.
    struct RxState {
        bool waiting_for_buffers = false;  // ring empty: don't read the backend until a kick
        bool stopped = false;              // queue broken or backend gone: until reset
    };

    void run_worker();
    void run_rx_pass(RxState& state);
    bool read_frame(RxState& state);
    void run_tx_pass_locked();
    void stop_worker();
    void deregister_packet_fd();
    // One line on stderr, the first time only: a misbehaving driver must not
    // flood the host's log. The guest's mistakes and the backend's failures
    // are logged separately, so that one does not hide the other.
    void log_guest_error(std::string_view what);
    void log_backend_error(std::string_view what, int error);

    // Fixed at construction.
    const UniqueFd packet_fd_;
    const PacketSink sink_;
    const std::function<void(unsigned)> set_offload_;
    const MacAddress mac_;
    const std::string log_prefix_;  // "berth: virtio-net (tap0): "
    const UniqueFd epoll_fd_;
    const UniqueFd rx_kick_;  // eventfd: the driver posted receive buffers
    const UniqueFd tx_wake_;  // eventfd: the transmit side needs the thread
    const UniqueFd stop_;     // eventfd: the thread must return

    // Set by activate() before the thread starts, cleared by reset() after
    // it was joined; the thread only reads them.
    const GuestMemory* memory_ = nullptr;
    SplitQueue* rx_queue_ = nullptr;
    SplitQueue* tx_queue_ = nullptr;
    std::shared_ptr<Interrupt> interrupt_;
    bool mergeable_ = false;   // VIRTIO_NET_F_MRG_RXBUF
    bool guest_csum_ = false;  // VIRTIO_NET_F_GUEST_CSUM
    seccomp::StandbyThread worker_{seccomp::ThreadKind::kDeviceIo, "berth-net"};

    // The thread's alone while it runs: the frame read from the backend that
    // waits for buffers (pending_ bytes of frame_, header first), and whether
    // the packet fd is still in the epoll set.
    std::vector<uint8_t> frame_;
    size_t pending_ = 0;
    bool packet_fd_registered_ = true;

    // Protects the transmit queue and the two flags, shared by
    // process_queue(1) and the thread.
    std::mutex tx_mutex_;
    bool tx_blocked_ = false;  // the backend said EAGAIN: wait until it is writable
    bool tx_more_ = false;     // a pass stopped at its budget with chains left

    std::atomic<uint64_t> frames_sent_{0};
    std::atomic<uint64_t> bytes_sent_{0};
    std::atomic<uint64_t> frames_received_{0};
    std::atomic<uint64_t> bytes_received_{0};
    std::atomic<uint64_t> dropped_too_large_{0};
    std::atomic<uint64_t> tx_errors_{0};
    std::atomic<uint64_t> rx_errors_{0};
    std::atomic<bool> guest_error_logged_{false};
    std::atomic<bool> backend_error_logged_{false};
};

}  // namespace berth::virtio
