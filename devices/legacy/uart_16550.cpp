#include "devices/legacy/uart_16550.h"

#include <linux/serial_reg.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace berth::devices {

namespace {

// IER bits 7:4 do not exist on a 16550A and read as 0 (Linux's scratch test
// writes 0x0F and expects 0x0F back, then 0 and expects 0).
constexpr uint8_t kIerMask = UART_IER_MSI | UART_IER_RLSI | UART_IER_THRI | UART_IER_RDI;
// MCR bits 7:5 do not exist on a 16550A.
constexpr uint8_t kMcrMask =
    UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_OUT1 | UART_MCR_RTS | UART_MCR_DTR;
// IIR bits 7:6 read 1 while FCR.FIFOE is set (PC16550D, "Interrupt
// Identification Register"); Linux's autoconfig checks for exactly this.
constexpr uint8_t kIirFifosEnabled = 0xC0;

}  // namespace

void Uart16550::RxFifo::push(uint8_t byte) {
    bytes[(head + count) % kFifoSize] = byte;
    ++count;
}

uint8_t Uart16550::RxFifo::pop() {
    const uint8_t byte = bytes[head];
    head = (head + 1) % kFifoSize;
    --count;
    return byte;
}

Uart16550::Uart16550(std::shared_ptr<IrqLine> irq, OutputSink output)
    : irq_(std::move(irq)), output_(std::move(output)) {
    if (!irq_) {
        throw std::invalid_argument("uart-16550: an IRQ line is required");
    }
}

void Uart16550::read(uint64_t offset, std::span<uint8_t> data) {
    if (data.size() != 1) {
        std::fill(data.begin(), data.end(), 0xff);
        return;
    }
    std::lock_guard lock(mutex_);
    data[0] = read_register(offset);
    update_irq();
}

void Uart16550::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.size() != 1) {
        return;
    }
    std::lock_guard output_lock(output_mutex_);
    uint8_t transmitted = 0;
    bool has_output = false;
    {
        std::lock_guard lock(mutex_);
        has_output = write_register(offset, data[0], &transmitted);
        update_irq();
    }
    if (has_output && output_) {
        try {
            output_(std::span<const uint8_t>(&transmitted, 1));
        } catch (...) {
            // A sink that cannot print (a closed terminal, say) loses the
            // byte, as a disconnected serial line would; the guest goes on.
        }
    }
}

uint8_t Uart16550::read_register(uint64_t offset) {
    const bool dlab = (lcr_ & UART_LCR_DLAB) != 0;
    switch (offset) {
        case UART_RX:  // also UART_DLL
            if (dlab) {
                return static_cast<uint8_t>(divisor_ & 0xff);
            }
            if (rx_.empty()) {
                return 0;
            }
            {
                const uint8_t byte = rx_.pop();
                input_space_.notify_all();
                return byte;
            }
        case UART_IER:  // also UART_DLM
            return dlab ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
        case UART_IIR: {
            const uint8_t id = interrupt_id();
            // Reading IIR clears the THR-empty interrupt when it is the one
            // reported (PC16550D, Table IV "Interrupt Reset Control").
            if (id == UART_IIR_THRI) {
                thr_interrupt_ = false;
            }
            return id | ((fcr_ & UART_FCR_ENABLE_FIFO) ? kIirFifosEnabled : 0);
        }
        case UART_LCR:
            return lcr_;
        case UART_MCR:
            return mcr_;
        case UART_LSR: {
            // THR and the transmitter are always empty: bytes leave at once.
            uint8_t lsr = UART_LSR_THRE | UART_LSR_TEMT | lsr_errors_;
            if (!rx_.empty()) {
                lsr |= UART_LSR_DR;
            }
            lsr_errors_ = 0;  // reading LSR clears the error bits
            return lsr;
        }
        case UART_MSR: {
            const uint8_t msr = modem_inputs() | msr_deltas_;
            msr_deltas_ = 0;  // reading MSR clears the delta bits
            return msr;
        }
        case UART_SCR:
            return scr_;
        default:
            return 0xff;  // the bus never sends offsets past the 8 registers
    }
}

bool Uart16550::write_register(uint64_t offset, uint8_t value, uint8_t* transmitted) {
    const bool dlab = (lcr_ & UART_LCR_DLAB) != 0;
    switch (offset) {
        case UART_TX:  // also UART_DLL
            if (dlab) {
                divisor_ = static_cast<uint16_t>((divisor_ & 0xff00) | value);
                return false;
            }
            // Writing THR clears the THR-empty interrupt; the byte is then
            // transmitted at once, THR is empty again, and the interrupt is
            // raised again if enabled ("after each transmitted byte").
            thr_interrupt_ = (ier_ & UART_IER_THRI) != 0;
            if (mcr_ & UART_MCR_LOOP) {
                // Loopback: the serial output feeds the receiver internally.
                if (rx_full()) {
                    lsr_errors_ |= UART_LSR_OE;  // the new byte is lost
                } else {
                    rx_.push(value);
                }
                return false;
            }
            *transmitted = value;
            return true;
        case UART_IER:  // also UART_DLM
            if (dlab) {
                divisor_ = static_cast<uint16_t>((divisor_ & 0x00ff) | (value << 8));
            } else {
                write_ier(value);
            }
            return false;
        case UART_FCR:
            write_fcr(value);
            return false;
        case UART_LCR:
            lcr_ = value;
            return false;
        case UART_MCR:
            write_mcr(value);
            return false;
        case UART_SCR:
            scr_ = value;
            return false;
        default:
            // LSR and MSR are read-only (writing them is a factory test mode
            // on the real part); nothing else exists.
            return false;
    }
}

