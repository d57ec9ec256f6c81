#include "devices/virtio/net/virtio_net.h"

#include <endian.h>
#include <fcntl.h>
#include <linux/virtio_ids.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <variant>

#include "devices/virtio/net/net_header.h"
#include "devices/virtio/net/net_rx.h"
#include "vmm/common/error.h"

namespace berth::virtio {

namespace {

// What woke the device's thread: the epoll_event's data.
enum : uint64_t { kPacketTag, kRxKickTag, kTxWakeTag, kStopTag };

constexpr uint64_t bit(unsigned feature) {
    return uint64_t{1} << feature;
}

UniqueFd make_eventfd() {
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        throw SystemError("virtio-net: eventfd", errno);
    }
    return UniqueFd(fd);
}

UniqueFd make_epoll() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) {
        throw SystemError("virtio-net: epoll_create1", errno);
    }
    return UniqueFd(fd);
}

void epoll_control(int epoll_fd, int operation, int fd, uint32_t events, uint64_t tag) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = tag;
    if (::epoll_ctl(epoll_fd, operation, fd, &event) < 0) {
        throw SystemError("virtio-net: epoll_ctl", errno);
    }
}

bool is_socket(int fd) {
    struct stat info {};
    return ::fstat(fd, &info) == 0 && S_ISSOCK(info.st_mode);
}

// An eventfd's counter only saturates after 2^64 - 2 writes, so a write
// cannot fail here; the counter is read back whole by drain().
void signal_eventfd(const UniqueFd& fd) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(fd.get(), &one, sizeof(one));
}

void drain_eventfd(const UniqueFd& fd) {
    uint64_t count = 0;
    [[maybe_unused]] const ssize_t got = ::read(fd.get(), &count, sizeof(count));
}

// Puts back the chain pop() just took (see put_back() in net_rx.cpp).
void put_back_one(SplitQueue& queue) {
    queue.set_next_avail(static_cast<uint16_t>(queue.next_avail() - 1));
}

}  // namespace

VirtioNet::VirtioNet(PacketBackend backend, MacAddress mac)
    : packet_fd_(std::move(backend.fd)),
      sink_{packet_fd_.get(), is_socket(packet_fd_.get())},
      set_offload_(std::move(backend.set_offload)),
      mac_(mac),
      log_prefix_(backend.name.empty() ? "berth: virtio-net: "
                                       : "berth: virtio-net (" + backend.name + "): "),
      epoll_fd_(make_epoll()),
      rx_kick_(make_eventfd()),
      tx_wake_(make_eventfd()),
      stop_(make_eventfd()),
      // One byte more than the largest frame, to tell a frame cut to fit from
      // one that just fits.
      frame_(kNetHeaderSize + kMaxFrameSize + 1) {
    if (!packet_fd_.valid()) {
        throw std::invalid_argument("virtio-net needs a packet fd");
    }
    const int flags = ::fcntl(packet_fd_.get(), F_GETFL);
    if (flags < 0 || ::fcntl(packet_fd_.get(), F_SETFL, flags | O_NONBLOCK) < 0) {
        throw SystemError("virtio-net: fcntl O_NONBLOCK on the packet fd", errno);
    }
    // The packet fd starts with no events; the thread asks for the ones it
    // needs (EPOLLIN, EPOLLOUT) as it goes.
    epoll_control(epoll_fd_.get(), EPOLL_CTL_ADD, packet_fd_.get(), 0, kPacketTag);
    epoll_control(epoll_fd_.get(), EPOLL_CTL_ADD, rx_kick_.get(), EPOLLIN, kRxKickTag);
    epoll_control(epoll_fd_.get(), EPOLL_CTL_ADD, tx_wake_.get(), EPOLLIN, kTxWakeTag);
    epoll_control(epoll_fd_.get(), EPOLL_CTL_ADD, stop_.get(), EPOLLIN, kStopTag);
}

