#include "devices/virtio/console/virtio_console.h"

#include <endian.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <variant>

#include "devices/virtio/queue/chain_io.h"

namespace berth::virtio {

namespace {

constexpr uint32_t kEmergWrOffset = offsetof(virtio_console_config, emerg_wr);

// True when [offset, offset + length) lies inside a structure of `size` bytes.
bool inside(uint32_t offset, size_t length, uint32_t size) {
    uint64_t end = 0;
    return !__builtin_add_overflow(uint64_t{offset}, uint64_t{length}, &end) && end <= size;
}

}  // namespace

VirtioConsole::VirtioConsole(OutputSink output) : output_(std::move(output)) {
    if (!output_) {
        throw std::invalid_argument("VirtioConsole: no output sink");
    }
}

uint16_t VirtioConsole::device_type() const {
    return VIRTIO_ID_CONSOLE;
}

uint64_t VirtioConsole::device_features() const {
    return (uint64_t{1} << VIRTIO_CONSOLE_F_SIZE) | (uint64_t{1} << VIRTIO_CONSOLE_F_EMERG_WRITE);
}

uint32_t VirtioConsole::config_size() const {
    return sizeof(virtio_console_config);
}

void VirtioConsole::read_config(uint32_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);
    if (!inside(offset, data.size(), config_size())) {
        return;  // the transport never asks; nothing to read if it did
    }
    // The modern interface's configuration is little-endian (§2.5).
    virtio_console_config config{};
    {
        std::lock_guard lock(mutex_);
        config.cols = htole16(cols_);
        config.rows = htole16(rows_);
    }
    config.max_nr_ports = htole32(1);
    config.emerg_wr = 0;  // write-only
    // reinterpret_cast: the packed struct is the configuration space's bytes.
    const auto* bytes = reinterpret_cast<const uint8_t*>(&config);
    std::memcpy(data.data(), bytes + offset, data.size());
}

void VirtioConsole::write_config(uint32_t offset, std::span<const uint8_t> data) {
    // §5.3.5: emerg_wr works at any time, before activation and whether or
    // not the driver acknowledged the feature. Linux writes a 32-bit value
    // holding one character; its low byte comes first (little-endian).
    if (offset == kEmergWrOffset && !data.empty() && inside(offset, data.size(), config_size())) {
        output_(data.first(1));
    }
}

bool VirtioConsole::activate(const GuestMemory& memory, uint64_t features,
                             std::vector<SplitQueue*> queues,
                             std::shared_ptr<Interrupt> interrupt) {
    if (queues.size() != 2 || queues[kReceiveQueue] == nullptr ||
        queues[kTransmitQueue] == nullptr || !interrupt) {
        return false;
    }
    {
        std::lock_guard lock(mutex_);
        memory_ = &memory;
        receive_queue_ = queues[kReceiveQueue];
        transmit_queue_ = queues[kTransmitQueue];
        interrupt_ = std::move(interrupt);
        size_negotiated_ = (features & (uint64_t{1} << VIRTIO_CONSOLE_F_SIZE)) != 0;
        receive_broken_ = false;
        transmit_broken_ = false;
        // Linux posts its receive buffers while probing, before DRIVER_OK,
        // when the transport drops notifications: look at the ring once.
        receive_posted_ = true;
        if (size_negotiated_ && cols_ != 0 && rows_ != 0) {
            interrupt_->signal_config_change();
        }
    }
    input_space_.notify_all();
    return true;
}

void VirtioConsole::reset() {
    {
        std::lock_guard lock(mutex_);
        memory_ = nullptr;
        receive_queue_ = nullptr;
        transmit_queue_ = nullptr;
        interrupt_.reset();
        size_negotiated_ = false;
        receive_posted_ = false;
        receive_broken_ = false;
        transmit_broken_ = false;
        ++resets_;
    }
    input_space_.notify_all();
}

void VirtioConsole::fail_request(std::string_view what) {
    failed_requests_.fetch_add(1, std::memory_order_relaxed);
    log_guest_error(what);
}

void VirtioConsole::log_guest_error(std::string_view what) {
    if (!logged_guest_error_.exchange(true)) {
        std::fprintf(stderr, "berth: virtio-console: %.*s (logged once)\n",
                     static_cast<int>(what.size()), what.data());
    }
}

// --- Guest to host ----------------------------------------------------------

bool VirtioConsole::drain_transmit_chain(const GuestMemory& memory, const DescriptorChain& chain) {
    // §5.3.6.1: the driver MUST NOT put a device-writable buffer in a
    // transmitq. Such a chain fails whole, so that no part of it is output.
    if (!chain.writable().empty()) {
        return false;
    }
    ChainReader reader(memory, chain);
    std::array<uint8_t, kOutputChunk> chunk{};
    while (reader.remaining() > 0) {
        const size_t count = std::min<size_t>(reader.remaining(), chunk.size());
        const std::span<uint8_t> piece(chunk.data(), count);
        if (!reader.read(piece)) {
            break;  // cannot happen: count <= remaining()
        }
        output_(piece);
    }
    return true;
}