void Uart16550::write_ier(uint8_t value) {
    const uint8_t old = ier_;
    ier_ = value & kIerMask;
    const bool was_enabled = (old & UART_IER_THRI) != 0;
    const bool enabled = (ier_ & UART_IER_THRI) != 0;
    if (enabled && !was_enabled) {
        // Enabling ETBEI while THR is empty (always, here) raises the
        // interrupt; serial8250_do_startup() relies on this twice in a row.
        thr_interrupt_ = true;
    } else if (!enabled) {
        thr_interrupt_ = false;
    }
}

void Uart16550::write_fcr(uint8_t value) {
    const bool was_enabled = (fcr_ & UART_FCR_ENABLE_FIFO) != 0;
    const bool enable = (value & UART_FCR_ENABLE_FIFO) != 0;
    // Changing between FIFO and 16450 mode empties the FIFOs; the other bits
    // are only programmed while FCR0 is written as 1 (PC16550D, "FIFO Control
    // Register").
    if (enable != was_enabled || (enable && (value & UART_FCR_CLEAR_RCVR))) {
        rx_.clear();
    }
    fcr_ = enable ? (value & (UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_MASK)) : 0;
    // Capacity may have changed, or the FIFO emptied.
    input_space_.notify_all();
}

void Uart16550::write_mcr(uint8_t value) {
    const uint8_t before = modem_inputs();
    mcr_ = value & kMcrMask;
    const uint8_t after = modem_inputs();
    const uint8_t changed = before ^ after;
    // Bits 7:4 of MSR map to the delta bits 3:0, except that RI reports only
    // its trailing edge (TERI: RI went from 1 to 0).
    uint8_t deltas = (changed >> 4) & (UART_MSR_DDCD | UART_MSR_DDSR | UART_MSR_DCTS);
    if ((before & UART_MSR_RI) && !(after & UART_MSR_RI)) {
        deltas |= UART_MSR_TERI;
    }
    msr_deltas_ |= deltas;
}

size_t Uart16550::rx_capacity() const {
    return (fcr_ & UART_FCR_ENABLE_FIFO) ? kFifoSize : 1;
}

uint8_t Uart16550::modem_inputs() const {
    if (!(mcr_ & UART_MCR_LOOP)) {
        return kModemInputs;
    }
    // Loopback (PC16550D, "Modem Control Register" bit 4): CTS follows RTS,
    // DSR follows DTR, RI follows OUT1 and DCD follows OUT2.
    uint8_t msr = 0;
    if (mcr_ & UART_MCR_RTS) {
        msr |= UART_MSR_CTS;
    }
    if (mcr_ & UART_MCR_DTR) {
        msr |= UART_MSR_DSR;
    }
    if (mcr_ & UART_MCR_OUT1) {
        msr |= UART_MSR_RI;
    }
    if (mcr_ & UART_MCR_OUT2) {
        msr |= UART_MSR_DCD;
    }
    return msr;
}

uint8_t Uart16550::interrupt_id() const {
    // Highest priority first (PC16550D, Table IV).
    if ((ier_ & UART_IER_RLSI) && lsr_errors_) {
        return UART_IIR_RLSI;
    }
    if ((ier_ & UART_IER_RDI) && !rx_.empty()) {
        return UART_IIR_RDI;
    }
    if ((ier_ & UART_IER_THRI) && thr_interrupt_) {
        return UART_IIR_THRI;
    }
    if ((ier_ & UART_IER_MSI) && msr_deltas_) {
        return UART_IIR_MSI;
    }
    return UART_IIR_NO_INT;
}

void Uart16550::update_irq() {
    const bool level = interrupt_id() != UART_IIR_NO_INT && (mcr_ & UART_MCR_OUT2);
    if (level != irq_level_) {
        irq_level_ = level;
        irq_->set_level(level);
    }
}

size_t Uart16550::offer_input(std::span<const uint8_t> bytes) {
    std::lock_guard lock(mutex_);
    if (input_closed_) {
        return 0;
    }
    size_t taken = 0;
    while (taken < bytes.size() && !rx_full()) {
        rx_.push(bytes[taken]);
        ++taken;
    }
    if (taken > 0) {
        update_irq();
    }
    return taken;
}

bool Uart16550::wait_for_input_space(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    input_space_.wait_for(lock, timeout, [this] { return input_closed_ || !rx_full(); });
    return !input_closed_ && !rx_full();
}

void Uart16550::close_input() {
    {
        std::lock_guard lock(mutex_);
        input_closed_ = true;
    }
    input_space_.notify_all();
}

}  // namespace berth::devices
