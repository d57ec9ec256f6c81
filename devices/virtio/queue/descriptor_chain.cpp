#include "devices/virtio/queue/descriptor_chain.h"

#include <optional>
#include <utility>

#include "devices/virtio/queue/ring_layout.h"

namespace berth::virtio {

// Collects the buffers of one chain, checking each as it is added.
class ChainBuilder {
public:
    ChainBuilder(const GuestMemory& memory, uint16_t head, uint16_t max_buffers)
        : memory_(memory), chain_(head), max_buffers_(max_buffers) {}

    // `raw` is the caller's own copy of a descriptor that describes a buffer
    // (not an indirect table).
    std::optional<ChainError> add(const vring_desc& raw) {
        // §2.7.5.3.1: no chain longer than the queue size. A table has at most
        // that many entries, so a longer chain also means a loop.
        if (chain_.descriptors_.size() == max_buffers_) {
            return ChainError::kChainTooLong;
        }
        const bool writable = (raw.flags & VRING_DESC_F_WRITE) != 0;
        if (!writable && !chain_.descriptors_.empty() &&
            chain_.descriptors_.back().device_writable) {
            return ChainError::kReadableAfterWritable;
        }
        const GuestAddress address(raw.addr);
        // contains() checks the whole range, including that it does not wrap.
        if (!memory_.contains(address, raw.len)) {
            return ChainError::kBufferOutsideMemory;
        }
        uint32_t total = 0;
        if (__builtin_add_overflow(chain_.readable_length_ + chain_.writable_length_, raw.len,
                                   &total)) {
            return ChainError::kTotalLengthOverflow;
        }
        // Neither sum can overflow now: both are parts of `total`.
        if (writable) {
            chain_.writable_length_ += raw.len;
        } else {
            chain_.readable_length_ += raw.len;
            ++chain_.readable_count_;
        }
        chain_.descriptors_.push_back({address, raw.len, writable});
        return std::nullopt;
    }

    DescriptorChain finish() && { return std::move(chain_); }

private:
    const GuestMemory& memory_;
    DescriptorChain chain_;
    uint16_t max_buffers_;
};

namespace {

// One table being walked: the queue's descriptor table, or an indirect table.
struct Table {
    GuestAddress address;
    uint32_t entries;
    bool is_indirect;
};

std::optional<ChainError> follow(const GuestMemory& memory, const DescriptorTable& queue,
                                 const Table& table, uint16_t first, ChainBuilder& builder);

// §2.7.5.3: an indirect descriptor hands the rest of the chain to a table of
// further descriptors, walked from its entry 0.
std::optional<ChainError> follow_indirect(const GuestMemory& memory, const DescriptorTable& queue,
                                          const vring_desc& raw, ChainBuilder& builder) {
    if (!queue.indirect_allowed) {
        return ChainError::kIndirectNotNegotiated;
    }
    if ((raw.flags & VRING_DESC_F_NEXT) != 0) {
        return ChainError::kIndirectWithNext;
    }
    if (raw.len == 0) {
        return ChainError::kIndirectTableEmpty;
    }
    if (raw.len % ring::kDescriptorSize != 0) {
        return ChainError::kIndirectTableBadLength;
    }
    const uint32_t entries = raw.len / ring::kDescriptorSize;
    if (entries > queue.queue_size) {
        return ChainError::kIndirectTableTooLarge;
    }
    const GuestAddress address(raw.addr);
    if (!memory.contains(address, raw.len)) {
        return ChainError::kIndirectTableOutsideMemory;
    }
    return follow(memory, queue, Table{address, entries, true}, 0, builder);
}

// Follows `next` links through `table` from entry `first` until a descriptor
// without VRING_DESC_F_NEXT.
std::optional<ChainError> follow(const GuestMemory& memory, const DescriptorTable& queue,
                                 const Table& table, uint16_t first, ChainBuilder& builder) {
    uint16_t index = first;
    // This loop ends even when `next` links form a cycle: every pass adds a
    // buffer to the builder or leaves, and the builder refuses more than
    // queue_size buffers. That bound is the chain's "time to live".
    for (;;) {
        // Copy, then validate: only this copy is looked at from here on.
        // `index` < entries, so the offset is small; the addition is checked
        // because the queue's table address may not have been validated.
        const auto address = table.address.checked_add(index * ring::kDescriptorSize);
        const auto raw = address ? memory.read_obj<vring_desc>(*address) : std::nullopt;
        if (!raw) {
            // An indirect table was checked to lie in RAM, so only the queue's
            // own table (a configuration is_valid_config() refuses) gets here.
            return ChainError::kDescriptorTableOutsideMemory;
        }
        if ((raw->flags & VRING_DESC_F_INDIRECT) != 0) {
            if (table.is_indirect) {
                return ChainError::kNestedIndirect;
            }
            // The indirect descriptor must be the chain's last (it may not
            // have NEXT), so its table ends the walk.
            return follow_indirect(memory, queue, *raw, builder);
        }
        if (auto error = builder.add(*raw)) {
            return error;
        }
        if ((raw->flags & VRING_DESC_F_NEXT) == 0) {
            return std::nullopt;
        }
        if (raw->next >= table.entries) {
            return ChainError::kNextOutOfRange;
        }
        index = raw->next;
    }
}

}  // namespace

ChainResult walk_chain(const GuestMemory& memory, const DescriptorTable& table, uint16_t head) {
    if (head >= table.queue_size) {
        return ChainError::kHeadOutOfRange;
    }
    ChainBuilder builder(memory, head, table.queue_size);
    if (auto error =
            follow(memory, table, Table{table.address, table.queue_size, false}, head, builder)) {
        return *error;
    }
    return std::move(builder).finish();
}

std::string_view describe(ChainError error) {
    switch (error) {
        case ChainError::kHeadOutOfRange:
            return "head index out of range";
        case ChainError::kNextOutOfRange:
            return "next index out of range";
        case ChainError::kChainTooLong:
            return "chain longer than the queue size (or a loop)";
        case ChainError::kBufferOutsideMemory:
            return "buffer outside guest memory";
        case ChainError::kReadableAfterWritable:
            return "device-readable buffer after a device-writable one";
        case ChainError::kTotalLengthOverflow:
            return "chain of 4 GiB or more";
        case ChainError::kIndirectNotNegotiated:
            return "indirect descriptor without VIRTIO_F_INDIRECT_DESC";
        case ChainError::kIndirectWithNext:
            return "indirect descriptor with NEXT";
        case ChainError::kNestedIndirect:
            return "indirect descriptor inside an indirect table";
        case ChainError::kIndirectTableEmpty:
            return "empty indirect table";
        case ChainError::kIndirectTableBadLength:
            return "indirect table length not a multiple of 16";
        case ChainError::kIndirectTableTooLarge:
            return "indirect table larger than the queue size";
        case ChainError::kIndirectTableOutsideMemory:
            return "indirect table outside guest memory";
        case ChainError::kDescriptorTableOutsideMemory:
            return "descriptor table outside guest memory";
    }
    return "unknown chain error";
}

}  // namespace berth::virtio