VirtioNet::VirtioNet(Tap tap, MacAddress mac) : VirtioNet(std::move(tap).into_backend(), mac) {}

VirtioNet::~VirtioNet() {
    stop_worker();
}

VirtioNet::MacAddress VirtioNet::default_mac(unsigned index) {
    const uint32_t tail = (0x123456u + index) & 0xffffffu;
    return {0x52,
            0x54,
            0x00,
            static_cast<uint8_t>(tail >> 16),
            static_cast<uint8_t>(tail >> 8),
            static_cast<uint8_t>(tail)};
}

uint16_t VirtioNet::device_type() const {
    return VIRTIO_ID_NET;
}

uint64_t VirtioNet::device_features() const {
    return bit(VIRTIO_NET_F_CSUM) | bit(VIRTIO_NET_F_GUEST_CSUM) | bit(VIRTIO_NET_F_MAC) |
           bit(VIRTIO_NET_F_GUEST_TSO4) | bit(VIRTIO_NET_F_GUEST_TSO6) |
           bit(VIRTIO_NET_F_GUEST_ECN) | bit(VIRTIO_NET_F_HOST_TSO4) | bit(VIRTIO_NET_F_HOST_TSO6) |
           bit(VIRTIO_NET_F_HOST_ECN) | bit(VIRTIO_NET_F_MRG_RXBUF) | bit(VIRTIO_NET_F_STATUS);
}

uint32_t VirtioNet::config_size() const {
    return offsetof(virtio_net_config, mtu);  // mac, status, max_virtqueue_pairs
}

void VirtioNet::read_config(uint32_t offset, std::span<uint8_t> data) {
    // §5.1.4: little-endian fields, as every virtio 1.x configuration.
    std::array<uint8_t, offsetof(virtio_net_config, mtu)> config{};
    std::memcpy(config.data() + offsetof(virtio_net_config, mac), mac_.data(), mac_.size());
    const uint16_t status = htole16(VIRTIO_NET_S_LINK_UP);
    std::memcpy(config.data() + offsetof(virtio_net_config, status), &status, sizeof(status));
    const uint16_t pairs = htole16(1);
    std::memcpy(config.data() + offsetof(virtio_net_config, max_virtqueue_pairs), &pairs,
                sizeof(pairs));

    std::fill(data.begin(), data.end(), 0);
    if (offset < config.size()) {
        const size_t length = std::min<size_t>(data.size(), config.size() - offset);
        std::memcpy(data.data(), config.data() + offset, length);
    }
}

bool VirtioNet::activate(const GuestMemory& memory, uint64_t features,
                         std::vector<SplitQueue*> queues, std::shared_ptr<Interrupt> interrupt) {
    if (queues.size() != 2 || queues[0] == nullptr || queues[1] == nullptr || !interrupt) {
        return false;
    }
    stop_worker();  // activated twice without a reset: start afresh
    if (set_offload_) {
        try {
            set_offload_(tun_offload_flags(features));
        } catch (const std::exception& error) {
            log_backend_error(error.what(), 0);
            return false;
        }
    }
    memory_ = &memory;
    rx_queue_ = queues[kReceiveQueue];
    tx_queue_ = queues[kTransmitQueue];
    interrupt_ = std::move(interrupt);
    mergeable_ = (features & bit(VIRTIO_NET_F_MRG_RXBUF)) != 0;
    guest_csum_ = (features & bit(VIRTIO_NET_F_GUEST_CSUM)) != 0;
    pending_ = 0;
    {
        std::lock_guard lock(tx_mutex_);
        tx_blocked_ = false;
        tx_more_ = false;
    }
    drain_eventfd(rx_kick_);
    drain_eventfd(tx_wake_);
    worker_.start([this] { run_worker(); });
    return true;
}

