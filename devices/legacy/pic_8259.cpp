#include "devices/legacy/pic_8259.h"

#include <algorithm>
#include <utility>

namespace berth::devices {
namespace {

constexpr uint8_t kIcw1 = 0x10;  // port 0x20, bit 4: start initialisation
constexpr uint8_t kIcw1NeedsIcw4 = 0x01;
constexpr uint8_t kIcw1Single = 0x02;  // no slave: no ICW3
constexpr uint8_t kOcw3 = 0x08;        // port 0x20, bits 4-3 = 01: OCW3
constexpr uint8_t kOcw3ReadRegister = 0x02;
constexpr uint8_t kOcw3ReadIsr = 0x01;
constexpr uint8_t kIcw4AutoEoi = 0x02;
constexpr unsigned kSpuriousIrq = 7;

// The lowest-numbered (highest-priority) set bit of a non-zero byte.
unsigned lowest_bit(uint8_t bits) {
    unsigned n = 0;
    while ((bits & (1u << n)) == 0) {
        ++n;
    }
    return n;
}

}  // namespace

void Pic8259::set_on_pending(Callback on_pending) {
    std::lock_guard lock(mutex_);
    on_pending_ = std::move(on_pending);
}

void Pic8259::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);
    if (data.empty()) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (offset == 0) {
        data[0] = read_isr_ ? isr_ : irr_;
    } else if (offset == 1) {
        data[0] = imr_;
    }
}

void Pic8259::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty()) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (offset == 0) {
        write_command(data[0]);
    } else if (offset == 1) {
        write_data(data[0]);
    }
    // An EOI or an unmask can let a waiting request through. The writer is
    // the vCPU itself, which looks at has_pending() before it runs again.
    if (pending_irq_locked()) {
        pending_changed_.notify_all();
    }
}

void Pic8259::write_command(uint8_t value) {
    if ((value & kIcw1) != 0) {
        // ICW1 resets the controller: nothing requested, in service or masked.
        expect_ = Expect::kIcw2;
        icw4_needed_ = (value & kIcw1NeedsIcw4) != 0;
        single_ = (value & kIcw1Single) != 0;
        irr_ = isr_ = imr_ = 0;
        auto_eoi_ = false;
        read_isr_ = false;
        return;
    }
    if ((value & kOcw3) != 0) {
        if ((value & kOcw3ReadRegister) != 0) {
            read_isr_ = (value & kOcw3ReadIsr) != 0;
        }
        return;
    }
    // OCW2: bits 7-5 are the command, bits 2-0 the level of a specific one.
    switch (value >> 5) {
        case 0b001:  // non-specific EOI: the highest-priority one in service
            if (isr_ != 0) {
                isr_ = static_cast<uint8_t>(isr_ & ~(1u << lowest_bit(isr_)));
            }
            break;
        case 0b011:  // specific EOI
            isr_ = static_cast<uint8_t>(isr_ & ~(1u << (value & 7)));
            break;
        default:  // rotations and priority commands: fixed priority here
            break;
    }
}

void Pic8259::write_data(uint8_t value) {
    switch (expect_) {
        case Expect::kIcw2:
            vector_base_ = static_cast<uint8_t>(value & 0xf8);
            expect_ = single_ ? (icw4_needed_ ? Expect::kIcw4 : Expect::kNothing) : Expect::kIcw3;
            return;
        case Expect::kIcw3:  // which input has a slave: no slave here
            expect_ = icw4_needed_ ? Expect::kIcw4 : Expect::kNothing;
            return;
        case Expect::kIcw4:
            auto_eoi_ = (value & kIcw4AutoEoi) != 0;
            expect_ = Expect::kNothing;
            return;
        case Expect::kNothing:
            imr_ = value;  // OCW1
            return;
    }
}

void Pic8259::raise(unsigned irq) {
    if (irq > 7) {
        return;
    }
    Callback notify;
    {
        std::lock_guard lock(mutex_);
        irr_ = static_cast<uint8_t>(irr_ | (1u << irq));
        if (!pending_irq_locked()) {
            return;
        }
        pending_changed_.notify_all();
        notify = on_pending_;
    }
    if (notify) {
        notify();
    }
}

std::optional<unsigned> Pic8259::pending_irq_locked() const {
    const uint8_t requested = static_cast<uint8_t>(irr_ & ~imr_);
    if (requested == 0) {
        return std::nullopt;
    }
    const unsigned irq = lowest_bit(requested);
    // Fully nested: an equal or higher priority in service blocks it.
    if (isr_ != 0 && lowest_bit(isr_) <= irq) {
        return std::nullopt;
    }
    return irq;
}

bool Pic8259::has_pending() const {
    std::lock_guard lock(mutex_);
    return pending_irq_locked().has_value();
}

uint8_t Pic8259::acknowledge() {
    std::lock_guard lock(mutex_);
    const std::optional<unsigned> irq = pending_irq_locked();
    if (!irq) {
        return static_cast<uint8_t>(vector_base_ + kSpuriousIrq);
    }
    irr_ = static_cast<uint8_t>(irr_ & ~(1u << *irq));
    if (!auto_eoi_) {
        isr_ = static_cast<uint8_t>(isr_ | (1u << *irq));
    }
    return static_cast<uint8_t>(vector_base_ + *irq);
}

bool Pic8259::wait_for_pending(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return pending_changed_.wait_for(lock, timeout,
                                     [this] { return pending_irq_locked().has_value(); });
}

}  // namespace berth::devices
