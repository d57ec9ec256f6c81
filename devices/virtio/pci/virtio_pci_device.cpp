#include "devices/virtio/pci/virtio_pci_device.h"

#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>
#ifndef VIRTIO_RING_NO_LEGACY
#define VIRTIO_RING_NO_LEGACY
#endif
#include <linux/virtio_ring.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

namespace berth::virtio {
namespace {

// One 32-bit half of a 64-bit register the common configuration splits into
// a low and a high dword (queue_desc, queue_driver, queue_device).
uint32_t dword_half(uint64_t value, bool high) {
    return static_cast<uint32_t>(high ? value >> 32 : value);
}

// The 32 feature bits a *_feature_select value picks (0: bits 0-31, 1: bits
// 32-63); any other selector shows no features.
uint32_t feature_dword(uint64_t features, uint32_t select) {
    return select < 2 ? dword_half(features, select == 1) : 0;
}

constexpr uint64_t bit(unsigned n) {
    return uint64_t{1} << n;
}

// §6 "Reserved Feature Bits": 24 to 41 belong to the transport and the
// queues. Berth implements these three of them; the rest are never offered.
constexpr uint64_t kReservedFeatures = (bit(42) - 1) & ~(bit(24) - 1);
constexpr uint64_t kTransportFeatures =
    bit(VIRTIO_F_VERSION_1) | bit(VIRTIO_RING_F_INDIRECT_DESC) | bit(VIRTIO_RING_F_EVENT_IDX);

// The device status bits of §2.1, as the driver sets them in order (§3.1.1).
constexpr uint8_t kAcknowledge = VIRTIO_CONFIG_S_ACKNOWLEDGE;
constexpr uint8_t kDriver = VIRTIO_CONFIG_S_DRIVER;
constexpr uint8_t kFeaturesOk = VIRTIO_CONFIG_S_FEATURES_OK;
constexpr uint8_t kDriverOk = VIRTIO_CONFIG_S_DRIVER_OK;
constexpr uint8_t kNeedsReset = VIRTIO_CONFIG_S_NEEDS_RESET;
constexpr uint8_t kFailed = VIRTIO_CONFIG_S_FAILED;

// The common configuration structure (§4.1.4.3). <linux/virtio_pci.h> names
// every field's offset (VIRTIO_PCI_COMMON_*); struct virtio_pci_common_cfg is
// a plain struct, so offsetof() checks them. Virtio 1.2 appends
// queue_notify_data and queue_reset, which only exist for features Berth does
// not offer (VIRTIO_F_NOTIFICATION_DATA, VIRTIO_F_RING_RESET): they read 0.
static_assert(offsetof(virtio_pci_common_cfg, device_feature_select) == VIRTIO_PCI_COMMON_DFSELECT);
static_assert(offsetof(virtio_pci_common_cfg, device_status) == VIRTIO_PCI_COMMON_STATUS);
static_assert(offsetof(virtio_pci_common_cfg, queue_select) == VIRTIO_PCI_COMMON_Q_SELECT);
static_assert(offsetof(virtio_pci_common_cfg, queue_notify_off) == VIRTIO_PCI_COMMON_Q_NOFF);
static_assert(offsetof(virtio_pci_common_cfg, queue_used_hi) == VIRTIO_PCI_COMMON_Q_USEDHI);
static_assert(sizeof(virtio_pci_common_cfg) == VIRTIO_PCI_COMMON_Q_NDATA);
constexpr uint32_t kCommonCfgLength = VIRTIO_PCI_COMMON_Q_RESET + sizeof(uint16_t);

// The width of the field at `offset` of the common configuration, 0 when no
// field starts there. §4.1.3.1: the driver accesses each field at its own
// width; 64-bit fields are split into two 32-bit halves.
unsigned common_field_width(uint32_t offset) {
    switch (offset) {
        case VIRTIO_PCI_COMMON_STATUS:
        case VIRTIO_PCI_COMMON_CFGGENERATION:
            return 1;
        case VIRTIO_PCI_COMMON_MSIX:
        case VIRTIO_PCI_COMMON_NUMQ:
        case VIRTIO_PCI_COMMON_Q_SELECT:
        case VIRTIO_PCI_COMMON_Q_SIZE:
        case VIRTIO_PCI_COMMON_Q_MSIX:
        case VIRTIO_PCI_COMMON_Q_ENABLE:
        case VIRTIO_PCI_COMMON_Q_NOFF:
        case VIRTIO_PCI_COMMON_Q_NDATA:
        case VIRTIO_PCI_COMMON_Q_RESET:
            return 2;
        case VIRTIO_PCI_COMMON_DFSELECT:
        case VIRTIO_PCI_COMMON_DF:
        case VIRTIO_PCI_COMMON_GFSELECT:
        case VIRTIO_PCI_COMMON_GF:
        case VIRTIO_PCI_COMMON_Q_DESCLO:
        case VIRTIO_PCI_COMMON_Q_DESCHI:
        case VIRTIO_PCI_COMMON_Q_AVAILLO:
        case VIRTIO_PCI_COMMON_Q_AVAILHI:
        case VIRTIO_PCI_COMMON_Q_USEDLO:
        case VIRTIO_PCI_COMMON_Q_USEDHI:
            return 4;
        default:
            return 0;
    }
}

// PCI Code and ID Assignment: a class that suits the device type, as QEMU
// gives them. Drivers match on the IDs, not the class.
uint32_t class_code_for(uint16_t device_type) {
    switch (device_type) {
        case VIRTIO_ID_NET:
            return 0x020000;  // network controller, Ethernet
        case VIRTIO_ID_BLOCK:
            return 0x010000;  // mass storage controller, SCSI
        case VIRTIO_ID_CONSOLE:
            return 0x078000;  // communication controller, other
        default:
            return 0xff0000;  // "does not fit any defined class" (virtio-rng too)
    }
}

// Where [offset, offset + size) lies inside the structure at [start, start +
// length) of the BAR: the offset into it, or nullopt unless wholly inside.
std::optional<uint32_t> inside(uint64_t offset, size_t size, uint32_t start, uint64_t length) {
    if (offset < start || offset - start > length || size > length - (offset - start)) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(offset - start);
}

uint32_t load_le(std::span<const uint8_t> data) {
    uint32_t value = 0;
    for (size_t i = 0; i < data.size() && i < 4; ++i) {
        value |= uint32_t{data[i]} << (8 * i);
    }
    return value;
}

void store_le(std::span<uint8_t> data, uint32_t value) {
    for (size_t i = 0; i < data.size() && i < 4; ++i) {
        data[i] = static_cast<uint8_t>(value >> (8 * i));
    }
}

// Replaces the low or high 32 bits of a 64-bit register split in two halves.
uint64_t with_half(uint64_t old, uint32_t value, bool high) {
    return high ? (old & 0xffff'ffffull) | (uint64_t{value} << 32)
                : (old & ~0xffff'ffffull) | value;
}

// A virtio capability (§4.1.4) as the bytes ConfigSpace::add_capability()
// wants: everything after the ID and next pointer, which it writes itself.
template <typename Cap>
uint8_t add_vendor_capability(pci::ConfigSpace& config, const Cap& cap,
                              std::span<const uint8_t> write_mask = {}) {
    static_assert(std::is_trivially_copyable_v<Cap>);
    std::array<uint8_t, sizeof(Cap)> bytes{};
    std::memcpy(bytes.data(), &cap, sizeof(Cap));
    constexpr size_t kHeader = offsetof(virtio_pci_cap, cap_len);  // cap_vndr, cap_next
    return config.add_capability(PCI_CAP_ID_VNDR, std::span(bytes).subspan(kHeader),
                                 write_mask.empty() ? write_mask : write_mask.subspan(kHeader));
}

virtio_pci_cap make_cap(uint8_t cfg_type, uint32_t offset, uint32_t length, size_t cap_len) {
    virtio_pci_cap cap{};
    cap.cap_vndr = PCI_CAP_ID_VNDR;
    cap.cap_len = static_cast<uint8_t>(cap_len);
    cap.cfg_type = cfg_type;
    cap.bar = VirtioPciDevice::kBar;
    cap.offset = offset;
    cap.length = length;
    return cap;
}

std::shared_ptr<VirtioDevice> checked(std::shared_ptr<VirtioDevice> device) {
    if (!device) {
        throw std::invalid_argument("virtio-pci: no device");
    }
    const size_t queues = device->queue_max_sizes().size();
    if (queues == 0 || queues > VirtioPciDevice::kMaxQueues) {
        throw std::invalid_argument(fmt::format("virtio-pci: {} has {} queues, 1 to {} allowed",
                                                device->name(), queues,
                                                VirtioPciDevice::kMaxQueues));
    }
    if (device->config_size() > VirtioPciDevice::kRegionSize) {
        throw std::invalid_argument(
            fmt::format("virtio-pci: {}'s configuration is larger than a page", device->name()));
    }
    return device;
}

}  // namespace

VirtioPciDevice::VirtioPciDevice(std::shared_ptr<VirtioDevice> device, const GuestMemory& memory,
                                 std::shared_ptr<pci::MsiSink> msi_sink)
    : device_(checked(std::move(device))),
      memory_(memory),
      offered_features_((device_->device_features() & ~kReservedFeatures) | kTransportFeatures),
      device_config_size_(device_->config_size()),
      interrupt_(std::make_shared<PciInterrupt>(
          static_cast<uint16_t>(device_->queue_max_sizes().size()), std::move(msi_sink))),
      config_(pci::ConfigSpace::Identity{
          .vendor_id = kVendorId,
          .device_id = static_cast<uint16_t>(kDeviceIdBase + device_->device_type()),
          .class_code = class_code_for(device_->device_type()),
          .revision_id = kRevisionId,
          .subsystem_vendor_id = kSubsystemVendorId,
          .subsystem_id = kSubsystemId,
          .interrupt_pin = 0,  // INTx is not wired yet: MSI-X only
      }) {
    for (uint16_t max_size : device_->queue_max_sizes()) {
        queues_.emplace_back(max_size);  // throws for a size that is not a power of two
    }
    config_.add_bar(kBar, {pci::BarKind::kMemory32, kBarSize, false});
    add_capabilities();
}

VirtioPciDevice::~VirtioPciDevice() {
    // Stop a device that still runs (threads of its own) before it loses
    // its queues and memory.
    std::lock_guard lock(mutex_);
    if (activated_) {
        device_->reset();
    }
}

void VirtioPciDevice::add_capabilities() {
    add_vendor_capability(config_, make_cap(VIRTIO_PCI_CAP_COMMON_CFG, kCommonCfgOffset,
                                            kCommonCfgLength, sizeof(virtio_pci_cap)));
    add_vendor_capability(config_,
                          make_cap(VIRTIO_PCI_CAP_ISR_CFG, kIsrOffset, 1, sizeof(virtio_pci_cap)));
    if (device_config_size_ > 0) {
        add_vendor_capability(config_, make_cap(VIRTIO_PCI_CAP_DEVICE_CFG, kDeviceCfgOffset,
                                                device_config_size_, sizeof(virtio_pci_cap)));
    }
    virtio_pci_notify_cap notify{};
    notify.cap = make_cap(VIRTIO_PCI_CAP_NOTIFY_CFG, kNotifyOffset,
                          static_cast<uint32_t>(queues_.size() * kNotifyOffMultiplier),
                          sizeof(virtio_pci_notify_cap));
    notify.notify_off_multiplier = kNotifyOffMultiplier;
    add_vendor_capability(config_, notify);

    // §4.1.4.9: the driver writes bar, offset and length, then reads or
    // writes pci_cfg_data to reach the BAR through configuration space.
    virtio_pci_cfg_cap pci_cfg{};
    pci_cfg.cap = make_cap(VIRTIO_PCI_CAP_PCI_CFG, 0, 0, sizeof(virtio_pci_cfg_cap));
    std::array<uint8_t, sizeof(virtio_pci_cfg_cap)> mask{};
    const auto writable = [&mask](size_t at, size_t size) {
        std::fill_n(mask.begin() + static_cast<ptrdiff_t>(at), size, 0xff);
    };
    writable(offsetof(virtio_pci_cap, bar), 1);
    writable(offsetof(virtio_pci_cap, offset), 4);
    writable(offsetof(virtio_pci_cap, length), 4);
    writable(offsetof(virtio_pci_cfg_cap, pci_cfg_data), 4);
    pci_cfg_capability_ = add_vendor_capability(config_, pci_cfg, mask);

    interrupt_->msix().add_capability(config_, {kBar, kMsixTableOffset, kBar, kMsixPbaOffset});
}

std::string_view VirtioPciDevice::name() const {
    return device_->name();
}

// --- Configuration space ---------------------------------------------------

namespace {

bool overlaps(uint16_t offset, size_t size, uint16_t start, size_t length) {
    return offset < start + length && start < offset + size;
}

}  // namespace

void VirtioPciDevice::config_read(uint16_t offset, std::span<uint8_t> data) {
    const uint16_t pci_cfg_data = pci_cfg_capability_ + offsetof(virtio_pci_cfg_cap, pci_cfg_data);
    if (overlaps(offset, data.size(), pci_cfg_data, 4)) {
        pci_cfg_access(false);
    }
    config_.read(offset, data);
}

void VirtioPciDevice::config_write(uint16_t offset, std::span<const uint8_t> data) {
    config_.write(offset, data);
    interrupt_->msix().control_written(config_);
    const uint16_t pci_cfg_data = pci_cfg_capability_ + offsetof(virtio_pci_cfg_cap, pci_cfg_data);
    if (overlaps(offset, data.size(), pci_cfg_data, 4)) {
        pci_cfg_access(true);
    }
}

// §4.1.4.9.1: a read of pci_cfg_data reads cap.length bytes of BAR cap.bar at
// cap.offset into it; a write writes its first cap.length bytes there. The
// driver must name 1, 2 or 4 bytes, aligned, inside a structure of a BAR
// (§4.1.4.9.2); anything else is ignored.
void VirtioPciDevice::pci_cfg_access(bool write) {
    const uint16_t cap = pci_cfg_capability_;
    const uint8_t bar = config_.read_u8(cap + offsetof(virtio_pci_cap, bar));
    const uint32_t offset = config_.read_u32(cap + offsetof(virtio_pci_cap, offset));
    const uint32_t length = config_.read_u32(cap + offsetof(virtio_pci_cap, length));
    if (bar != kBar || (length != 1 && length != 2 && length != 4) || offset % length != 0 ||
        offset >= kBarSize || kBarSize - offset < length) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    const uint16_t data_offset = cap + offsetof(virtio_pci_cfg_cap, pci_cfg_data);
    std::array<uint8_t, 4> bytes{};
    const auto access = std::span(bytes).first(length);
    if (write) {
        for (uint32_t i = 0; i < length; ++i) {
            bytes[i] = config_.read_u8(static_cast<uint16_t>(data_offset + i));
        }
        bar_write(kBar, offset, access);
    } else {
        bar_read(kBar, offset, access);
        for (uint32_t i = 0; i < length; ++i) {
            config_.set_u8(static_cast<uint16_t>(data_offset + i), bytes[i]);
        }
    }
}

// --- BAR 0 -----------------------------------------------------------------

void VirtioPciDevice::bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);
    if (bar != kBar) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (interrupt_->msix().bar_read(bar, offset, data)) {
        return;  // the MSI-X table or PBA, which keeps its own lock
    }
    std::lock_guard lock(mutex_);
    bool honoured = false;
    if (auto at = inside(offset, data.size(), kCommonCfgOffset, kCommonCfgLength)) {
        honoured = read_common_locked(*at, data);
    } else if (inside(offset, data.size(), kIsrOffset, 1)) {
        data[0] = interrupt_->read_and_clear_isr();
        honoured = true;
    } else if (auto at = inside(offset, data.size(), kDeviceCfgOffset, device_config_size_)) {
        device_->read_config(*at, data);
        honoured = true;
    }
    if (!honoured) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
    }
}

