// The block device (virtio 1.2 §5.2) over a raw disk image: one request
// queue, requests parsed by parse_block_request() and served by
// execute_block_request() on an I/O worker thread of the device's own.
//
// Threads. The transport calls activate(), process_queue(), reset() and the
// config accessors one at a time (virtio_device.h), from a vCPU thread or the
// ioeventfd thread, which must not wait on disk I/O. So process_queue() only
// wakes the worker, and the worker alone uses the queue, guest memory, the
// image and the interrupt while the device is active: it pops every
// available chain (at most one ring's worth between looks at the stop flag
// and at the driver's wish to be notified), serves it, returns it with
// add_used(), and signals the used queue when should_notify() says so.
// activate() starts the worker (on a thread made with the device, before
// any seccomp filter: vmm/seccomp/standby_thread.h); reset() and the
// destructor stop it and join it, so that it touches nothing handed over by
// activate() once they return.
// The destructor then flushes a writable image (fdatasync), so that a VM
// that stops cleanly leaves every completed write durable.
// A request being served when reset() comes is finished first (its I/O is not
// interrupted); requests not yet popped stay in the ring, which the driver
// forgets on reset anyway.
#pragma once

#include <linux/virtio_blk.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "devices/virtio/blk/block_request.h"
#include "devices/virtio/blk/disk_image.h"
#include "devices/virtio/queue/split_queue.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/seccomp/standby_thread.h"

namespace berth::virtio {

class VirtioBlk final : public VirtioDevice {
public:
    // §5.2.2: one queue, requestq1 (no VIRTIO_BLK_F_MQ). 256 is QEMU's size.
    static constexpr uint16_t kQueueSize = 256;
    // §5.2.4 limits, advertised in the configuration space.
    // seg_max counts data segments only: Linux adds two descriptors (header
    // and status) to each request and wants the whole chain to fit the ring.
    static constexpr uint32_t kSegMax = kQueueSize - 2;
    static constexpr uint32_t kSizeMax = 1 << 20;  // bytes in one segment
    static constexpr uint32_t kBlkSize = 512;      // the logical block size the guest uses
    // Discard and write zeroes: up to 1 GiB per segment, 32 segments per
    // request, and discards in 4 KiB units (the host file system's block),
    // which Linux turns into its discard_granularity.
    static constexpr uint32_t kMaxDiscardSectors = 1u << 21;
    static constexpr uint32_t kMaxDiscardSeg = 32;
    static constexpr uint32_t kDiscardSectorAlignment = 8;
    static constexpr uint32_t kMaxWriteZeroesSectors = 1u << 21;
    static constexpr uint32_t kMaxWriteZeroesSeg = 32;
    // The worker asks should_notify() at least every this many requests, so
    // that the driver hears of finished requests while a long batch runs.
    static constexpr uint32_t kNotifyEvery = 16;

    // The guest's disk is `image`; `serial` answers VIRTIO_BLK_T_GET_ID.
    // DiskImage::open() has checked the serial's length; a longer one here is
    // a bug in Berth and throws std::invalid_argument.
    VirtioBlk(DiskImage image, std::string serial);
    ~VirtioBlk() override;  // stops the worker, like reset(), then flushes the image

    VirtioBlk(const VirtioBlk&) = delete;
    VirtioBlk& operator=(const VirtioBlk&) = delete;

    std::string_view name() const override { return "virtio-blk"; }
    uint16_t device_type() const override;
    // §5.2.3: SIZE_MAX, SEG_MAX, BLK_SIZE, FLUSH; RO on a read-only image;
    // DISCARD and WRITE_ZEROES on a writable one.
    uint64_t device_features() const override;
    std::vector<uint16_t> queue_max_sizes() const override { return {kQueueSize}; }

    // struct virtio_blk_config (§5.2.4), little-endian. Read-only: writes
    // (only `writeback`, with VIRTIO_BLK_F_CONFIG_WCE, which is not offered)
    // are ignored.
    uint32_t config_size() const override { return sizeof(virtio_blk_config); }
    void read_config(uint32_t offset, std::span<uint8_t> data) override;
    void write_config(uint32_t offset, std::span<const uint8_t> data) override;

    // Starts the worker. False without exactly one queue and an interrupt.
    bool activate(const GuestMemory& memory, uint64_t features, std::vector<SplitQueue*> queues,
                  std::shared_ptr<Interrupt> interrupt) override;
    // Wakes the worker; returns at once.
    void process_queue(uint16_t queue_index) override;
    // Stops and joins the worker, then forgets the queue, memory and interrupt.
    void reset() override;

    const DiskImage& image() const { return image_; }
    const virtio_blk_config& config() const { return config_; }

    // Chains returned to the driver, and of those, the ones that did not
    // succeed (any status but VIRTIO_BLK_S_OK, or no status byte at all).
    // Any thread.
    uint64_t requests_served() const { return served_.load(std::memory_order_acquire); }
    uint64_t requests_failed() const { return failed_.load(std::memory_order_acquire); }

private:
    void run_worker();
    // Serves chains until the ring is empty, it was told to stop, or it
    // served one ring's worth; returns true in the last case.
    bool serve_available();
    // Serves one chain and returns it to the driver.
    void serve(const DescriptorChain& chain);
    void finish(uint16_t head, uint32_t bytes_written, bool ok);
    void stop_worker();

    DiskImage image_;
    const std::string serial_;
    const virtio_blk_config config_;

    // Handed over by activate(), dropped by reset() once the worker has been
    // joined. Between the two, only the worker uses them.
    const GuestMemory* memory_ = nullptr;
    SplitQueue* queue_ = nullptr;
    std::shared_ptr<Interrupt> interrupt_;
    BlockLimits limits_;

    // The worker's state, used by the worker alone.
    bool queue_broken_ = false;  // stop using the queue until reset (§2.1.2)
    bool logged_guest_error_ = false;
    bool logged_host_error_ = false;

    std::mutex mutex_;  // protects kicked_, and stop_'s changes (so no wake-up is lost)
    std::condition_variable wake_;
    bool kicked_ = false;            // process_queue() ran since the worker last looked
    std::atomic<bool> stop_{false};  // also read without the lock, between requests
    seccomp::StandbyThread worker_{seccomp::ThreadKind::kDeviceIo, "berth-blk"};

    std::atomic<uint64_t> served_{0};
    std::atomic<uint64_t> failed_{0};
};

}  // namespace berth::virtio
