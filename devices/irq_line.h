// An interrupt line a device can raise and lower, without knowing how the
// interrupt reaches the guest (KVM_IRQ_LINE, irqfd, or a test double).
#pragma once

namespace berth::devices {

class IrqLine {
public:
    virtual ~IrqLine() = default;
    // Level semantics: true while the device has an interrupt pending. For the
    // edge-triggered ISA lines the irqchip sees the low-to-high transitions.
    virtual void set_level(bool high) = 0;
};

}  // namespace berth::devices