void VirtioPciDevice::bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) {
    if (bar != kBar) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    if (interrupt_->msix().bar_write(bar, offset, data)) {
        return;
    }
    bool honoured = false;
    std::optional<uint8_t> new_status;  // for the status observer, called unlocked
    {
        std::lock_guard lock(mutex_);
        // Only the driver's own bits: DEVICE_NEEDS_RESET may be set by a
        // device thread at any moment, and is not news of this write.
        const uint8_t old_status = status_;
        if (auto at = inside(offset, data.size(), kCommonCfgOffset, kCommonCfgLength)) {
            honoured = write_common_locked(*at, data);
        } else if (auto at = inside(offset, data.size(), kDeviceCfgOffset, device_config_size_)) {
            device_->write_config(*at, data);
            honoured = true;
        } else if (auto at = inside(offset, data.size(), kNotifyOffset,
                                    queues_.size() * kNotifyOffMultiplier)) {
            honoured = notify_write_locked(*at, data.size());
        }
        if (status_ != old_status) {
            new_status = status_ | (interrupt_->needs_reset() ? kNeedsReset : 0);
        }
    }
    // The ISR status is read-only (§4.1.4.5).
    if (!honoured) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
    }
    if (new_status && status_observer_) {
        status_observer_(*new_status);
    }
}