void VirtioConsole::process_queue(uint16_t queue_index) {
    if (queue_index == kReceiveQueue) {
        {
            std::lock_guard lock(mutex_);
            if (receive_queue_ == nullptr || receive_broken_) {
                return;
            }
            receive_posted_ = true;
        }
        input_space_.notify_all();
        return;
    }
    if (queue_index != kTransmitQueue) {
        return;
    }

    // The transmit queue, the memory and the interrupt change only in
    // activate() and reset(), which the transport never runs during this
    // call: a copy taken under the lock stays valid without it, and the sink
    // runs unlocked.
    const GuestMemory* memory = nullptr;
    SplitQueue* queue = nullptr;
    std::shared_ptr<Interrupt> interrupt;
    {
        std::lock_guard lock(mutex_);
        if (transmit_queue_ == nullptr || transmit_broken_) {
            return;
        }
        memory = memory_;
        queue = transmit_queue_;
        interrupt = interrupt_;
    }

    bool returned_any = false;
    bool broken = false;
    // At most one pass over the ring per notification. Each chain is served
    // whole: Linux's hvc output waits for its buffer to come back, so a chain
    // left for later would stall the guest until its next notification.
    for (uint32_t served = 0; served < queue->size(); ++served) {
        PopResult next = queue->pop(*memory);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            if (!drain_transmit_chain(*memory, *chain)) {
                fail_request("a transmit buffer is device-writable");
            }
            // §2.7.8: the length is what the device wrote, here nothing.
            queue->add_used(*memory, chain->head_index(), 0);
            returned_any = true;
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            fail_request(std::string("malformed transmit chain: ") +
                         std::string(describe(bad->error)));
            queue->add_used(*memory, bad->head_index, 0);
            returned_any = true;
        } else if (auto* broken_queue = std::get_if<BrokenQueue>(&next)) {
            log_guest_error(std::string("transmit queue broken: ") +
                            std::string(describe(broken_queue->error)));
            broken = true;
            break;
        } else {
            break;  // QueueEmpty
        }
    }

    std::lock_guard lock(mutex_);
    if (returned_any && queue->should_notify(*memory)) {
        interrupt->signal_used_queue(kTransmitQueue);
    }
    if (broken) {
        transmit_broken_ = true;
        interrupt->signal_needs_reset();  // §2.1.2: only a reset helps
    }
}

// --- Host to guest ------------------------------------------------------------

uint32_t VirtioConsole::fill_receive_chain(const GuestMemory& memory, const DescriptorChain& chain,
                                           std::span<const uint8_t> bytes) {
    // §5.3.6.1: the driver MUST NOT put a device-readable buffer in a
    // receiveq.
    if (!chain.readable().empty()) {
        return 0;
    }
    ChainWriter writer(memory, chain);
    const size_t count = std::min<size_t>(writer.remaining(), bytes.size());
    if (!writer.write(bytes.first(count))) {
        return 0;  // cannot happen: count <= remaining()
    }
    return writer.bytes_written();
}

size_t VirtioConsole::offer_input(std::span<const uint8_t> bytes) {
    std::lock_guard lock(mutex_);
    if (input_closed_ || receive_queue_ == nullptr || receive_broken_ || bytes.empty()) {
        return 0;
    }
    SplitQueue& queue = *receive_queue_;
    size_t taken = 0;
    bool returned_any = false;
    // Every pass takes a chain off the ring, so at most one ring's worth of
    // chains per call even when they all fail.
    for (uint32_t served = 0; served < queue.size() && taken < bytes.size(); ++served) {
        PopResult next = queue.pop(*memory_);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            const uint32_t written = fill_receive_chain(*memory_, *chain, bytes.subspan(taken));
            if (written == 0) {
                fail_request("a receive buffer is device-readable or empty");
            }
            // Returned at once, however full (see the header).
            queue.add_used(*memory_, chain->head_index(), written);
            taken += written;
            returned_any = true;
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            fail_request(std::string("malformed receive chain: ") +
                         std::string(describe(bad->error)));
            queue.add_used(*memory_, bad->head_index, 0);
            returned_any = true;
        } else if (auto* broken = std::get_if<BrokenQueue>(&next)) {
            log_guest_error(std::string("receive queue broken: ") +
                            std::string(describe(broken->error)));
            receive_broken_ = true;
            receive_posted_ = false;
            interrupt_->signal_needs_reset();  // §2.1.2
            break;
        } else {
            // Empty. With VIRTIO_F_EVENT_IDX, pop() has asked the driver to
            // notify the next buffer, and that notification sets
            // receive_posted_ again.
            receive_posted_ = false;
            break;
        }
    }
    if (returned_any && queue.should_notify(*memory_)) {
        interrupt_->signal_used_queue(kReceiveQueue);
    }
    return taken;
}

bool VirtioConsole::wait_for_input_space(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    const uint64_t resets_before = resets_;
    const auto ready = [this] {
        return !input_closed_ && receive_queue_ != nullptr && !receive_broken_ && receive_posted_;
    };
    ++input_waiters_;
    input_space_.wait_for(lock, timeout,
                          [&] { return input_closed_ || resets_ != resets_before || ready(); });
    --input_waiters_;
    return resets_ == resets_before && ready();
}

void VirtioConsole::close_input() {
    {
        std::lock_guard lock(mutex_);
        input_closed_ = true;
    }
    input_space_.notify_all();
}

size_t VirtioConsole::input_waiters() const {
    std::lock_guard lock(mutex_);
    return input_waiters_;
}

void VirtioConsole::set_terminal_size(uint16_t cols, uint16_t rows) {
    std::lock_guard lock(mutex_);
    if (cols == cols_ && rows == rows_) {
        return;
    }
    cols_ = cols;
    rows_ = rows;
    if (interrupt_ && size_negotiated_) {
        interrupt_->signal_config_change();  // §5.3.6 step 3
    }
}

}  // namespace berth::virtio
