// A 16550A UART, as on a PC's COM1 (ports 0x3f8-0x3ff, ISA IRQ 4).
//
// Modelled on the National Semiconductor PC16550D datasheet and on what
// Linux's 8250 driver checks when it probes and starts a port
// (drivers/tty/serial/8250/8250_port.c: autoconfig(), autoconfig_16550a(),
// serial8250_do_startup()):
//   - IER keeps its low 4 bits and reads 0 in the upper 4 (scratch test);
//   - LCR.DLAB maps offsets 0/1 to the divisor latch DLL/DLM;
//   - IIR reads 0xC0 in bits 7:6 once FCR enables the FIFOs, 0 in bits 5:4;
//   - with MCR = LOOP|RTS|OUT2 (0x1A) the modem inputs follow the outputs,
//     so MSR & 0xF0 == 0x90 (CTS from RTS, DCD from OUT2);
//   - setting IER.ETBEI while the transmitter is empty raises the THR-empty
//     interrupt, reading IIR clears it, and clearing then setting ETBEI
//     raises it again.
//
// What Berth simplifies:
//   - There is no baud-rate timing. A byte written to THR is transmitted at
//     once: it goes to the output sink (or, in loopback, to the receive FIFO),
//     so LSR.THRE and LSR.TEMT always read 1.
//   - There is no character-timeout timer. Any data in the receive FIFO raises
//     "received data available" (IIR id 0x04) at once, whatever the FIFO
//     trigger level; a driver treats it the same as a timeout (0x0C).
//   - Host input never overruns: offer_input() takes only what fits and the
//     host keeps the rest (back-pressure). Overrun (LSR.OE) happens when a
//     byte sent in loopback mode finds the receive FIFO full.
//   - The modem inputs (outside loopback) are a connected, ready terminal:
//     CTS, DSR and DCD asserted, RI not (MSR reads 0xB0 after reset).
//   - Accesses wider than one byte are not 16550 accesses: reads return 0xff
//     bytes, writes are dropped.
//
// The IRQ line is high exactly while an interrupt is pending and MCR.OUT2 is
// set: on a PC, OUT2 gates the UART's interrupt onto the ISA bus, and Linux
// sets it once the port is open. (The datasheet forces the OUT2 pin inactive
// in loopback mode; Berth keeps the simpler rule, which Linux never notices
// because it probes loopback with IER = 0.)
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>

#include "devices/bus_device.h"
#include "devices/irq_line.h"

namespace berth::devices {

class Uart16550 final : public BusDevice {
public:
    // Receives each transmitted byte, in order, from whichever vCPU thread
    // wrote THR. It is called outside the register lock (under a separate
    // output lock that keeps bytes in order), so it may call offer_input(),
    // but it must not write UART registers itself, and it must not block for
    // long: the vCPU waits for it.
    using OutputSink = std::function<void(std::span<const uint8_t>)>;

    static constexpr size_t kFifoSize = 16;
    // Divisor latch after reset: 12, i.e. 9600 baud from the 1.8432 MHz clock.
    static constexpr uint16_t kResetDivisor = 12;
    // Modem inputs outside loopback: a terminal that is present and ready.
    static constexpr uint8_t kModemInputs = 0xB0;  // UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS

    // `irq` is driven with set_level() (only on changes, and under the
    // register lock, so it must not call back into the UART).
    Uart16550(std::shared_ptr<IrqLine> irq, OutputSink output);

    std::string_view name() const override { return "uart-16550"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // Host to guest. Puts as many of `bytes` into the receive FIFO as fit and
    // returns how many it took (0 once close_input() was called). The FIFO
    // holds 16 bytes with FCR.FIFOE set and 1 byte (the RBR) without.
    size_t offer_input(std::span<const uint8_t> bytes);

    // For the host input thread's back-pressure: waits until the receive FIFO
    // has room. Returns true when it has; false on timeout or once
    // close_input() was called.
    bool wait_for_input_space(std::chrono::milliseconds timeout);

    // Ends input (e.g. at shutdown): wakes every waiter; offer_input() takes
    // nothing from now on.
    void close_input();

private:
    // The receive FIFO: a ring of kFifoSize bytes. In 16450 mode (FIFOs
    // disabled) only one slot is used.
    struct RxFifo {
        std::array<uint8_t, kFifoSize> bytes{};
        size_t head = 0;  // index of the oldest byte
        size_t count = 0;

        bool empty() const { return count == 0; }
        void push(uint8_t byte);
        uint8_t pop();
        void clear() { head = count = 0; }
    };

    uint8_t read_register(uint64_t offset);
    // Returns true when `*transmitted` holds a byte for the output sink.
    bool write_register(uint64_t offset, uint8_t value, uint8_t* transmitted);
    void write_ier(uint8_t value);
    void write_fcr(uint8_t value);
    void write_mcr(uint8_t value);
    size_t rx_capacity() const;
    bool rx_full() const { return rx_.count >= rx_capacity(); }
    uint8_t modem_inputs() const;  // MSR bits 7:4 as the pins read now
    uint8_t interrupt_id() const;  // IIR bits 3:0
    // Recomputes the IRQ level and calls set_level() if it changed.
    void update_irq();

    const std::shared_ptr<IrqLine> irq_;
    const OutputSink output_;

    // Serialises register writes with the output sink calls they cause, so
    // bytes leave in the order THR received them. Lock order: output_mutex_,
    // then mutex_; mutex_ is released before output_ runs.
    std::mutex output_mutex_;

    // Protects every register below, the receive FIFO, the IRQ level last
    // driven, and input_closed_. Held only for a register access or an input
    // offer; never while calling output_.
    mutable std::mutex mutex_;
    std::condition_variable input_space_;  // signalled when the FIFO gets room
    uint8_t ier_ = 0;
    uint8_t fcr_ = 0;  // FIFOE and the trigger level; write-only on the bus
    uint8_t lcr_ = 0;
    uint8_t mcr_ = 0;
    uint8_t lsr_errors_ = 0;  // UART_LSR_OE: cleared by reading LSR
    uint8_t msr_deltas_ = 0;  // MSR bits 3:0: cleared by reading MSR
    uint8_t scr_ = 0;
    uint16_t divisor_ = kResetDivisor;
    bool thr_interrupt_ = false;  // THR-empty interrupt latched, not yet cleared
    RxFifo rx_;
    bool irq_level_ = false;
    bool input_closed_ = false;
};

}  // namespace berth::devices
