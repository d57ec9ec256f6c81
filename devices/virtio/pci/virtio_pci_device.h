// The virtio-pci transport, modern interface only (virtio 1.2 §4.1 "Virtio
// Over PCI Bus"): a PCI function that presents one VirtioDevice to the guest.
//
// Identity (§4.1.2): vendor 0x1AF4, device 0x1040 + the virtio device type,
// revision 1 (non-transitional), subsystem 1AF4:1100, a class code that suits
// the device type. No legacy I/O BAR.
//
// Everything lives in BAR 0, a 32-bit non-prefetchable memory BAR of 32 KiB,
// one 4 KiB page per structure so that each could be mapped on its own:
//
//   0x0000  common configuration  struct virtio_pci_common_cfg   §4.1.4.3
//   0x1000  ISR status            one byte, read-to-clear          §4.1.4.5
//   0x2000  device configuration  the device's config_size() bytes  §4.1.4.6
//   0x3000  notifications         queue n at n * 4                 §4.1.4.4
//   0x4000  MSI-X table           queues + 1 vectors               (PCI §6.8.2)
//   0x5000  MSI-X PBA
//
// Each structure is announced by a vendor-specific capability (§4.1.4), and a
// VIRTIO_PCI_CAP_PCI_CFG capability offers the same BAR through configuration
// space (§4.1.4.9). The device configuration capability is left out when the
// device has no configuration: Linux refuses a zero-length one.
//
// Every guest write is checked; nothing the guest does can crash Berth. An
// access that is not the natural width of a register, or lies outside every
// structure, reads 0 and writes nothing (§4.1.3.1 asks the driver for natural
// widths), and counts in ignored_accesses(). Where the driver breaks a rule in
// a way it would not notice (a queue size it cannot have, a queue enabled with
// rings outside guest RAM, DRIVER_OK without FEATURES_OK) the transport sets
// DEVICE_NEEDS_RESET (§2.1.2), announced as a configuration change once
// DRIVER_OK is set. See virtio_pci_device.cpp for each rule.
//
// Notifications (§4.1.5.2): a driver writes the queue index to the queue's
// notify address. Written through the MMIO bus that reaches bar_write(); for
// speed the VM instead registers a KVM ioeventfd at each address in
// notify_offsets() (relative to where BAR 0 is decoded, which bar_mapped()
// reports through the BarObserver) and calls notify() when it fires.
//
// Threads: one mutex protects the device status, the features, the queues
// and their configuration, and is held across every call into the
// VirtioDevice, which therefore sees one call at a time (see
// virtio_device.h). BAR accesses (any vCPU), notify() (the ioeventfd thread)
// and configuration accesses (any vCPU, already serialised by pci::PciBus)
// all take it. Interrupts go through PciInterrupt, which needs no transport
// lock, so a device may signal from inside process_queue() or from its own
// threads. Lock order: PciBus's lock, then this one, then Msix's.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "devices/pci/config_space.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_device.h"
#include "devices/virtio/pci/pci_interrupt.h"
#include "devices/virtio/queue/split_queue.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

class VirtioPciDevice final : public pci::PciDevice {
public:
    // §4.1.2: the PCI IDs of a virtio device.
    static constexpr uint16_t kVendorId = 0x1af4;      // Red Hat, Inc.
    static constexpr uint16_t kDeviceIdBase = 0x1040;  // + the virtio device type
    static constexpr uint8_t kRevisionId = 1;          // non-transitional: 1 or higher
    static constexpr uint16_t kSubsystemVendorId = 0x1af4;
    // Non-transitional devices SHOULD have one of 0x40 or higher (§4.1.2.1);
    // QEMU's 0x1100 is what guests are used to seeing.
    static constexpr uint16_t kSubsystemId = 0x1100;

    // BAR 0's layout (see above).
    static constexpr unsigned kBar = 0;
    static constexpr uint64_t kBarSize = 0x8000;
    static constexpr uint32_t kCommonCfgOffset = 0x0000;
    static constexpr uint32_t kIsrOffset = 0x1000;
    static constexpr uint32_t kDeviceCfgOffset = 0x2000;
    static constexpr uint32_t kNotifyOffset = 0x3000;
    static constexpr uint32_t kMsixTableOffset = 0x4000;
    static constexpr uint32_t kMsixPbaOffset = 0x5000;
    static constexpr uint32_t kRegionSize = 0x1000;  // each structure's page
    // Queue n's notify address is kNotifyOffset + n * kNotifyOffMultiplier
    // (queue_notify_off reads n). Distinct addresses let one ioeventfd per
    // queue match on the address alone.
    static constexpr uint32_t kNotifyOffMultiplier = 4;
    // The MSI-X table's page holds 256 vectors: one per queue and one for
    // configuration changes.
    static constexpr size_t kMaxQueues = kRegionSize / 16 - 1;

