#include "devices/virtio/rng/virtio_rng.h"

#include <linux/virtio_ids.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <variant>

#include "devices/virtio/queue/chain_io.h"

namespace berth::virtio {

bool VirtioRng::getrandom_source(std::span<uint8_t> out) {
    // getrandom(2) may return fewer bytes than asked (above 256 bytes, when a
    // signal arrives): loop until the span is full.
    while (!out.empty()) {
        const ssize_t got = ::getrandom(out.data(), out.size(), 0);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        out = out.subspan(static_cast<size_t>(got));
    }
    return true;
}

VirtioRng::VirtioRng(EntropySource source) : source_(std::move(source)) {}

uint16_t VirtioRng::device_type() const {
    return VIRTIO_ID_RNG;
}

bool VirtioRng::activate(const GuestMemory& memory, uint64_t /*features*/,
                         std::vector<SplitQueue*> queues, std::shared_ptr<Interrupt> interrupt) {
    if (queues.size() != 1 || queues[0] == nullptr || !interrupt) {
        return false;
    }
    memory_ = &memory;
    queue_ = queues[0];
    interrupt_ = std::move(interrupt);
    return true;
}

void VirtioRng::reset() {
    memory_ = nullptr;
    queue_ = nullptr;
    interrupt_.reset();
}

// §5.4.6.1: the device writes random bytes into the chain's device-writable
// buffers, as many as it likes up to their size. Returns how many it wrote.
uint32_t VirtioRng::fill(const DescriptorChain& chain) {
    ChainWriter writer(*memory_, chain);
    const uint32_t wanted = std::min(writer.remaining(), kMaxBytesPerChain);
    // Views of the buffers in guest RAM, checked by the chain walk, so the
    // source writes straight into them.
    const auto slices = writer.take_slices(wanted);
    uint32_t written = 0;
    for (std::span<uint8_t> slice : slices.value_or(std::vector<std::span<uint8_t>>{})) {
        if (!source_(slice)) {
            break;  // report only the bytes really filled
        }
        written += static_cast<uint32_t>(slice.size());
    }
    return written;
}

void VirtioRng::process_queue(uint16_t queue_index) {
    if (queue_index != 0 || queue_ == nullptr) {
        return;
    }
    bool returned_any = false;
    // At most one pass over the ring per notification.
    for (uint32_t served = 0; served < queue_->size(); ++served) {
        PopResult next = queue_->pop(*memory_);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            const uint32_t written = fill(*chain);
            if (written == 0) {
                ++failed_requests_;
            }
            queue_->add_used(*memory_, chain->head_index(), written);
            returned_any = true;
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            // A malformed chain fails alone: handed back with nothing written.
            ++failed_requests_;
            queue_->add_used(*memory_, bad->head_index, 0);
            returned_any = true;
        } else if (std::holds_alternative<BrokenQueue>(next)) {
            interrupt_->signal_needs_reset();  // §2.1.2: only a reset helps
            break;
        } else {
            break;  // QueueEmpty
        }
    }
    if (returned_any && queue_->should_notify(*memory_)) {
        interrupt_->signal_used_queue(0);
    }
}

}  // namespace berth::virtio
