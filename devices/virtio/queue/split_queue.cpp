#include "devices/virtio/queue/split_queue.h"

#include <atomic>
#include <bit>
#include <stdexcept>

#include "devices/virtio/queue/ring_layout.h"

namespace berth::virtio {

// Memory ordering, in one place.
//
// Guest memory is shared with the vCPUs that run the driver, concurrently with
// the device, so the order in which each side's accesses become visible to the
// other matters. The driver's side is fixed by the spec (§2.7.13): it fills
// descriptors and a ring entry, issues a write barrier, and only then
// increments avail->idx. The device mirrors it:
//
// - pop(): read avail->idx, then an acquire fence, then the ring entry and the
//   descriptors. Without the fence the CPU or the compiler could read a ring
//   entry before the idx that announces it, and get what was there before the
//   driver wrote it. (On x86 loads are not reordered with older loads, so the
//   fence costs no instruction; it still stops the compiler, and on weaker CPUs
//   it is the barrier that pairs with the driver's.)
// - add_used() and add_used_batch(): write the used elements, then a release
//   fence, then used->idx, so the driver never sees the new idx before the
//   elements (nor before the data the device wrote into the buffers first).
// - should_notify() and re-arming avail_event in pop(): a full (seq_cst) fence
//   between our write and our read of the other side's field. Each side writes
//   its own index and then reads the other's suppression field; if either read
//   could overtake the write before it, both could read stale values and each
//   wait for the other forever. Store-then-load is the one reordering x86 does,
//   so this fence is a real instruction (mfence or a locked operation).
//
// The 16-bit idx and event fields change under our feet; they are read and
// written as single atomic accesses (relaxed: the fences give the order), so
// that a half-updated value can never be seen. A torn avail->idx would look
// like a jump of hundreds of entries and break the queue.

namespace {

// The host location of a 16-bit ring field, or nullptr when the field is not
// in guest memory or not aligned as an atomic needs (a configuration that
// is_valid_config() refuses).
uint16_t* ring_field(const GuestMemory& memory, GuestAddress area, uint64_t offset) {
    const auto address = area.checked_add(offset);
    if (!address) {
        return nullptr;
    }
    const auto bytes = memory.slice(*address, sizeof(uint16_t));
    if (!bytes || reinterpret_cast<uintptr_t>(bytes->data()) % alignof(uint16_t) != 0) {
        return nullptr;
    }
    // reinterpret_cast: these two bytes are the little-endian u16 the spec puts
    // there, suitably aligned (checked above), so they can be accessed as one.
    return reinterpret_cast<uint16_t*>(bytes->data());
}

std::optional<uint16_t> load_u16(const GuestMemory& memory, GuestAddress area, uint64_t offset) {
    uint16_t* field = ring_field(memory, area, offset);
    if (field == nullptr) {
        return std::nullopt;
    }
    return std::atomic_ref<uint16_t>(*field).load(std::memory_order_relaxed);
}

bool store_u16(const GuestMemory& memory, GuestAddress area, uint64_t offset, uint16_t value) {
    uint16_t* field = ring_field(memory, area, offset);
    if (field == nullptr) {
        return false;
    }
    std::atomic_ref<uint16_t>(*field).store(value, std::memory_order_relaxed);
    return true;
}

// True when [address, address + length) is aligned and inside guest RAM.
bool area_is_valid(const GuestMemory& memory, GuestAddress address, uint64_t length,
                   uint64_t alignment) {
    return address.value() % alignment == 0 && memory.contains(address, length);
}

}  // namespace

SplitQueue::SplitQueue(uint16_t max_size) : max_size_(max_size), size_(max_size) {
    if (!std::has_single_bit(max_size) || max_size > ring::kMaxQueueSize) {
        throw std::invalid_argument("virtqueue maximum size must be a power of two up to 32768");
    }
}

void SplitQueue::set_negotiated_features(uint64_t features) {
    indirect_desc_ = (features & (uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC)) != 0;
    event_idx_ = (features & (uint64_t{1} << VIRTIO_RING_F_EVENT_IDX)) != 0;
}

bool SplitQueue::size_is_valid() const {
    return std::has_single_bit(size_) && size_ <= max_size_;
}

bool SplitQueue::is_valid_config(const GuestMemory& memory) const {
    return size_is_valid() &&
           area_is_valid(memory, desc_table_, ring::kDescriptorSize * size_,
                         ring::kDescriptorTableAlign) &&
           area_is_valid(memory, avail_ring_, ring::avail_ring_bytes(size_),
                         ring::kAvailRingAlign) &&
           area_is_valid(memory, used_ring_, ring::used_ring_bytes(size_), ring::kUsedRingAlign);
}

BrokenQueue SplitQueue::fail(QueueError error) {
    error_ = error;
    return BrokenQueue{error};
}

// How many entries the driver has added to the available ring that the device
// has not taken yet; nullopt (and the queue broken) when that cannot be right.
std::optional<uint16_t> SplitQueue::count_available(const GuestMemory& memory) {
    const auto avail_idx = load_u16(memory, avail_ring_, ring::kAvailIdx);
    if (!avail_idx) {
        fail(QueueError::kInvalidConfig);
        return std::nullopt;
    }
    // Both indices wrap at 65536, so the difference is taken modulo 65536 too.
    const auto count = static_cast<uint16_t>(*avail_idx - next_avail_);
    if (count > size_) {
        fail(QueueError::kAvailIndexTooFarAhead);
        return std::nullopt;
    }
    return count;
}

PopResult SplitQueue::pop(const GuestMemory& memory) {
    if (error_) {
        return BrokenQueue{*error_};
    }
    if (!ready_) {
        return QueueEmpty{};  // a stray notification: nothing to do yet
    }
    if (!size_is_valid()) {
        return fail(QueueError::kInvalidConfig);
    }
    auto available = count_available(memory);
    if (available && *available == 0 && event_idx_) {
        // §2.7.10: ask the driver to notify us when it adds entry next_avail,
        // i.e. the very next buffer. Then look again: a buffer the driver added
        // after our first look but before it could see this request would get
        // no notification, and wait until some other one came.
        if (!store_u16(memory, used_ring_, ring::avail_event(size_), next_avail_)) {
            return fail(QueueError::kInvalidConfig);
        }
        std::atomic_thread_fence(std::memory_order_seq_cst);
        available = count_available(memory);
    }
    if (!available) {
        return BrokenQueue{*error_};
    }
    if (*available == 0) {
        return QueueEmpty{};
    }
    // Acquire: the ring entry and the descriptors it names are read only after
    // the idx that published them (see the top of this file).
    std::atomic_thread_fence(std::memory_order_acquire);

    const auto slot = static_cast<uint16_t>(next_avail_ % size_);
    const auto entry = avail_ring_.checked_add(ring::avail_entry(slot));
    const auto head = entry ? memory.read_obj<uint16_t>(*entry) : std::nullopt;
    if (!head) {
        return fail(QueueError::kInvalidConfig);
    }
    // The entry is taken whatever the chain turns out to be: a bad chain goes
    // back to the driver through the used ring like any other.
    ++next_avail_;

    ChainResult chain = walk_chain(memory, {desc_table_, size_, indirect_desc_}, *head);
    if (auto* error = std::get_if<ChainError>(&chain)) {
        return BadChain{*head, *error};
    }
    return std::get<DescriptorChain>(std::move(chain));
}

void SplitQueue::add_used(const GuestMemory& memory, uint16_t head_index, uint32_t bytes_written) {
    const UsedElement element{head_index, bytes_written};
    add_used_batch(memory, std::span(&element, 1));
}

void SplitQueue::add_used_batch(const GuestMemory& memory, std::span<const UsedElement> elements) {
    if (error_ || !ready_ || elements.empty()) {
        return;
    }
    if (!size_is_valid()) {
        fail(QueueError::kInvalidConfig);
        return;
    }
    uint16_t next_used = next_used_;
    for (const UsedElement& used : elements) {
        const auto slot = static_cast<uint16_t>(next_used % size_);
        const vring_used_elem element{.id = used.head_index, .len = used.bytes_written};
        const auto address = used_ring_.checked_add(ring::used_entry(slot));
        if (!address || !memory.write_obj(*address, element)) {
            fail(QueueError::kInvalidConfig);
            return;
        }
        ++next_used;
    }
    next_used_ = next_used;
    // Release: the elements (and the buffers' contents) before the idx.
    std::atomic_thread_fence(std::memory_order_release);
    if (!store_u16(memory, used_ring_, ring::kUsedIdx, next_used_)) {
        fail(QueueError::kInvalidConfig);
    }
}

bool SplitQueue::should_notify(const GuestMemory& memory) {
    if (error_ || !ready_ || !size_is_valid()) {
        return false;
    }
    // Full fence: our used->idx store before our read of the driver's field
    // (see the top of this file).
    std::atomic_thread_fence(std::memory_order_seq_cst);

    if (!event_idx_) {
        const auto flags = load_u16(memory, avail_ring_, ring::kAvailFlags);
        // An unreadable field cannot suppress anything: notify.
        return !flags || (*flags & VRING_AVAIL_F_NO_INTERRUPT) == 0;
    }
    const std::optional<uint16_t> old_used = signalled_used_;
    signalled_used_ = next_used_;
    const auto used_event = load_u16(memory, avail_ring_, ring::used_event(size_));
    if (!old_used || !used_event) {
        return true;
    }
    // §2.7.7.2: notify when used->idx stepped past used_event since the last
    // notification, i.e. used_event lies in [old_used, next_used) modulo 2^16.
    // The uapi header's vring_need_event() computes exactly that.
    return vring_need_event(*used_event, next_used_, *old_used) != 0;
}

void SplitQueue::reset() {
    size_ = max_size_;
    desc_table_ = GuestAddress();
    avail_ring_ = GuestAddress();
    used_ring_ = GuestAddress();
    ready_ = false;
    indirect_desc_ = false;
    event_idx_ = false;
    next_avail_ = 0;
    next_used_ = 0;
    signalled_used_.reset();
    error_.reset();
}

std::string_view describe(QueueError error) {
    switch (error) {
        case QueueError::kAvailIndexTooFarAhead:
            return "available index more than the queue size ahead";
        case QueueError::kInvalidConfig:
            return "queue used with an invalid configuration";
    }
    return "unknown queue error";
}

}  // namespace berth::virtio