    // `memory` must outlive this object. Throws std::invalid_argument when the
    // device has no queues or more than kMaxQueues, a bad queue size, a
    // device configuration larger than a page, or no sink: mistakes in Berth,
    // not in the guest.
    VirtioPciDevice(std::shared_ptr<VirtioDevice> device, const GuestMemory& memory,
                    std::shared_ptr<pci::MsiSink> msi_sink);
    ~VirtioPciDevice() override;

    // --- pci::PciDevice --------------------------------------------------
    std::string_view name() const override;
    pci::ConfigSpace& config_space() override { return config_; }
    void config_read(uint16_t offset, std::span<uint8_t> data) override;
    void config_write(uint16_t offset, std::span<const uint8_t> data) override;
    void bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) override;
    void bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) override;
    void bar_mapped(unsigned bar, std::optional<uint64_t> address) override;

    // --- Notifications that bypass the BAR (ioeventfds) --------------------

    // The driver notified `queue_index`: runs the device's process_queue()
    // when the device is active and the queue enabled; otherwise (or for a
    // queue that does not exist) does nothing. Any thread.
    void notify(uint16_t queue_index);

    // Each queue's notify address as an offset into BAR 0, with its index.
    std::vector<std::pair<uint64_t, uint16_t>> notify_offsets() const;

    // Called with BAR 0's guest-physical address whenever the PCI bus starts
    // decoding it there, and with nullopt when it stops (the guest cleared
    // memory decoding or moved the BAR). The VM moves its ioeventfds here.
    // Runs under pci::PciBus's lock: it must not call into the bus. Set it
    // before the device is added to a bus.
    using BarObserver = std::function<void(std::optional<uint64_t> address)>;
    void set_bar_observer(BarObserver observer);
    std::optional<uint64_t> bar_address() const;

    // Called after each driver write that changed the device status (§2.1),
    // with the status as the driver now reads it: 0 after a reset, DRIVER_OK
    // set once the device is live (and DEVICE_NEEDS_RESET if activation
    // failed). The boot timeline uses it to see each device come up. Runs on
    // the writing vCPU's thread outside this transport's lock (still under
    // pci::PciBus's lock for a write through VIRTIO_PCI_CAP_PCI_CFG), so it
    // may call any method here but must not call into the PCI bus. Set it
    // before the device is added to a bus.
    using StatusObserver = std::function<void(uint8_t status)>;
    void set_status_observer(StatusObserver observer);

    // --- State, for tests and diagnostics ---------------------------------
    uint8_t device_status() const;  // as the driver reads it
    uint64_t offered_features() const { return offered_features_; }
    uint64_t driver_features() const;
    bool activated() const;
    uint64_t ignored_accesses() const { return ignored_.load(std::memory_order_relaxed); }
    const PciInterrupt& interrupt() const { return *interrupt_; }

private:
    void add_capabilities();

    // Register accesses, with mutex_ held. Each returns false for an access
    // it does not honour.
    bool read_common_locked(uint32_t offset, std::span<uint8_t> data);
    bool write_common_locked(uint32_t offset, std::span<const uint8_t> data);
    void write_status_locked(uint8_t value);
    bool write_queue_register_locked(uint32_t offset, uint32_t value);
    bool notify_write_locked(uint32_t offset, size_t size);
    void notify_locked(uint16_t queue_index);
    void activate_locked();
    void reset_locked();
    SplitQueue* selected_queue_locked();

    void pci_cfg_access(bool write);

    const std::shared_ptr<VirtioDevice> device_;
    const GuestMemory& memory_;
    const uint64_t offered_features_;
    const uint32_t device_config_size_;
    const std::shared_ptr<PciInterrupt> interrupt_;
    pci::ConfigSpace config_;
    uint8_t pci_cfg_capability_ = 0;  // offset of the VIRTIO_PCI_CAP_PCI_CFG capability
    std::atomic<uint64_t> ignored_{0};
    BarObserver bar_observer_;  // set before the device is on a bus, then only read
    // Set before the device is on a bus, then only read.
    StatusObserver status_observer_;

    mutable std::mutex mutex_;  // protects everything below, and calls into device_
    uint8_t status_ = 0;        // without DEVICE_NEEDS_RESET, which PciInterrupt keeps
    uint32_t device_feature_select_ = 0;
    uint32_t driver_feature_select_ = 0;
    uint64_t driver_features_ = 0;
    uint16_t queue_select_ = 0;
    std::vector<SplitQueue> queues_;
    bool activated_ = false;
    std::optional<uint64_t> bar_address_;
};

}  // namespace berth::virtio
