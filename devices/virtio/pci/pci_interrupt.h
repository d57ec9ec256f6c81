// How a virtio device's notifications reach the driver over PCI (virtio 1.2
// §4.1.4.5 "ISR status capability", §4.1.5.3 "Used Buffer Notifications",
// §4.1.5.4 "Notification of Device Configuration Changes"):
//
//   - the ISR status byte: bit 0 (queue interrupt) and bit 1
//     (VIRTIO_PCI_ISR_CONFIG, configuration change), cleared when read;
//   - the MSI-X vector the driver mapped to each event through
//     config_msix_vector and queue_msix_vector (§4.1.4.3), delivered through
//     pci::Msix, which handles masking and pending bits;
//   - DEVICE_NEEDS_RESET (§2.1.2), which the device or the transport sets and
//     only a reset clears, announced as a configuration change.
//
// The ISR bits are set for every notification, as QEMU does, so that a driver
// without MSI-X finds them; the spec requires them when MSI-X is disabled and
// never forbids them otherwise. INTx is not wired yet: a notification sent
// while MSI-X is disabled only sets the ISR bit, and counts as lost.
//
// This is the state a device's own threads reach (a block device's I/O
// worker signalling completions) while the transport may be busy with a
// register access, so it takes no transport lock: the fields are atomics, and
// Msix has its own mutex. Every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "devices/pci/msix.h"
#include "devices/virtio/virtio_device.h"

namespace berth::virtio {

class PciInterrupt final : public Interrupt {
public:
    // `queue_count` queues, each with its vector mapping, and an MSI-X table
    // of `queue_count + 1` vectors, so that the driver can give every queue
    // and the configuration change a vector of their own (Linux asks for
    // exactly that first, and falls back to sharing one).
    PciInterrupt(uint16_t queue_count, std::shared_ptr<pci::MsiSink> sink);

    pci::Msix& msix() { return msix_; }
    const pci::Msix& msix() const { return msix_; }

    // --- Interrupt, for the device ---------------------------------------
    // Nothing is sent unless the driver has set DRIVER_OK (§2.1.2, §3.1.1).
    void signal_used_queue(uint16_t queue_index) override;
    void signal_config_change() override;
    void signal_needs_reset() override;

    // --- For the transport -----------------------------------------------
    // The driver's mappings (§4.1.5.1.2): a vector beyond the MSI-X table
    // cannot be mapped and reads back as VIRTIO_MSI_NO_VECTOR, which is how the
    // driver learns that (Linux checks the value it reads back).
    uint16_t config_vector() const { return config_vector_.load(std::memory_order_relaxed); }
    void set_config_vector(uint16_t vector);
    // VIRTIO_MSI_NO_VECTOR for a queue that does not exist.
    uint16_t queue_vector(uint16_t queue_index) const;
    void set_queue_vector(uint16_t queue_index, uint16_t vector);

    // §4.1.4.5: reading the ISR status returns it and clears it.
    uint8_t read_and_clear_isr() { return isr_.exchange(0, std::memory_order_acq_rel); }
    uint8_t isr() const { return isr_.load(std::memory_order_acquire); }

    // §4.1.4.3: config_generation changes whenever the device-specific
    // configuration may have changed (here: each signal_config_change()).
    uint8_t config_generation() const { return generation_.load(std::memory_order_acquire); }

    bool needs_reset() const { return needs_reset_.load(std::memory_order_acquire); }

    // Whether the driver has set DRIVER_OK: notifications go out only then.
    void set_driver_ok(bool driver_ok) { driver_ok_.store(driver_ok, std::memory_order_release); }

    // Device reset (§2.4): no vectors mapped, ISR and DEVICE_NEEDS_RESET
    // clear, DRIVER_OK clear. The MSI-X table itself belongs to PCI and keeps
    // its contents; config_generation keeps counting.
    void reset();

    // Notifications that no mechanism could carry: MSI-X disabled (INTx is not
    // wired), or a vector the MSI-X table refused (a bad message address).
    uint64_t lost_notifications() const { return lost_.load(std::memory_order_relaxed); }

private:
    void send(uint8_t isr_bit, uint16_t vector);

    pci::Msix msix_;
    std::atomic<uint8_t> isr_{0};
    std::atomic<uint8_t> generation_{0};
    std::atomic<bool> needs_reset_{false};
    std::atomic<bool> driver_ok_{false};
    std::atomic<uint16_t> config_vector_;
    // One per queue; the vector is sized once, so the atomics never move.
    std::vector<std::atomic<uint16_t>> queue_vectors_;
    std::atomic<uint64_t> lost_{0};
};

}  // namespace berth::virtio
