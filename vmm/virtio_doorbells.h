// Wires a virtio-pci device's queue notify addresses to ioeventfds, so a
// guest's kick is counted by KVM and handled on the event-loop thread
// without the vCPU ever leaving the kernel. Follows the BAR when the guest
// enables, disables or moves it.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "devices/virtio/pci/virtio_pci_device.h"
#include "vmm/common/unique_fd.h"
#include "vmm/event_loop.h"
#include "vmm/kvm/vm_fd.h"
#include "vmm/trace/exit_deliveries.h"

namespace berth {

class VirtioDoorbells {
public:
    // Creates one eventfd per queue, registers it with `loop`, and installs
    // the device's BAR observer; call before the device goes on the PCI bus.
    // `deliveries` (--stats; may be null, and must outlive the loop's
    // handlers) counts the kicks that arrive.
    VirtioDoorbells(const kvm::VmFd& vm, EventLoop& loop,
                    std::shared_ptr<virtio::VirtioPciDevice> device,
                    trace::DeliveryCounters* deliveries = nullptr);
    // Detaches from the device and the loop; only once no vCPU runs.
    ~VirtioDoorbells();
    VirtioDoorbells(const VirtioDoorbells&) = delete;
    VirtioDoorbells& operator=(const VirtioDoorbells&) = delete;

private:
    void bar_moved(std::optional<uint64_t> bar_address);
    void set_all(uint64_t bar_address, bool assign);

    struct Doorbell {
        UniqueFd event_fd;
        uint64_t bar_offset;
    };
    const kvm::VmFd& vm_;
    EventLoop& loop_;
    std::shared_ptr<virtio::VirtioPciDevice> device_;
    std::vector<Doorbell> doorbells_;
    std::mutex mutex_;                   // protects mapped_at_
    std::optional<uint64_t> mapped_at_;  // where the ioeventfds are assigned now
};

}  // namespace berth
