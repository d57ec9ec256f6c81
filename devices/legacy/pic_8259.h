// The master 8259A programmable interrupt controller, in user space: I/O
// ports 0x20-0x21. Berth only builds it for a machine without KVM's
// in-kernel irqchip (--irqchip none), where it is what lab 5 teaches: a timer
// interrupt that has to travel through Berth (PIT -> PIC -> KVM_INTERRUPT)
// instead of staying inside KVM.
//
// What it implements (Intel 8259A data sheet; the PC's wiring):
//   - initialisation: ICW1 on port 0x20 (bit 4 set), then ICW2 (the vector
//     of IRQ 0; the low three bits are ignored), ICW3 unless ICW1 said
//     "single", ICW4 when ICW1 asked for it (its bit 1 is automatic EOI);
//   - OCW1 (port 0x21): the interrupt mask register (IMR);
//   - OCW2 (port 0x20): non-specific EOI (0x20) and specific EOI (0x60 | n);
//     the rotation commands are accepted and ignored;
//   - OCW3 (port 0x20): which register a read of port 0x20 returns, the
//     interrupt request register (IRR, the default) or in-service (ISR);
//   - edge-triggered inputs and fully nested priority: IRQ 0 is the highest,
//     and a request waits while an equal or higher one is in service.
// Not implemented: the slave PIC (0xa0) and cascading, level triggering,
// special mask and polled modes; Linux never needs them on this machine,
// because it runs with the in-kernel irqchip.
//
// The CPU side: the vCPU thread asks has_pending() before each KVM_RUN and,
// when the guest can take an interrupt, acknowledge() gives it the vector
// (the INTA cycle). raise() may come from any thread (the PIT's timer runs
// on the event loop); it calls on_pending so that a vCPU inside KVM_RUN is
// kicked out to take the interrupt. One lock protects the state.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

class Pic8259 final : public BusDevice {
public:
    using Callback = std::function<void()>;

    Pic8259() = default;

    // Called (outside the lock) when raise() makes an interrupt pending.
    void set_on_pending(Callback on_pending);

    std::string_view name() const override { return "pic-8259"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // An edge on input line `irq` (0-7): it is requested until acknowledged.
    void raise(unsigned irq);

    // Whether an unmasked request could be delivered to the CPU now.
    bool has_pending() const;
    // The INTA cycle: the vector of the highest pending request, which moves
    // from IRR to ISR (unless automatic EOI); the spurious IRQ 7 vector when
    // nothing is pending any more.
    uint8_t acknowledge();
    // Waits up to `timeout` for has_pending(); what a halted CPU does.
    bool wait_for_pending(std::chrono::milliseconds timeout);

private:
    std::optional<unsigned> pending_irq_locked() const;
    void write_command(uint8_t value);
    void write_data(uint8_t value);

    mutable std::mutex mutex_;
    std::condition_variable pending_changed_;
    Callback on_pending_;
    uint8_t irr_ = 0;     // requested
    uint8_t isr_ = 0;     // in service
    uint8_t imr_ = 0xff;  // masked: everything, until the guest initialises it
    uint8_t vector_base_ = 0x08;
    // Initialisation: which ICW port 0x21 expects next (0: none, normal use).
    enum class Expect : uint8_t { kNothing, kIcw2, kIcw3, kIcw4 } expect_ = Expect::kNothing;
    bool icw4_needed_ = false;
    bool single_ = false;
    bool auto_eoi_ = false;
    bool read_isr_ = false;  // OCW3: port 0x20 reads ISR instead of IRR
};

}  // namespace berth::devices
