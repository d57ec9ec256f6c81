// libFuzzer target: a split virtqueue whose configuration and guest memory
// both come from the fuzzer, used the way a device uses it: pop every chain,
// read its readable bytes with ChainReader, fill its writable bytes with
// ChainWriter, return it with add_used, ask should_notify. Bad chains are
// returned with length 0, a broken queue ends the run.
//
// It checks, on every chain pop() accepts: no more buffers than the queue
// size, readable buffers before writable ones, every buffer inside guest
// memory, and the reader and writer moving exactly the chain's lengths. It
// checks that pop() ends (the run has a bound, and a hang shows up as a
// libFuzzer timeout) and, through ASan, that nothing outside guest memory or
// the queue's own objects is touched.
//
// Input: an 8-byte header, then the bytes of guest memory.
//   [0]     log2 of the queue size (taken modulo 8: 1 to 128)
//   [1]     bit 0: VIRTIO_F_INDIRECT_DESC, bit 1: VIRTIO_F_EVENT_IDX,
//           bits 2-7: chunk size for ChainReader/ChainWriter (plus 1)
//   [2..3]  next_avail and next_used at the start (little-endian)
//   [4]     descriptor table address / 16
//   [5]     available ring address / 8 (so 2-aligned, or not quite: see below)
//   [6]     used ring address / 8
//   [7]     bit 0: shift the available ring by 1, bit 1: the used ring by 2
//           (misaligned configurations, which pop() must refuse cleanly)
//   [8..]   guest memory, copied to RAM from address 0 (RAM is two ranges,
//           [0, 0x1000) and [0x1800, 0x2000), with a gap between)
//
// tests/fuzz/make_seeds.py writes seeds in this format.
//
// fuzz-sources: devices/virtio/queue/*.cpp vmm/memory/guest_memory.cpp vmm/common/error.cpp

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <variant>
#include <vector>

#include "devices/virtio/queue/chain_io.h"
#include "devices/virtio/queue/descriptor_chain.h"
#include "devices/virtio/queue/ring_layout.h"
#include "devices/virtio/queue/split_queue.h"
#include "tests/fuzz/check.h"
#include "vmm/memory/guest_memory.h"

using berth::GuestAddress;
using berth::GuestMemory;
using namespace berth::virtio;

namespace {

constexpr uint64_t kLowRamSize = 0x1000;
constexpr GuestAddress kHighRamStart{0x1800};
constexpr uint64_t kHighRamSize = 0x800;
constexpr size_t kHeaderSize = 8;

// One guest memory for the whole run: mapping it per input would dominate.
const GuestMemory& guest_memory() {
    static const GuestMemory memory =
        GuestMemory::create({{GuestAddress(0), kLowRamSize}, {kHighRamStart, kHighRamSize}});
    return memory;
}

void load_guest_memory(const GuestMemory& memory, const uint8_t* data, size_t size) {
    for (const berth::MemoryRegion& region : memory.regions()) {
        std::memset(region.host, 0, region.size);
    }
    const size_t low = std::min<size_t>(size, kLowRamSize);
    std::memcpy(memory.regions()[0].host, data, low);
    const size_t high = std::min<size_t>(size - low, kHighRamSize);
    std::memcpy(memory.regions()[1].host, data + low, high);
}

void check_chain(const GuestMemory& memory, const DescriptorChain& chain, uint16_t queue_size,
                 size_t chunk) {
    CHECK(chain.head_index() < queue_size);
    CHECK(!chain.descriptors().empty());
    CHECK(chain.descriptors().size() <= queue_size);
    CHECK(chain.readable().size() + chain.writable().size() == chain.descriptors().size());
    uint64_t readable = 0;
    uint64_t writable = 0;
    for (const Descriptor& buffer : chain.readable()) {
        CHECK(!buffer.device_writable);
        CHECK(memory.contains(buffer.address, buffer.length));
        readable += buffer.length;
    }
    for (const Descriptor& buffer : chain.writable()) {
        CHECK(buffer.device_writable);
        CHECK(memory.contains(buffer.address, buffer.length));
        writable += buffer.length;
    }
    CHECK(readable == chain.readable_length());
    CHECK(writable == chain.writable_length());
    CHECK(readable + writable <= UINT32_MAX);

    // Read everything, in chunks, then check that nothing more comes.
    ChainReader reader(memory, chain);
    std::vector<uint8_t> buffer(chunk);
    while (reader.remaining() >= chunk) {
        CHECK(reader.read(buffer));
    }
    const uint32_t tail = reader.remaining();
    const auto slices = reader.take_slices(tail);
    CHECK(slices.has_value());
    size_t sliced = 0;
    for (const auto& slice : *slices) {
        sliced += slice.size();
    }
    CHECK(sliced == tail);
    CHECK(reader.bytes_read() == chain.readable_length());
    CHECK(!reader.read_obj<uint8_t>().has_value());

    // Fill every writable byte, then check that nothing more fits.
    ChainWriter writer(memory, chain);
    std::memset(buffer.data(), 0xa5, buffer.size());
    while (writer.remaining() >= chunk) {
        CHECK(writer.write(buffer));
    }
    CHECK(writer.take_slices(writer.remaining()).has_value());
    CHECK(writer.bytes_written() == chain.writable_length());
    CHECK(!writer.write_obj(uint8_t{0}));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderSize) {
        return 0;
    }
    const GuestMemory& memory = guest_memory();
    const auto queue_size = static_cast<uint16_t>(1u << (data[0] % 8));
    const size_t chunk = (data[1] >> 2) + 1u;
    const auto start = static_cast<uint16_t>(data[2] | (data[3] << 8));
    load_guest_memory(memory, data + kHeaderSize, size - kHeaderSize);