void VirtioNet::process_queue(uint16_t queue_index) {
    if (memory_ == nullptr) {
        return;  // not active
    }
    if (queue_index == kReceiveQueue) {
        signal_eventfd(rx_kick_);  // the thread takes the buffers when it has frames
    } else if (queue_index == kTransmitQueue) {
        std::lock_guard lock(tx_mutex_);
        if (!tx_blocked_) {  // when blocked, the thread carries on once it can
            run_tx_pass_locked();
        }
    }
}

void VirtioNet::reset() {
    stop_worker();
    memory_ = nullptr;
    rx_queue_ = nullptr;
    tx_queue_ = nullptr;
    interrupt_.reset();
    mergeable_ = false;
    guest_csum_ = false;
    pending_ = 0;  // a frame read for the driver that was just reset is dropped
    std::lock_guard lock(tx_mutex_);
    tx_blocked_ = false;
    tx_more_ = false;
}

void VirtioNet::stop_worker() {
    if (!worker_.joinable()) {
        return;
    }
    signal_eventfd(stop_);
    worker_.join();
    drain_eventfd(stop_);
}

// --- Transmit ------------------------------------------------------------

void VirtioNet::run_tx_pass_locked() {
    bool returned_any = false;
    bool done = false;  // the ring is empty, the backend full, or the queue broken
    const uint32_t budget = std::max<uint32_t>(tx_queue_->size(), 1);
    for (uint32_t served = 0; served < budget && !done; ++served) {
        PopResult next = tx_queue_->pop(*memory_);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            const TxResult result = transmit_chain(*memory_, *chain, sink_);
            switch (result.status) {
                case TxStatus::kSent:
                    frames_sent_.fetch_add(1, std::memory_order_relaxed);
                    bytes_sent_.fetch_add(result.frame_bytes, std::memory_order_relaxed);
                    break;
                case TxStatus::kWouldBlock:
                    // Not dropped: the chain goes back in the ring, and the
                    // thread carries on when the backend is writable again.
                    put_back_one(*tx_queue_);
                    tx_blocked_ = true;
                    signal_eventfd(tx_wake_);
                    done = true;
                    continue;
                case TxStatus::kMalformed:
                    tx_errors_.fetch_add(1, std::memory_order_relaxed);
                    log_guest_error(
                        "a transmit chain is not a frame (shorter than the header or "
                        "longer than 65562 bytes)");
                    break;
                case TxStatus::kBackendError:
                    tx_errors_.fetch_add(1, std::memory_order_relaxed);
                    // EIO: a tap that is down refuses frames (ip link set NAME up).
                    log_backend_error(result.error == EIO
                                          ? "cannot send a frame (is the interface up?)"
                                          : "cannot send a frame",
                                      result.error);
                    break;
            }
            // §2.7.8: the device wrote nothing into a transmit chain.
            tx_queue_->add_used(*memory_, chain->head_index(), 0);
            returned_any = true;
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            tx_errors_.fetch_add(1, std::memory_order_relaxed);
            log_guest_error(describe(bad->error));
            tx_queue_->add_used(*memory_, bad->head_index, 0);  // fails alone
            returned_any = true;
        } else if (auto* broken = std::get_if<BrokenQueue>(&next)) {
            log_guest_error(describe(broken->error));
            interrupt_->signal_needs_reset();  // §2.1.2: only a reset helps
            done = true;
        } else {
            done = true;  // QueueEmpty
        }
    }
    if (!done) {
        // A ring's worth sent and maybe more waiting: the thread goes on, so
        // that this call (a vCPU's, or the ioeventfd thread's) stays short.
        tx_more_ = true;
        signal_eventfd(tx_wake_);
    }
    if (returned_any && tx_queue_->should_notify(*memory_)) {
        interrupt_->signal_used_queue(kTransmitQueue);
    }
}

// --- Receive ---------------------------------------------------------------

