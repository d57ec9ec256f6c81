// Work that reached the guest or a device without a VM exit to Berth, for
// `berth run --stats`: guest kicks that KVM turned into ioeventfd signals
// (the guest's vCPU never left the kernel), and interrupts Berth injected
// from its own threads. Counted by the threads that do the work, which are
// not vCPU exit loops; only when statistics are on (a null pointer otherwise).
#pragma once

#include <atomic>
#include <cstdint>

namespace berth::trace {

struct DeliverySnapshot {
    uint64_t ioeventfd_wakeups = 0;  // eventfd reads by the doorbell (event loop) thread
    uint64_t ioeventfd_kicks = 0;    // guest writes KVM signalled, summed over those reads
    uint64_t msi_delivered = 0;      // KVM_SIGNAL_MSI calls that reached a LAPIC
    uint64_t msi_blocked = 0;        // ... that the guest had blocked (KVM returned 0)
    uint64_t irq_line_raised = 0;    // KVM_IRQ_LINE calls, level high
    uint64_t irq_line_lowered = 0;   // KVM_IRQ_LINE calls, level low
    bool operator==(const DeliverySnapshot&) const = default;
};

class DeliveryCounters {
public:
    void ioeventfd(uint64_t kicks) {
        ioeventfd_wakeups_.fetch_add(1, std::memory_order_relaxed);
        ioeventfd_kicks_.fetch_add(kicks, std::memory_order_relaxed);
    }
    void msi(bool delivered) {
        (delivered ? msi_delivered_ : msi_blocked_).fetch_add(1, std::memory_order_relaxed);
    }
    void irq_line(bool high) {
        (high ? irq_line_raised_ : irq_line_lowered_).fetch_add(1, std::memory_order_relaxed);
    }

    DeliverySnapshot snapshot() const {
        return {ioeventfd_wakeups_.load(std::memory_order_relaxed),
                ioeventfd_kicks_.load(std::memory_order_relaxed),
                msi_delivered_.load(std::memory_order_relaxed),
                msi_blocked_.load(std::memory_order_relaxed),
                irq_line_raised_.load(std::memory_order_relaxed),
                irq_line_lowered_.load(std::memory_order_relaxed)};
    }

private:
    std::atomic<uint64_t> ioeventfd_wakeups_{0};
    std::atomic<uint64_t> ioeventfd_kicks_{0};
    std::atomic<uint64_t> msi_delivered_{0};
    std::atomic<uint64_t> msi_blocked_{0};
    std::atomic<uint64_t> irq_line_raised_{0};
    std::atomic<uint64_t> irq_line_lowered_{0};
};

}  // namespace berth::trace
