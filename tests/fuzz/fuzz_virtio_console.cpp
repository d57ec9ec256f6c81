// libFuzzer target: virtio-console (virtio 1.2 §5.3) driven by a guest whose
// queues and memory come from the fuzzer. The device is activated with a
// receive queue and a transmit queue, then goes through a few rounds of what
// the VM does: a transmit notification, host input offered, a receive
// notification, an emergency write, a terminal resize; then a reset.
//
// It checks that offer_input() never claims more bytes than it was given,
// returns every chain it took at once and takes at most a ring of them; that
// the output sink gets no more than a ring of transmit chains per
// notification can hold; that nothing is taken or output after reset(); and,
// through ASan, that nothing outside guest memory or the device's own objects
// is touched. A hang shows up as a libFuzzer timeout.
//
// Input: a 12-byte header, then the bytes of guest memory.
//   [0]     bits 0-2: log2 of receiveq0's size, bits 3-5: transmitq0's
//   [1]     bit 0: VIRTIO_F_INDIRECT_DESC, bit 1: VIRTIO_F_EVENT_IDX,
//           bit 2: VIRTIO_CONSOLE_F_SIZE
//   [2..4]  receiveq0's descriptor table / 16, available ring / 8, used ring / 8
//   [5..7]  transmitq0's, the same way
//   [8]     bytes of host input offered per round
//   [9]     rounds (taken modulo 4, plus 1)
//   [10]    the emergency write's character
//   [11]    unused
//   [12..]  guest memory, copied to RAM from address 0 (RAM is [0, 0x1000))
//
// The seeds in tests/fuzz/corpus/virtio_console use this format with two
// 8-entry queues (receiveq0 at 0x000/0x100/0x180, transmitq0 at
// 0x200/0x300/0x380): plain chains, EVENT_IDX with F_SIZE, an indirect
// transmit chain, chains on the wrong side or outside RAM, broken available
// indices, and a receive buffer laid over the available ring.
//
// clang-format off
// fuzz-sources: devices/virtio/console/*.cpp devices/virtio/queue/*.cpp vmm/memory/guest_memory.cpp vmm/common/error.cpp
// clang-format on

#include <linux/virtio_console.h>
#ifndef VIRTIO_RING_NO_LEGACY
#define VIRTIO_RING_NO_LEGACY  // C-only helpers C++ refuses to compile
#endif
#include <linux/virtio_ring.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "devices/virtio/console/virtio_console.h"
#include "devices/virtio/queue/split_queue.h"
#include "tests/fuzz/check.h"
#include "vmm/memory/guest_memory.h"

using berth::GuestAddress;
using berth::GuestMemory;
using namespace berth::virtio;

namespace {

constexpr uint64_t kRamSize = 0x1000;
constexpr size_t kHeaderSize = 12;

const GuestMemory& guest_memory() {
    static const GuestMemory memory = GuestMemory::create({{GuestAddress(0), kRamSize}});
    return memory;
}

class NullInterrupt final : public Interrupt {
public:
    void signal_used_queue(uint16_t) override {}
    void signal_config_change() override {}
    void signal_needs_reset() override {}
};

void configure(SplitQueue& queue, uint16_t size, const uint8_t* areas, uint64_t features) {
    queue.set_size(size);
    queue.set_desc_table(GuestAddress(uint64_t{areas[0]} * 16));
    queue.set_avail_ring(GuestAddress(uint64_t{areas[1]} * 8));
    queue.set_used_ring(GuestAddress(uint64_t{areas[2]} * 8));
    queue.set_negotiated_features(features);
    queue.set_ready(true);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderSize) {
        return 0;
    }
    const GuestMemory& memory = guest_memory();
    uint8_t* ram = memory.regions()[0].host;
    std::memset(ram, 0, kRamSize);
    std::memcpy(ram, data + kHeaderSize, std::min<size_t>(size - kHeaderSize, kRamSize));

    uint64_t features = uint64_t{1} << 32;  // VIRTIO_F_VERSION_1
    if (data[1] & 1) {
        features |= uint64_t{1} << VIRTIO_RING_F_INDIRECT_DESC;
    }
    if (data[1] & 2) {
        features |= uint64_t{1} << VIRTIO_RING_F_EVENT_IDX;
    }
    if (data[1] & 4) {
        features |= uint64_t{1} << VIRTIO_CONSOLE_F_SIZE;
    }
    SplitQueue receive(VirtioConsole::kQueueSize);
    SplitQueue transmit(VirtioConsole::kQueueSize);
    configure(receive, static_cast<uint16_t>(1u << (data[0] & 7)), data + 2, features);
    configure(transmit, static_cast<uint16_t>(1u << ((data[0] >> 3) & 7)), data + 5, features);
    // A transport refuses invalid configurations; the device must survive
    // them anyway, so the check's answer is ignored.
    (void)receive.is_valid_config(memory);
    (void)transmit.is_valid_config(memory);

    uint64_t output_bytes = 0;
    bool active = true;
    VirtioConsole console([&](std::span<const uint8_t> bytes) {
        CHECK(!bytes.empty());
        output_bytes += bytes.size();
        // Only an emergency write may output after reset(): none happens then.
        CHECK(active);
    });
    CHECK(console.activate(memory, features, {&receive, &transmit},
                           std::make_shared<NullInterrupt>()));

    std::vector<uint8_t> input(data[8]);
    for (size_t i = 0; i < input.size(); ++i) {
        input[i] = static_cast<uint8_t>(i);
    }
    const int rounds = data[9] % 4 + 1;
    for (int round = 0; round < rounds; ++round) {
        console.process_queue(VirtioConsole::kTransmitQueue);

        const uint16_t used_before = receive.next_used();
        const size_t taken = console.offer_input(input);
        CHECK(taken <= input.size());
        // Every chain the offer took is returned at once, and it takes at
        // most a ring's worth.
        const auto returned = static_cast<uint16_t>(receive.next_used() - used_before);
        CHECK(returned <= receive.size());
        CHECK(taken == 0 || returned > 0);

        console.process_queue(VirtioConsole::kReceiveQueue);
        const uint8_t character[4] = {data[10], 0, 0, 0};
        const uint64_t before = output_bytes;
        console.write_config(offsetof(virtio_console_config, emerg_wr), character);
        CHECK(output_bytes == before + 1);
        console.set_terminal_size(static_cast<uint16_t>(80 + round), 24);
        (void)console.wait_for_input_space(std::chrono::milliseconds(0));
    }
    // Per round: at most a ring of transmit chains, each of at most a queue
    // size of buffers inside RAM, and one emergency write.
    const uint64_t chain_limit = uint64_t{transmit.size()} * kRamSize;
    CHECK(output_bytes <= uint64_t(rounds) * (transmit.size() * chain_limit + 1));

    console.reset();
    active = false;
    CHECK(console.offer_input(input) == 0);
    console.process_queue(VirtioConsole::kTransmitQueue);
    CHECK(!console.wait_for_input_space(std::chrono::milliseconds(0)));
    return 0;
}
