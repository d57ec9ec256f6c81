#include "devices/virtio/blk/virtio_blk.h"

#include <linux/virtio_ids.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <variant>

#include "devices/virtio/blk/block_executor.h"

namespace berth::virtio {

namespace {

constexpr uint64_t bit(unsigned number) {
    return uint64_t{1} << number;
}

// §5.2.4. Fields are little-endian, as the x86-64 host is (see
// block_request.cpp); those whose feature is not offered stay 0.
virtio_blk_config make_config(const DiskImage& image) {
    virtio_blk_config config{};
    config.capacity = image.capacity_sectors();
    config.size_max = VirtioBlk::kSizeMax;
    config.seg_max = VirtioBlk::kSegMax;
    config.blk_size = VirtioBlk::kBlkSize;
    if (!image.read_only()) {
        config.max_discard_sectors = VirtioBlk::kMaxDiscardSectors;
        config.max_discard_seg = VirtioBlk::kMaxDiscardSeg;
        config.discard_sector_alignment = VirtioBlk::kDiscardSectorAlignment;
        config.max_write_zeroes_sectors = VirtioBlk::kMaxWriteZeroesSectors;
        config.max_write_zeroes_seg = VirtioBlk::kMaxWriteZeroesSeg;
        config.write_zeroes_may_unmap = 1;  // DiskImage punches holes for them
    }
    return config;
}

const std::string& checked_serial(const std::string& serial) {
    if (serial.size() > VIRTIO_BLK_ID_BYTES) {
        throw std::invalid_argument("virtio-blk serial longer than VIRTIO_BLK_ID_BYTES");
    }
    return serial;
}

}  // namespace

VirtioBlk::VirtioBlk(DiskImage image, std::string serial)
    : image_(std::move(image)), serial_(checked_serial(serial)), config_(make_config(image_)) {}

VirtioBlk::~VirtioBlk() {
    stop_worker();
    // However the VM stops short of SIGKILL (the guest powers off, SIGTERM or
    // SIGINT, --timeout, an error), every write the device completed is made
    // durable before Berth exits, flushed by the guest or not. The worker has
    // been joined, so no write can come after this.
    if (const int error = image_.flush(); error != 0) {
        std::fprintf(stderr, "berth: virtio-blk: %s: flushing the image at stop failed: %s\n",
                     image_.path().c_str(), std::strerror(error));
    }
}

uint16_t VirtioBlk::device_type() const {
    return VIRTIO_ID_BLOCK;
}

uint64_t VirtioBlk::device_features() const {
    uint64_t features = bit(VIRTIO_BLK_F_SIZE_MAX) | bit(VIRTIO_BLK_F_SEG_MAX) |
                        bit(VIRTIO_BLK_F_BLK_SIZE) | bit(VIRTIO_BLK_F_FLUSH);
    if (image_.read_only()) {
        features |= bit(VIRTIO_BLK_F_RO);
    } else {
        features |= bit(VIRTIO_BLK_F_DISCARD) | bit(VIRTIO_BLK_F_WRITE_ZEROES);
    }
    return features;
}

void VirtioBlk::read_config(uint32_t offset, std::span<uint8_t> data) {
    // The transport passes only accesses inside config_size(); check anyway,
    // in 64 bits so that the sum cannot wrap.
    if (uint64_t{offset} + data.size() > sizeof(config_)) {
        std::fill(data.begin(), data.end(), 0);
        return;
    }
    // reinterpret_cast: the configuration is a plain struct, read as bytes.
    std::memcpy(data.data(), reinterpret_cast<const uint8_t*>(&config_) + offset, data.size());
}

void VirtioBlk::write_config(uint32_t /*offset*/, std::span<const uint8_t> /*data*/) {}

bool VirtioBlk::activate(const GuestMemory& memory, uint64_t features,
                         std::vector<SplitQueue*> queues, std::shared_ptr<Interrupt> interrupt) {
    if (queues.size() != 1 || queues[0] == nullptr || !interrupt) {
        return false;
    }
    stop_worker();  // the transport resets between activations; be safe if not
    memory_ = &memory;
    queue_ = queues[0];
    interrupt_ = std::move(interrupt);
    limits_ = BlockLimits{
        .capacity_sectors = image_.capacity_sectors(),
        .read_only = image_.read_only(),
        .discard = !image_.read_only() && (features & bit(VIRTIO_BLK_F_DISCARD)) != 0,
        .write_zeroes = !image_.read_only() && (features & bit(VIRTIO_BLK_F_WRITE_ZEROES)) != 0,
        .max_discard_sectors = kMaxDiscardSectors,
        .max_discard_seg = kMaxDiscardSeg,
        .max_write_zeroes_sectors = kMaxWriteZeroesSectors,
        .max_write_zeroes_seg = kMaxWriteZeroesSeg,
    };
    queue_broken_ = false;
    {
        std::lock_guard lock(mutex_);
        kicked_ = false;
        stop_.store(false);
    }
    worker_.start([this] { run_worker(); });
    return true;
}

void VirtioBlk::process_queue(uint16_t queue_index) {
    if (queue_index != 0 || !worker_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        kicked_ = true;
    }
    wake_.notify_one();
}

void VirtioBlk::reset() {
    stop_worker();
    memory_ = nullptr;
    queue_ = nullptr;
    interrupt_.reset();
}

void VirtioBlk::stop_worker() {
    if (!worker_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        stop_.store(true);
    }
    wake_.notify_one();
    worker_.join();
}

void VirtioBlk::run_worker() {
    // On the device's StandbyThread, which takes no signals meant for the
    // process (SIGINT, SIGTERM, ...).
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return kicked_ || stop_.load(); });
        if (stop_.load()) {
            return;
        }
        kicked_ = false;
        lock.unlock();
        const bool more = serve_available();
        lock.lock();
        if (more) {
            kicked_ = true;  // come back after looking at stop_ again
        }
    }
}