void VirtioPciDevice::bar_mapped(unsigned bar, std::optional<uint64_t> address) {
    if (bar != kBar) {
        return;
    }
    {
        std::lock_guard lock(mutex_);
        bar_address_ = address;
    }
    if (bar_observer_) {
        bar_observer_(address);
    }
}

void VirtioPciDevice::set_bar_observer(BarObserver observer) {
    bar_observer_ = std::move(observer);
}

void VirtioPciDevice::set_status_observer(StatusObserver observer) {
    status_observer_ = std::move(observer);
}

std::optional<uint64_t> VirtioPciDevice::bar_address() const {
    std::lock_guard lock(mutex_);
    return bar_address_;
}

// --- Common configuration (§4.1.4.3) -----------------------------------------

SplitQueue* VirtioPciDevice::selected_queue_locked() {
    return queue_select_ < queues_.size() ? &queues_[queue_select_] : nullptr;
}

bool VirtioPciDevice::read_common_locked(uint32_t offset, std::span<uint8_t> data) {
    if (common_field_width(offset) != data.size()) {
        return false;
    }
    const SplitQueue* queue = selected_queue_locked();
    uint32_t value = 0;
    switch (offset) {
        case VIRTIO_PCI_COMMON_DFSELECT:
            value = device_feature_select_;
            break;
        case VIRTIO_PCI_COMMON_DF:
            value = feature_dword(offered_features_, device_feature_select_);
            break;
        case VIRTIO_PCI_COMMON_GFSELECT:
            value = driver_feature_select_;
            break;
        case VIRTIO_PCI_COMMON_GF:
            value = feature_dword(driver_features_, driver_feature_select_);
            break;
        case VIRTIO_PCI_COMMON_MSIX:
            value = interrupt_->config_vector();
            break;
        case VIRTIO_PCI_COMMON_NUMQ:
            value = static_cast<uint32_t>(queues_.size());
            break;
        case VIRTIO_PCI_COMMON_STATUS:
            value = status_ | (interrupt_->needs_reset() ? kNeedsReset : 0);
            break;
        case VIRTIO_PCI_COMMON_CFGGENERATION:
            value = interrupt_->config_generation();
            break;
        case VIRTIO_PCI_COMMON_Q_SELECT:
            value = queue_select_;
            break;
        // The selected queue's registers read 0 for a queue that does not
        // exist; a queue_size of 0 is how §4.1.4.3 says "unavailable".
        case VIRTIO_PCI_COMMON_Q_SIZE:
            value = queue ? queue->size() : 0;
            break;
        case VIRTIO_PCI_COMMON_Q_MSIX:
            value = queue ? interrupt_->queue_vector(queue_select_) : 0;
            break;
        case VIRTIO_PCI_COMMON_Q_ENABLE:
            value = queue && queue->ready() ? 1 : 0;
            break;
        case VIRTIO_PCI_COMMON_Q_NOFF:
            value = queue ? queue_select_ : 0;  // queue n notifies at n * multiplier
            break;
        case VIRTIO_PCI_COMMON_Q_DESCLO:
        case VIRTIO_PCI_COMMON_Q_DESCHI:
            value = queue ? dword_half(queue->desc_table().value(),
                                       offset == VIRTIO_PCI_COMMON_Q_DESCHI)
                          : 0;
            break;
        case VIRTIO_PCI_COMMON_Q_AVAILLO:
        case VIRTIO_PCI_COMMON_Q_AVAILHI:
            value = queue ? dword_half(queue->avail_ring().value(),
                                       offset == VIRTIO_PCI_COMMON_Q_AVAILHI)
                          : 0;
            break;
        case VIRTIO_PCI_COMMON_Q_USEDLO:
        case VIRTIO_PCI_COMMON_Q_USEDHI:
            value =
                queue ? dword_half(queue->used_ring().value(), offset == VIRTIO_PCI_COMMON_Q_USEDHI)
                      : 0;
            break;
        default:  // queue_notify_data, queue_reset: features not offered
            value = 0;
            break;
    }
    store_le(data, value);
    return true;
}

