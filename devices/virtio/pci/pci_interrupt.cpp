#include "devices/virtio/pci/pci_interrupt.h"

#include <linux/virtio_pci.h>

namespace berth::virtio {
namespace {

// §4.1.4.5: bit 0 of the ISR status is the queue interrupt. <linux/virtio_pci.h>
// names only the other bit, VIRTIO_PCI_ISR_CONFIG.
constexpr uint8_t kIsrQueue = 0x1;

}  // namespace

PciInterrupt::PciInterrupt(uint16_t queue_count, std::shared_ptr<pci::MsiSink> sink)
    : msix_(static_cast<uint16_t>(queue_count + 1), std::move(sink)),
      config_vector_(VIRTIO_MSI_NO_VECTOR),
      queue_vectors_(queue_count) {
    for (auto& vector : queue_vectors_) {
        vector.store(VIRTIO_MSI_NO_VECTOR, std::memory_order_relaxed);
    }
}

void PciInterrupt::set_config_vector(uint16_t vector) {
    config_vector_.store(vector < msix_.vector_count() ? vector : VIRTIO_MSI_NO_VECTOR,
                         std::memory_order_relaxed);
}

uint16_t PciInterrupt::queue_vector(uint16_t queue_index) const {
    if (queue_index >= queue_vectors_.size()) {
        return VIRTIO_MSI_NO_VECTOR;
    }
    return queue_vectors_[queue_index].load(std::memory_order_relaxed);
}

void PciInterrupt::set_queue_vector(uint16_t queue_index, uint16_t vector) {
    if (queue_index >= queue_vectors_.size()) {
        return;
    }
    queue_vectors_[queue_index].store(vector < msix_.vector_count() ? vector : VIRTIO_MSI_NO_VECTOR,
                                      std::memory_order_relaxed);
}

void PciInterrupt::send(uint8_t isr_bit, uint16_t vector) {
    // The ISR bit first: a driver polling it after the message must see it.
    isr_.fetch_or(isr_bit, std::memory_order_acq_rel);
    if (!msix_.enabled()) {
        lost_.fetch_add(1, std::memory_order_relaxed);  // INTx would carry it: not wired yet
        return;
    }
    if (vector == VIRTIO_MSI_NO_VECTOR) {
        return;  // the driver asked for no interrupt for this event
    }
    switch (msix_.notify(vector)) {
        case pci::Msix::Delivery::kSent:
        case pci::Msix::Delivery::kPending:       // sent when the driver unmasks it
        case pci::Msix::Delivery::kNoSuchVector:  // cannot happen: mapped vectors are checked
            break;
        case pci::Msix::Delivery::kDisabled:  // MSI-X switched off since the check above
        case pci::Msix::Delivery::kBadAddress:
            lost_.fetch_add(1, std::memory_order_relaxed);
            break;
    }
}

void PciInterrupt::signal_used_queue(uint16_t queue_index) {
    if (!driver_ok_.load(std::memory_order_acquire) || queue_index >= queue_vectors_.size()) {
        return;
    }
    send(kIsrQueue, queue_vector(queue_index));
}

void PciInterrupt::signal_config_change() {
    if (!driver_ok_.load(std::memory_order_acquire)) {
        return;
    }
    generation_.fetch_add(1, std::memory_order_acq_rel);
    send(VIRTIO_PCI_ISR_CONFIG, config_vector());
}

void PciInterrupt::signal_needs_reset() {
    // Announced once, when the bit goes from clear to set (§2.1.2: "If
    // DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the device MUST send
    // a device configuration change notification to the driver").
    if (needs_reset_.exchange(true, std::memory_order_acq_rel)) {
        return;
    }
    if (driver_ok_.load(std::memory_order_acquire)) {
        send(VIRTIO_PCI_ISR_CONFIG, config_vector());
    }
}

void PciInterrupt::reset() {
    driver_ok_.store(false, std::memory_order_release);
    needs_reset_.store(false, std::memory_order_release);
    isr_.store(0, std::memory_order_release);
    config_vector_.store(VIRTIO_MSI_NO_VECTOR, std::memory_order_relaxed);
    for (auto& vector : queue_vectors_) {
        vector.store(VIRTIO_MSI_NO_VECTOR, std::memory_order_relaxed);
    }
}

}  // namespace berth::virtio