bool VirtioBlk::serve_available() {
    if (queue_broken_) {
        return false;
    }
    bool returned_any = false;
    uint32_t since_notify = 0;
    const auto notify_if_wanted = [&] {
        if (returned_any && queue_->should_notify(*memory_)) {
            interrupt_->signal_used_queue(0);
        }
        returned_any = false;
        since_notify = 0;
    };
    for (uint32_t popped = 0; popped < queue_->size(); ++popped) {
        if (stop_.load(std::memory_order_relaxed)) {
            notify_if_wanted();
            return false;
        }
        PopResult next = queue_->pop(*memory_);
        if (auto* chain = std::get_if<DescriptorChain>(&next)) {
            serve(*chain);
        } else if (auto* bad = std::get_if<BadChain>(&next)) {
            // A malformed chain fails alone, returned with nothing written.
            if (!logged_guest_error_) {
                logged_guest_error_ = true;
                std::fprintf(stderr, "berth: virtio-blk: %s: bad descriptor chain: %.*s\n",
                             image_.path().c_str(), static_cast<int>(describe(bad->error).size()),
                             describe(bad->error).data());
            }
            finish(bad->head_index, 0, false);
        } else if (std::holds_alternative<BrokenQueue>(next)) {
            queue_broken_ = true;
            notify_if_wanted();
            interrupt_->signal_needs_reset();  // §2.1.2: only a reset helps
            return false;
        } else {
            notify_if_wanted();
            return false;  // QueueEmpty
        }
        returned_any = true;
        if (++since_notify == kNotifyEvery) {
            notify_if_wanted();
        }
    }
    notify_if_wanted();
    return true;
}

void VirtioBlk::serve(const DescriptorChain& chain) {
    ParsedBlockRequest parsed = parse_block_request(*memory_, chain, limits_);
    if (auto* failed = std::get_if<FailedBlockRequest>(&parsed)) {
        if (!logged_guest_error_) {
            logged_guest_error_ = true;
            const std::string_view why = describe(failed->error);
            std::fprintf(stderr, "berth: virtio-blk: %s: refused a request: %.*s\n",
                         image_.path().c_str(), static_cast<int>(why.size()), why.data());
        }
        uint32_t written = 0;
        if (failed->status_byte) {
            (*failed->status_byte)[0] = failed->status;
            written = 1;
        }
        finish(chain.head_index(), written, false);
        return;
    }
    const BlockRequest& request = std::get<BlockRequest>(parsed);
    const BlockOutcome outcome = execute_block_request(image_, serial_, request);
    if (outcome.host_error != 0 && !logged_host_error_) {
        logged_host_error_ = true;
        std::fprintf(stderr, "berth: virtio-blk: %s: I/O error, reported to the guest: %s\n",
                     image_.path().c_str(), std::strerror(outcome.host_error));
    }
    request.status[0] = outcome.status;
    // §2.7.8: the bytes written into the chain, the status byte included.
    finish(chain.head_index(), outcome.data_written + 1, outcome.status == VIRTIO_BLK_S_OK);
}

void VirtioBlk::finish(uint16_t head, uint32_t bytes_written, bool ok) {
    queue_->add_used(*memory_, head, bytes_written);
    if (!ok) {
        failed_.fetch_add(1, std::memory_order_release);
    }
    served_.fetch_add(1, std::memory_order_release);
}

}  // namespace berth::virtio
