// A virtio device as its transport sees it (virtio 1.2 §2 "Basic Facilities
// of a Virtio Device"), independent of whether the transport is PCI (§4.1) or
// MMIO (§4.2). crosvm, Firecracker and Cloud Hypervisor split devices the
// same way: the device knows its features, queues and configuration space;
// the transport owns the registers the driver writes, the virtqueues'
// configuration, the device status and the interrupt mechanism.
//
// Life cycle, driven by the transport on the driver's behalf (§3.1.1):
//
//   device_features()      offered to the driver (the transport adds its own bits)
//   read/write_config()    any time
//   activate()             when the driver sets DRIVER_OK with valid queues
//   process_queue(n)       each time the driver notifies queue n, once active
//   reset()                when the driver writes 0 to device_status
//
// Threads. The transport calls activate(), process_queue(), reset(),
// read_config() and write_config() one at a time, never concurrently on the
// same device, but not always from the same thread: a vCPU thread (an MMIO
// write to the notify area, a configuration access) or the VM's ioeventfd
// thread (a notification KVM caught). It holds its own lock during each call,
// so a device must not call into the transport from inside them except
// through the Interrupt object, whose methods take no transport lock and may
// be called from any thread at any time. A device that hands work to threads
// of its own (a block device's I/O worker) synchronises those threads with
// process_queue() itself, and has them stop using the queues and the
// interrupt before reset() returns.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

// How a device tells the driver something happened (§2.3 "Notifications").
// The transport implements it: virtio-pci sets the ISR status and sends the
// MSI-X message the driver mapped to the event (§4.1.4.5, §4.1.5.3-4).
// Every method may be called from any thread.
class Interrupt {
public:
    virtual ~Interrupt() = default;

    // A used buffer notification for `queue_index` (§2.7.7): call it after a
    // batch of add_used() when SplitQueue::should_notify() says so.
    virtual void signal_used_queue(uint16_t queue_index) = 0;

    // A configuration change notification (§2.5.1): the device-specific
    // configuration changed. The transport also bumps config_generation.
    virtual void signal_config_change() = 0;

    // The device met an error only a reset can clear, such as a queue the
    // driver broke (§2.1.2): the transport sets DEVICE_NEEDS_RESET in the
    // device status and, once DRIVER_OK is set, notifies a configuration
    // change. The device stops using the queue until reset().
    virtual void signal_needs_reset() = 0;
};

class VirtioDevice {
public:
    virtual ~VirtioDevice() = default;

    // Short name for traces and for the transport's bus entry: "virtio-rng".
    virtual std::string_view name() const = 0;

    // The Device ID of §5 (VIRTIO_ID_RNG, ... from <linux/virtio_ids.h>).
    virtual uint16_t device_type() const = 0;

    // The device-type feature bits this device offers (§2.2, and each
    // device's "Feature bits" section). The transport offers these plus the
    // reserved bits it implements itself (VIRTIO_F_VERSION_1,
    // VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX) and drops other
    // reserved bits (24..41) a device might name, since neither the transport
    // nor SplitQueue implements them.
    virtual uint64_t device_features() const = 0;

    // One entry per virtqueue, in queue-index order: its maximum size, a
    // power of two from 1 to 32768 (§2.7).
    virtual std::vector<uint16_t> queue_max_sizes() const = 0;

    // The device-specific configuration space (§2.5; struct virtio_*_config):
    // its size in bytes, 0 for a device that has none (virtio-rng, §5.4.4).
    // The transport passes only accesses that lie wholly inside it.
    virtual uint32_t config_size() const { return 0; }
    virtual void read_config(uint32_t offset, std::span<uint8_t> data) {
        (void)offset;
        std::fill(data.begin(), data.end(), 0);
    }
    virtual void write_config(uint32_t offset, std::span<const uint8_t> data) {
        (void)offset;
        (void)data;
    }

    // The driver set DRIVER_OK (§3.1.1 step 8). `features` is what was
    // negotiated: offered and acknowledged, transport bits included.
    // `queues[i]` is queue i, configured by the driver; a queue the driver
    // did not enable is not ready() and pop() finds it empty. `memory`, the
    // queues and `interrupt` stay valid until reset(). Returns false when the
    // device cannot start (the transport then sets DEVICE_NEEDS_RESET).
    virtual bool activate(const GuestMemory& memory, uint64_t features,
                          std::vector<SplitQueue*> queues,
                          std::shared_ptr<Interrupt> interrupt) = 0;

    // The driver notified queue `queue_index` (§2.7.13.3): there may be new
    // buffers in its available ring. Only called while active, with an index
    // below queue_max_sizes().size(). It should do a bounded amount of work
    // per call, so that a hostile driver cannot make one notification last
    // forever.
    virtual void process_queue(uint16_t queue_index) = 0;

    // Device reset (§2.4): forget the queues, the memory and the interrupt
    // handed over by activate(), and return to the state after construction.
    // Called for every reset, also when the device was never activated.
    virtual void reset() = 0;
};

}  // namespace berth::virtio
