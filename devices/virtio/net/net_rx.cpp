#include "devices/virtio/net/net_rx.h"

#include <endian.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <optional>
#include <variant>
#include <vector>

#include "devices/virtio/net/net_header.h"
#include "devices/virtio/queue/chain_io.h"

namespace berth::virtio {

namespace {

// §5.1.6.3.1: every receive buffer the driver posts holds at least the header.
bool usable(const DescriptorChain& chain) {
    return chain.writable_length() >= kNetHeaderSize;
}

// One ring of chains, and at least one pop so that a queue with a bad size
// reports itself broken.
uint32_t ring_budget(const SplitQueue& queue) {
    return std::max<uint32_t>(queue.size(), 1);
}

// Puts back the last `count` chains pop() took: they are taken again, and
// walked afresh, next time. Only the device moves next_avail, and the driver
// cannot reuse a chain before it is in the used ring, so this is safe (QEMU's
// virtqueue_unpop and Firecracker's undo_pop do the same).
void put_back(SplitQueue& queue, uint16_t count) {
    queue.set_next_avail(static_cast<uint16_t>(queue.next_avail() - count));
}

// The head of a chain pop() took that no frame can use, if it is one.
std::optional<uint16_t> unusable_head(const PopResult& next) {
    if (const auto* chain = std::get_if<DescriptorChain>(&next)) {
        return usable(*chain) ? std::nullopt : std::optional<uint16_t>(chain->head_index());
    }
    if (const auto* bad = std::get_if<BadChain>(&next)) {
        return bad->head_index;
    }
    return std::nullopt;
}

void set_num_buffers(std::span<uint8_t> frame, uint16_t count) {
    // The header's fields are little-endian in virtio 1.x (§5.1.6).
    const uint16_t value = htole16(count);
    std::memcpy(frame.data() + offsetof(virtio_net_hdr_mrg_rxbuf, num_buffers), &value,
                sizeof(value));
}

}  // namespace

RxPeek peek_rx_buffer(const GuestMemory& memory, SplitQueue& queue) {
    RxPeek peek;
    for (uint32_t popped = 0; popped < ring_budget(queue); ++popped) {
        PopResult next = queue.pop(memory);
        if (std::holds_alternative<BrokenQueue>(next)) {
            peek.status = RxBufferStatus::kBrokenQueue;
            return peek;
        }
        if (std::holds_alternative<QueueEmpty>(next)) {
            peek.status = RxBufferStatus::kEmpty;
            return peek;
        }
        if (const auto head = unusable_head(next)) {
            queue.add_used(memory, *head, 0);  // fails alone
            ++peek.returned_unusable;
            continue;
        }
        put_back(queue, 1);
        peek.status = RxBufferStatus::kAvailable;
        return peek;
    }
    peek.status = RxBufferStatus::kBudgetSpent;
    return peek;
}

RxResult deliver_frame(const GuestMemory& memory, SplitQueue& queue, std::span<uint8_t> frame,
                       bool mergeable) {
    RxResult result;
    if (frame.size() < kNetHeaderSize || frame.size() > kNetHeaderSize + kMaxFrameSize) {
        result.status = RxStatus::kTooLarge;  // not a frame this device can carry
        return result;
    }
    // Gather chains until they have room for the frame. Unusable chains
    // before the first usable one are returned at once, so that they cannot
    // block the ring; later ones are held, and returned only if the frame is
    // placed.
    uint16_t taken = 0;  // pops that put_back() would undo
    bool returned_in_front = false;
    std::vector<DescriptorChain> chains;
    std::vector<uint16_t> held_unusable;
    uint64_t room = 0;
    const uint32_t budget = ring_budget(queue);
    for (uint32_t popped = 0;
         room < frame.size() && (mergeable || chains.empty()) && popped < budget; ++popped) {
        PopResult next = queue.pop(memory);
        if (std::holds_alternative<BrokenQueue>(next)) {
            result.status = RxStatus::kBrokenQueue;
            return result;
        }
        if (std::holds_alternative<QueueEmpty>(next)) {
            put_back(queue, taken);
            result.status = RxStatus::kNoBuffers;
            return result;
        }
        if (const auto head = unusable_head(next)) {
            if (chains.empty()) {
                queue.add_used(memory, *head, 0);
                ++result.returned_unusable;
                returned_in_front = true;
            } else {
                held_unusable.push_back(*head);
                ++taken;
            }
            continue;
        }
        auto& chain = std::get<DescriptorChain>(next);
        room += chain.writable_length();
        chains.push_back(std::move(chain));
        ++taken;
    }
    if (room < frame.size()) {
        put_back(queue, taken);
        // Too large when the one chain a frame may have is too small, or when
        // a whole ring of buffers is. When some were returned unusable the
        // driver will post others in their place: wait for those.
        const bool too_large = !mergeable ? !chains.empty() : !returned_in_front;
        result.status = too_large ? RxStatus::kTooLarge : RxStatus::kNoBuffers;
        return result;
    }

    // Every chain is there: place the frame, then hand back its chains in one
    // batch, so that the driver never sees some of a frame's buffers without
    // the others (it reads num_buffers entries in a row). Unusable chains go
    // first, so that the frame's buffers are consecutive.
    std::vector<SplitQueue::UsedElement> used;
    used.reserve(held_unusable.size() + chains.size());
    for (uint16_t head : held_unusable) {
        used.push_back({head, 0});
    }
    result.returned_unusable += static_cast<uint32_t>(held_unusable.size());
    const auto count = static_cast<uint16_t>(chains.size());  // at most one ring
    set_num_buffers(frame, count);
    size_t offset = 0;
    for (const DescriptorChain& chain : chains) {
        ChainWriter writer(memory, chain);
        const size_t length = std::min<size_t>(writer.remaining(), frame.size() - offset);
        writer.write(frame.subspan(offset, length));  // fits: length <= remaining()
        offset += length;
        used.push_back({chain.head_index(), static_cast<uint32_t>(length)});
    }
    queue.add_used_batch(memory, used);
    result.status = RxStatus::kDelivered;
    result.buffers = count;
    return result;
}

}  // namespace berth::virtio