    SplitQueue queue(128);
    queue.set_size(queue_size);
    queue.set_desc_table(GuestAddress(uint64_t{data[4]} * 16));
    queue.set_avail_ring(GuestAddress(uint64_t{data[5]} * 8 + (data[7] & 1)));
    queue.set_used_ring(GuestAddress(uint64_t{data[6]} * 8 + (data[7] & 2)));
    uint64_t features = 0;
    if (data[1] & 1) {
        features |= uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC;
    }
    if (data[1] & 2) {
        features |= uint64_t{1} << VIRTIO_RING_F_EVENT_IDX;
    }
    queue.set_negotiated_features(features);
    queue.set_next_avail(start);
    queue.set_next_used(start);
    // A transport would refuse an invalid configuration; the fuzzer runs the
    // queue either way, since a queue used without the check must fail
    // cleanly too.
    (void)queue.is_valid_config(memory);
    queue.set_ready(true);

    // Every head straight through the walker, as well.
    const DescriptorTable table{queue.desc_table(), queue_size, queue.indirect_desc()};
    for (uint16_t head = 0; head < queue_size; ++head) {
        ChainResult result = walk_chain(memory, table, head);
        if (auto* chain = std::get_if<DescriptorChain>(&result)) {
            check_chain(memory, *chain, queue_size, chunk);
        }
    }

    // At most `size` chains can be pending; the writer may rewrite the ring as
    // it goes (the guest can too), so allow a few rounds but no more.
    const int max_pops = 4 * queue_size + 4;
    int pops = 0;
    for (; pops < max_pops; ++pops) {
        PopResult next = queue.pop(memory);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            check_chain(memory, *chain, queue_size, chunk);
            queue.add_used(memory, chain->head_index(), chain->writable_length());
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            CHECK(!describe(bad->error).empty());
            queue.add_used(memory, bad->head_index, 0);
        } else if (auto* broken = std::get_if<BrokenQueue>(&next)) {
            CHECK(queue.error() == broken->error);
            CHECK(std::holds_alternative<BrokenQueue>(queue.pop(memory)));  // it stays broken
            break;
        } else {
            break;
        }
    }
    (void)queue.should_notify(memory);
    queue.reset();
    CHECK(!queue.error().has_value() && queue.next_avail() == 0);
    return 0;
}