// Reads one frame from the backend into frame_. Returns false when there is
// none to read now, or the backend is gone (state.stopped); true otherwise,
// with pending_ set, or left 0 when the frame was dropped.
bool VirtioNet::read_frame(RxState& state) {
    ssize_t got = -1;
    do {
        got = ::read(packet_fd_.get(), frame_.data(), frame_.size());
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return false;  // epoll says when there is more
        }
        log_backend_error("cannot read from the backend; receiving stops", errno);
        state.stopped = true;
        return false;
    }
    if (got == 0) {
        log_backend_error("the backend closed; receiving stops", 0);
        state.stopped = true;
        return false;
    }
    const auto length = static_cast<size_t>(got);
    if (length > kNetHeaderSize + kMaxFrameSize) {
        dropped_too_large_.fetch_add(1, std::memory_order_relaxed);  // cut short by read()
        return true;
    }
    if (length < kNetHeaderSize) {
        log_backend_error("the backend gave a frame shorter than the virtio-net header", 0);
        return true;
    }
    pending_ = length;
    if (!guest_csum_) {
        // §5.1.6.4.1 (virtio 1.2): without VIRTIO_NET_F_GUEST_CSUM the device
        // sets flags to zero. A tap without TUN_F_CSUM sends no partial
        // checksums, but may still mark one valid (DATA_VALID).
        frame_[offsetof(virtio_net_hdr_mrg_rxbuf, hdr.flags)] = 0;
    }
    return true;
}

void VirtioNet::run_rx_pass(RxState& state) {
    bool returned_any = false;
    bool done = false;  // no frame, no buffers, or no queue: wait for an event
    const auto count_unusable = [&](uint32_t count) {
        if (count > 0) {
            rx_errors_.fetch_add(count, std::memory_order_relaxed);
            log_guest_error("a receive chain is malformed or smaller than the header");
            returned_any = true;
        }
    };
    const uint32_t budget = std::max<uint32_t>(rx_queue_->size(), 1);
    uint32_t frames = 0;
    for (; frames < budget && !done; ++frames) {
        if (pending_ == 0) {
            // Read a frame only once there is a buffer for it: otherwise it
            // waits in the backend's queue, not here.
            const RxPeek peek = peek_rx_buffer(*memory_, *rx_queue_);
            count_unusable(peek.returned_unusable);
            switch (peek.status) {
                case RxBufferStatus::kAvailable:
                    break;
                case RxBufferStatus::kEmpty:
                    state.waiting_for_buffers = true;
                    done = true;
                    continue;
                case RxBufferStatus::kBudgetSpent:
                    signal_eventfd(rx_kick_);  // look at the rest next time round
                    done = true;
                    continue;
                case RxBufferStatus::kBrokenQueue:
                    log_guest_error("the receive queue is broken");
                    interrupt_->signal_needs_reset();
                    state.stopped = true;
                    done = true;
                    continue;
            }
            if (!read_frame(state)) {
                done = true;
                continue;
            }
            if (pending_ == 0) {
                continue;  // dropped
            }
        }
        const RxResult result =
            deliver_frame(*memory_, *rx_queue_, std::span(frame_.data(), pending_), mergeable_);
        count_unusable(result.returned_unusable);
        switch (result.status) {
            case RxStatus::kDelivered:
                frames_received_.fetch_add(1, std::memory_order_relaxed);
                bytes_received_.fetch_add(pending_ - kNetHeaderSize, std::memory_order_relaxed);
                pending_ = 0;
                returned_any = true;
                break;
            case RxStatus::kNoBuffers:
                state.waiting_for_buffers = true;  // the frame waits in frame_
                done = true;
                break;
            case RxStatus::kTooLarge:
                dropped_too_large_.fetch_add(1, std::memory_order_relaxed);
                pending_ = 0;
                break;
            case RxStatus::kBrokenQueue:
                log_guest_error("the receive queue is broken");
                interrupt_->signal_needs_reset();
                pending_ = 0;
                state.stopped = true;
                done = true;
                break;
        }
    }
    if (!done) {
        signal_eventfd(rx_kick_);  // budget spent: come back after other work
    }
    if (returned_any && rx_queue_->should_notify(*memory_)) {
        interrupt_->signal_used_queue(kReceiveQueue);
    }
}

