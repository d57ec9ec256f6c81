// The entropy device (virtio 1.2 §5.4): the driver offers writable buffers
// on its one queue, and the device fills them with random bytes. No feature
// bits, no configuration space.
//
// This is the smallest device in Berth, and the one to copy when writing a
// new one: take chains off the queue, serve each, return it with the number of
// bytes written, and notify the driver when the queue says so.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

class VirtioRng final : public VirtioDevice {
public:
    // §5.4.2: one queue, requestq. 256 buffers is what QEMU and crosvm offer;
    // Linux keeps a single request outstanding anyway.
    static constexpr uint16_t kQueueSize = 256;
    // Work done for one notification is bounded, so that a driver cannot make
    // a vCPU (or the ioeventfd thread) spin in here: at most the queue size in
    // chains, and at most this many bytes for each. A chain with more room gets
    // this many, and the driver asks again (§5.4.6.1 lets the device write fewer
    // bytes than offered).
    static constexpr uint32_t kMaxBytesPerChain = 64 * 1024;

    // Fills all of `out` with random bytes, or returns false. The default reads
    // getrandom(2); tests pass a predictable one.
    using EntropySource = std::function<bool(std::span<uint8_t> out)>;
    static bool getrandom_source(std::span<uint8_t> out);

    explicit VirtioRng(EntropySource source = getrandom_source);

    std::string_view name() const override { return "virtio-rng"; }
    uint16_t device_type() const override;
    uint64_t device_features() const override { return 0; }  // §5.4.3: none
    std::vector<uint16_t> queue_max_sizes() const override { return {kQueueSize}; }

    bool activate(const GuestMemory& memory, uint64_t features, std::vector<SplitQueue*> queues,
                  std::shared_ptr<Interrupt> interrupt) override;
    void process_queue(uint16_t queue_index) override;
    void reset() override;

    // Chains the driver got back empty: malformed ones, or the source failed.
    uint64_t failed_requests() const { return failed_requests_; }

private:
    uint32_t fill(const DescriptorChain& chain);

    const EntropySource source_;
    // Set by activate(), cleared by reset(). The transport serialises every
    // call (virtio_device.h), so no lock is needed.
    const GuestMemory* memory_ = nullptr;
    SplitQueue* queue_ = nullptr;
    std::shared_ptr<Interrupt> interrupt_;
    uint64_t failed_requests_ = 0;
};

}  // namespace berth::virtio
