#include "vmm/kvm/vm_fd.h"

#include <sys/mman.h>

#include "vmm/kvm/ioctl.h"

namespace berth::kvm {

void VmFd::set_tss_address(GuestAddress address) const {
    KVM_IOCTL(fd_.get(), KVM_SET_TSS_ADDR, static_cast<unsigned long>(address.value()));
}

void VmFd::set_identity_map_address(GuestAddress address) const {
    uint64_t value = address.value();
    KVM_IOCTL(fd_.get(), KVM_SET_IDENTITY_MAP_ADDR, &value);
}

void VmFd::create_irqchip() const {
    KVM_IOCTL(fd_.get(), KVM_CREATE_IRQCHIP, 0);
}

void VmFd::create_pit() const {
    kvm_pit_config config{};
    config.flags = KVM_PIT_SPEAKER_DUMMY;  // answer port 0x61 in the kernel
    KVM_IOCTL(fd_.get(), KVM_CREATE_PIT2, &config);
}

void VmFd::set_user_memory_region(uint32_t slot, GuestAddress guest_address, uint64_t size,
                                  void* host_address) const {
    kvm_userspace_memory_region region{};
    region.slot = slot;
    region.guest_phys_addr = guest_address.value();
    region.memory_size = size;
    region.userspace_addr = reinterpret_cast<uint64_t>(host_address);
    KVM_IOCTL(fd_.get(), KVM_SET_USER_MEMORY_REGION, &region);
}

void VmFd::set_irq_line(uint32_t irq, bool high) const {
    kvm_irq_level level{};
    level.irq = irq;
    level.level = high ? 1 : 0;
    KVM_IOCTL(fd_.get(), KVM_IRQ_LINE, &level);
}

bool VmFd::signal_msi(uint64_t address, uint32_t data) const {
    kvm_msi msi{};
    msi.address_lo = static_cast<uint32_t>(address);
    msi.address_hi = static_cast<uint32_t>(address >> 32);
    msi.data = data;
    // Returns 0 when the guest had the interrupt blocked: not an error.
    return KVM_IOCTL(fd_.get(), KVM_SIGNAL_MSI, &msi) > 0;
}

void VmFd::set_ioeventfd(int event_fd, GuestAddress address, uint32_t length, bool assign) const {
    kvm_ioeventfd request{};
    request.addr = address.value();
    request.len = length;
    request.fd = event_fd;
    request.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN;
    KVM_IOCTL(fd_.get(), KVM_IOEVENTFD, &request);
}

UniqueFd VmFd::open_stats() const {
    return UniqueFd(KVM_IOCTL(fd_.get(), KVM_GET_STATS_FD, 0));
}

VcpuFd VmFd::create_vcpu(uint32_t id) const {
    UniqueFd vcpu(KVM_IOCTL(fd_.get(), KVM_CREATE_VCPU, static_cast<unsigned long>(id)));
    void* run = mmap(nullptr, vcpu_mmap_size_, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.get(), 0);
    if (run == MAP_FAILED) {
        throw SystemError("mmap of kvm_run", errno);
    }
    return VcpuFd(std::move(vcpu), static_cast<kvm_run*>(run), vcpu_mmap_size_);
}

}  // namespace berth::kvm
