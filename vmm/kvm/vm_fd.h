// A KVM virtual machine file descriptor: memory slots, the in-kernel
// interrupt controllers and timer, interrupt lines, and vCPU creation.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/common/unique_fd.h"
#include "vmm/kvm/vcpu_fd.h"
#include "vmm/memory/guest_address.h"

namespace berth::kvm {

class VmFd {
public:
    VmFd(UniqueFd fd, int vcpu_mmap_size) : fd_(std::move(fd)), vcpu_mmap_size_(vcpu_mmap_size) {}

    int get() const { return fd_.get(); }

    // Intel VMX needs three pages for a real-mode TSS and one for an identity
    // page table, somewhere the guest does not use; AMD ignores both.
    void set_tss_address(GuestAddress address) const;
    void set_identity_map_address(GuestAddress address) const;

    // The PIC pair, the IOAPIC and a LAPIC per vCPU, emulated inside the kernel.
    void create_irqchip() const;
    // The i8254 PIT inside the kernel; port 0x61 (speaker) is answered there too.
    void create_pit() const;

    void set_user_memory_region(uint32_t slot, GuestAddress guest_address, uint64_t size,
                                void* host_address) const;

    // Drive an irqchip input (ISA IRQ / IOAPIC pin) to a level.
    void set_irq_line(uint32_t irq, bool high) const;

    // Inject a message-signalled interrupt (MSI-X vector) as the device
    // would write it: `address` in the LAPIC range, `data` the vector.
    // Returns false when the guest had it blocked (KVM returns 0).
    bool signal_msi(uint64_t address, uint32_t data) const;

    // Ask KVM to signal `event_fd` instead of exiting to Berth when the guest
    // writes `length` bytes at MMIO `address` (any value): a doorbell that
    // costs no trip to user space. `assign` false removes it again.
    void set_ioeventfd(int event_fd, GuestAddress address, uint32_t length, bool assign) const;

    VcpuFd create_vcpu(uint32_t id) const;

    // KVM's binary statistics of this VM (KVM_GET_STATS_FD, needs
    // KVM_CAP_BINARY_STATS_FD): an fd to read with trace::read_kvm_stats.
    UniqueFd open_stats() const;

private:
    UniqueFd fd_;
    int vcpu_mmap_size_;
};

}  // namespace berth::kvm
