#include "vmm/virtio_doorbells.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "vmm/common/error.h"

namespace berth {
namespace {

// Linux's virtio_pci writes the queue index as a 16-bit value (vp_notify).
constexpr uint32_t kNotifyWriteLength = 2;

}  // namespace

VirtioDoorbells::VirtioDoorbells(const kvm::VmFd& vm, EventLoop& loop,
                                 std::shared_ptr<virtio::VirtioPciDevice> device,
                                 trace::DeliveryCounters* deliveries)
    : vm_(vm), loop_(loop), device_(device) {
    for (const auto& [offset, queue] : device->notify_offsets()) {
        UniqueFd fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
        if (!fd.valid()) {
            throw SystemError("eventfd", errno);
        }
        const int raw_fd = fd.get();
        // The device outlives the loop's handlers: the VM stops the loop first.
        loop_.add(raw_fd, [raw_fd, queue = queue, device = device.get(), deliveries] {
            // The eventfd's counter: how many guest kicks KVM signalled
            // since the last read, none of which made the vCPU exit.
            uint64_t kicks = 0;
            if (read(raw_fd, &kicks, sizeof(kicks)) == sizeof(kicks)) {
                if (deliveries != nullptr) {
                    deliveries->ioeventfd(kicks);
                }
                device->notify(queue);
            }
        });
        doorbells_.push_back({std::move(fd), offset});
    }
    device->set_bar_observer([this](std::optional<uint64_t> address) { bar_moved(address); });
}

VirtioDoorbells::~VirtioDoorbells() {
    device_->set_bar_observer(nullptr);  // the PCI bus may still report BAR changes
    for (const Doorbell& doorbell : doorbells_) {
        loop_.remove(doorbell.event_fd.get());
    }
}

void VirtioDoorbells::set_all(uint64_t bar_address, bool assign) {
    for (const Doorbell& doorbell : doorbells_) {
        vm_.set_ioeventfd(doorbell.event_fd.get(), GuestAddress(bar_address + doorbell.bar_offset),
                          kNotifyWriteLength, assign);
    }
}

// Runs on a vCPU thread while the guest writes the BAR or the command register.
void VirtioDoorbells::bar_moved(std::optional<uint64_t> bar_address) {
    std::lock_guard lock(mutex_);
    try {
        if (mapped_at_) {
            set_all(*mapped_at_, false);
            mapped_at_.reset();
        }
        if (bar_address) {
            set_all(*bar_address, true);
            mapped_at_ = bar_address;
        }
    } catch (const SystemError& error) {
        // Kicks still arrive as ordinary MMIO exits: slower, not broken.
        std::fprintf(stderr, "berth: virtio doorbells: %s\n", error.what());
    }
}

}  // namespace berth