bool VirtioPciDevice::write_common_locked(uint32_t offset, std::span<const uint8_t> data) {
    if (common_field_width(offset) != data.size()) {
        return false;
    }
    const uint32_t value = load_le(data);
    switch (offset) {
        case VIRTIO_PCI_COMMON_DFSELECT:
            device_feature_select_ = value;
            return true;
        case VIRTIO_PCI_COMMON_GFSELECT:
            driver_feature_select_ = value;
            return true;
        case VIRTIO_PCI_COMMON_GF: {
            // §2.2.1: the driver accepts only offered features, and none once
            // FEATURES_OK is set (§3.1.1). Bits it may not have are dropped,
            // so driver_feature reads back what the device will use.
            if ((status_ & kFeaturesOk) != 0 || driver_feature_select_ >= 2) {
                return false;
            }
            const unsigned shift = 32 * driver_feature_select_;
            driver_features_ = (driver_features_ & ~(uint64_t{0xffff'ffff} << shift)) |
                               ((uint64_t{value} << shift) & offered_features_);
            return true;
        }
        case VIRTIO_PCI_COMMON_MSIX:
            interrupt_->set_config_vector(static_cast<uint16_t>(value));
            return true;
        case VIRTIO_PCI_COMMON_STATUS:
            write_status_locked(static_cast<uint8_t>(value));
            return true;
        case VIRTIO_PCI_COMMON_Q_SELECT:
            queue_select_ = static_cast<uint16_t>(value);
            return true;
        case VIRTIO_PCI_COMMON_Q_SIZE:
        case VIRTIO_PCI_COMMON_Q_MSIX:
        case VIRTIO_PCI_COMMON_Q_ENABLE:
        case VIRTIO_PCI_COMMON_Q_DESCLO:
        case VIRTIO_PCI_COMMON_Q_DESCHI:
        case VIRTIO_PCI_COMMON_Q_AVAILLO:
        case VIRTIO_PCI_COMMON_Q_AVAILHI:
        case VIRTIO_PCI_COMMON_Q_USEDLO:
        case VIRTIO_PCI_COMMON_Q_USEDHI:
            return write_queue_register_locked(offset, value);
        default:  // read-only: device_feature, num_queues, config_generation, ...
            return false;
    }
}

bool VirtioPciDevice::write_queue_register_locked(uint32_t offset, uint32_t value) {
    SplitQueue* queue = selected_queue_locked();
    if (queue == nullptr) {
        return false;  // queue_select names no queue
    }
    if (offset == VIRTIO_PCI_COMMON_Q_MSIX) {
        // May change at any time; a vector beyond the table reads back as
        // VIRTIO_MSI_NO_VECTOR (§4.1.5.1.2).
        interrupt_->set_queue_vector(queue_select_, static_cast<uint16_t>(value));
        return true;
    }
    // §4.1.4.3.2: the driver configures a queue before enabling it, and
    // (without VIRTIO_F_RING_RESET) never changes or disables it afterwards;
    // nor does it set up queues after DRIVER_OK (§3.1.1). The device relies on
    // a running queue's configuration not changing under it.
    if (queue->ready() || (status_ & kDriverOk) != 0) {
        return false;
    }
    const bool high = offset == VIRTIO_PCI_COMMON_Q_DESCHI ||
                      offset == VIRTIO_PCI_COMMON_Q_AVAILHI || offset == VIRTIO_PCI_COMMON_Q_USEDHI;
    switch (offset) {
        case VIRTIO_PCI_COMMON_Q_SIZE:
            // §4.1.4.3.2: a power of two no larger than the maximum, which is
            // what queue_size read after reset. Any other value leaves the
            // driver with a ring the device cannot share.
            if (!std::has_single_bit(value) || value > queue->max_size()) {
                interrupt_->signal_needs_reset();
                return false;
            }
            queue->set_size(static_cast<uint16_t>(value));
            return true;
        case VIRTIO_PCI_COMMON_Q_ENABLE:
            if (value != 1) {
                return false;  // §4.1.4.3.2: the driver MUST NOT write 0
            }
            // Queues are set up after feature negotiation (§3.1.1), and their
            // rings must be aligned and inside guest RAM (§2.7).
            if ((status_ & kFeaturesOk) == 0 || !queue->is_valid_config(memory_)) {
                interrupt_->signal_needs_reset();
                return false;
            }
            queue->set_ready(true);
            return true;
        case VIRTIO_PCI_COMMON_Q_DESCLO:
        case VIRTIO_PCI_COMMON_Q_DESCHI:
            queue->set_desc_table(
                GuestAddress(with_half(queue->desc_table().value(), value, high)));
            return true;
        case VIRTIO_PCI_COMMON_Q_AVAILLO:
        case VIRTIO_PCI_COMMON_Q_AVAILHI:
            queue->set_avail_ring(
                GuestAddress(with_half(queue->avail_ring().value(), value, high)));
            return true;
        default:  // VIRTIO_PCI_COMMON_Q_USEDLO, VIRTIO_PCI_COMMON_Q_USEDHI
            queue->set_used_ring(GuestAddress(with_half(queue->used_ring().value(), value, high)));
            return true;
    }
}

// §2.1 and §3.1.1: the driver sets ACKNOWLEDGE, DRIVER, FEATURES_OK and
// DRIVER_OK in that order, never clears a bit, and resets the device by
// writing 0. A bit set out of order is not taken, so the driver reads back
// what happened; DRIVER_OK out of order also sets DEVICE_NEEDS_RESET, since a
// driver that believes the device is running would otherwise wait forever.
void VirtioPciDevice::write_status_locked(uint8_t value) {
    if (value == 0) {
        reset_locked();
        return;
    }
    // DEVICE_NEEDS_RESET is the device's bit; Linux writes back what it read.
    const uint8_t requested = value & ~kNeedsReset;
    if ((status_ & ~requested) != 0) {
        ignored_.fetch_add(1, std::memory_order_relaxed);  // clears a bit (§2.1.1)
        return;
    }
    const uint8_t added = requested & ~status_;
    uint8_t next = status_ | (added & (kAcknowledge | kFailed));
    if ((added & kDriver) != 0 && (next & kAcknowledge) != 0) {
        next |= kDriver;
    }
    // §2.2.2 / §6.1: the device accepts FEATURES_OK only for a subset of the
    // offered features (driver_feature is masked already) that includes
    // VIRTIO_F_VERSION_1, without which a driver is a legacy one.
    if ((added & kFeaturesOk) != 0 && (next & kDriver) != 0 &&
        (driver_features_ & bit(VIRTIO_F_VERSION_1)) != 0) {
        next |= kFeaturesOk;
    }
    const bool driver_ok = (added & kDriverOk) != 0 && (next & kFeaturesOk) != 0;
    if (driver_ok) {
        next |= kDriverOk;
    }
    if (next != (requested & (kAcknowledge | kDriver | kFeaturesOk | kDriverOk | kFailed))) {
        ignored_.fetch_add(1, std::memory_order_relaxed);
    }
    status_ = next;
    if (driver_ok) {
        activate_locked();
    } else if ((added & kDriverOk) != 0) {
        interrupt_->signal_needs_reset();
    }
}

void VirtioPciDevice::activate_locked() {
    std::vector<SplitQueue*> queues;
    queues.reserve(queues_.size());
    for (SplitQueue& queue : queues_) {
        queue.set_negotiated_features(driver_features_);
        queues.push_back(&queue);
    }
    interrupt_->set_driver_ok(true);
    if (!device_->activate(memory_, driver_features_, std::move(queues), interrupt_)) {
        interrupt_->signal_needs_reset();
        return;
    }
    activated_ = true;
    // A notification sent before DRIVER_OK was dropped (§3.1.1: no buffers
    // are used before then), so look at every enabled queue once now.
    for (uint16_t index = 0; index < queues_.size(); ++index) {
        notify_locked(index);
    }
}

// §2.4 "Device Reset": the device forgets the driver's configuration; the
// driver waits until device_status reads 0, which it does at once.
void VirtioPciDevice::reset_locked() {
    device_->reset();
    activated_ = false;
    interrupt_->reset();
    for (SplitQueue& queue : queues_) {
        queue.reset();
    }
    status_ = 0;
    device_feature_select_ = 0;
    driver_feature_select_ = 0;
    driver_features_ = 0;
    queue_select_ = 0;
}

// --- Notifications (§4.1.4.4, §4.1.5.2) ----------------------------------------

bool VirtioPciDevice::notify_write_locked(uint32_t offset, size_t size) {
    // The driver writes the 16-bit queue index at the queue's own address
    // (32 bits with VIRTIO_F_NOTIFICATION_DATA, not offered). The address
    // says which queue; the value is not needed.
    if (offset % kNotifyOffMultiplier != 0 || (size != 2 && size != 4)) {
        return false;
    }
    notify_locked(static_cast<uint16_t>(offset / kNotifyOffMultiplier));
    return true;
}

void VirtioPciDevice::notify_locked(uint16_t queue_index) {
    if (!activated_ || queue_index >= queues_.size() || !queues_[queue_index].ready()) {
        return;
    }
    device_->process_queue(queue_index);
}

void VirtioPciDevice::notify(uint16_t queue_index) {
    std::lock_guard lock(mutex_);
    notify_locked(queue_index);
}

std::vector<std::pair<uint64_t, uint16_t>> VirtioPciDevice::notify_offsets() const {
    std::vector<std::pair<uint64_t, uint16_t>> offsets;
    for (uint16_t index = 0; index < queues_.size(); ++index) {
        offsets.emplace_back(kNotifyOffset + uint64_t{index} * kNotifyOffMultiplier, index);
    }
    return offsets;
}

// --- State ---------------------------------------------------------------------

uint8_t VirtioPciDevice::device_status() const {
    std::lock_guard lock(mutex_);
    return status_ | (interrupt_->needs_reset() ? kNeedsReset : 0);
}

uint64_t VirtioPciDevice::driver_features() const {
    std::lock_guard lock(mutex_);
    return driver_features_;
}

bool VirtioPciDevice::activated() const {
    std::lock_guard lock(mutex_);
    return activated_;
}

}  // namespace berth::virtio