// --- The device's thread ---------------------------------------------------

void VirtioNet::deregister_packet_fd() {
    if (packet_fd_registered_) {
        ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, packet_fd_.get(), nullptr);
        packet_fd_registered_ = false;
    }
}

void VirtioNet::run_worker() {
    RxState rx;
    uint32_t registered = ~0u;  // events asked for on the packet fd; ~0: not known yet
    for (;;) {
        bool tx_blocked = false;
        {
            std::lock_guard lock(tx_mutex_);
            tx_blocked = tx_blocked_;
        }
        if (packet_fd_registered_) {
            const uint32_t wanted = (!rx.waiting_for_buffers && !rx.stopped ? EPOLLIN : 0u) |
                                    (tx_blocked ? EPOLLOUT : 0u);
            if (wanted != registered) {
                try {
                    epoll_control(epoll_fd_.get(), EPOLL_CTL_MOD, packet_fd_.get(), wanted,
                                  kPacketTag);
                    registered = wanted;
                } catch (const SystemError& error) {
                    log_backend_error(error.what(), 0);
                    deregister_packet_fd();
                }
            }
        }

        epoll_event events[4];
        const int count = ::epoll_wait(epoll_fd_.get(), events, 4, -1);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_backend_error("epoll_wait failed; the device stops", errno);
            return;
        }
        bool rx_ready = false;
        bool writable = false;
        bool tx_woken = false;
        for (int i = 0; i < count; ++i) {
            const uint32_t what = events[i].events;
            switch (events[i].data.u64) {
                case kStopTag:
                    return;  // stop_worker() drains the eventfd
                case kRxKickTag:
                    drain_eventfd(rx_kick_);
                    rx.waiting_for_buffers = false;
                    rx_ready = true;
                    break;
                case kTxWakeTag:
                    drain_eventfd(tx_wake_);
                    tx_woken = true;
                    break;
                case kPacketTag:
                    if ((what & (EPOLLHUP | EPOLLERR)) != 0) {
                        // Reported whatever was asked for: stop watching the
                        // fd, or this loop would spin. Reads and writes still
                        // run, and fail (or drain what is left) on their own.
                        log_backend_error("the backend hung up or failed", 0);
                        deregister_packet_fd();
                        rx_ready = true;
                        writable = true;
                    }
                    rx_ready = rx_ready || (what & EPOLLIN) != 0;
                    writable = writable || (what & EPOLLOUT) != 0;
                    break;
            }
        }
        if (writable || tx_woken) {
            std::lock_guard lock(tx_mutex_);
            // A wake-up while blocked only asks for EPOLLOUT (at the top of
            // the loop); retrying then would meet EAGAIN again.
            if (tx_blocked_ ? writable : tx_more_) {
                tx_blocked_ = false;
                tx_more_ = false;
                run_tx_pass_locked();
            }
        }
        if (rx_ready && !rx.waiting_for_buffers && !rx.stopped) {
            run_rx_pass(rx);
        }
    }
}

// --- Logging -----------------------------------------------------------------

void VirtioNet::log_guest_error(std::string_view what) {
    if (!guest_error_logged_.exchange(true, std::memory_order_relaxed)) {
        std::fprintf(stderr, "%s%.*s (the guest's driver; logged once)\n", log_prefix_.c_str(),
                     static_cast<int>(what.size()), what.data());
    }
}

void VirtioNet::log_backend_error(std::string_view what, int error) {
    if (backend_error_logged_.exchange(true, std::memory_order_relaxed)) {
        return;
    }
    std::fprintf(stderr, "%s%.*s%s%s (logged once)\n", log_prefix_.c_str(),
                 static_cast<int>(what.size()), what.data(), error != 0 ? ": " : "",
                 error != 0 ? std::strerror(error) : "");
}

}  // namespace berth::virtio
