// libFuzzer target: the 16550A UART (devices/legacy/uart_16550) driven by a
// sequence of port reads and writes, host input offers, back-pressure waits
// and the end of input, all from the fuzzer.
//
// Next to the UART runs a model of the register file as uart_16550.h and the
// PC16550D datasheet describe it: the divisor latch behind LCR.DLAB, IER's
// four bits, FCR switching between a 16-byte FIFO and the single RBR, the
// loopback wiring of MCR to MSR with its delta bits, LSR.OE on a loopback
// overrun, and the four interrupt sources in priority order. Every register
// read must equal what the model predicts, and besides:
//   - LSR always has THRE and TEMT, never BI, FE, PE or the FIFO error bit,
//     and DR exactly while a read of RBR would return a byte;
//   - IIR's bits 5:4 read 0 and bits 7:6 follow FCR.FIFOE;
//   - the IRQ line is driven only on changes, and is high exactly while IIR
//     reports an interrupt and MCR.OUT2 is set;
//   - the receive buffer never holds more than 16 bytes (1 without FIFOs):
//     offer_input() takes exactly what fits, nothing after close_input(), and
//     wait_for_input_space() says whether there is room;
//   - a byte written to THR reaches the output sink, once and in order,
//     exactly when it is written outside loopback;
//   - accesses wider than a byte read all ones and change nothing.
//
// Input: two bytes per step, [op, value]:
//   op bits 0-2  the register (offset 0-7 from the UART's base port)
//   op bits 3-5  0, 1: read; 2, 3: write `value`; 4: offer (value % 24)
//                bytes of host input; 5: wait_for_input_space(0); 6: an
//                access of 2, 4 or 8 bytes (op bit 7: write); 7: close_input()
//                when value is 0x5a, else a read
//
// tests/fuzz/make_seeds.py writes the seeds in tests/fuzz/corpus/uart_16550.
//
// fuzz-sources: devices/legacy/uart_16550.cpp

#include <linux/serial_reg.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "devices/legacy/uart_16550.h"
#include "tests/fuzz/check.h"

using berth::devices::IrqLine;
using berth::devices::Uart16550;

namespace {

constexpr size_t kMaxSteps = 4096;

class RecordingIrq final : public IrqLine {
public:
    void set_level(bool high) override {
        CHECK(high != level);  // only changes are driven
        level = high;
    }
    bool level = false;
};

// The register file as the header documents it, kept apart from the device's code.
class UartModel {
public:
    uint8_t read(unsigned offset) {
        switch (offset) {
            case UART_RX:
                if (dlab()) {
                    return static_cast<uint8_t>(divisor_);
                }
                if (rx_.empty()) {
                    return 0;
                } else {
                    const uint8_t byte = rx_.front();
                    rx_.pop_front();
                    return byte;
                }
            case UART_IER:
                return dlab() ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
            case UART_IIR: {
                const uint8_t id = interrupt_id();
                if (id == UART_IIR_THRI) {
                    thr_interrupt_ = false;
                }
                return static_cast<uint8_t>(id | (fifo_ ? 0xc0 : 0));
            }
            case UART_LCR:
                return lcr_;
            case UART_MCR:
                return mcr_;
            case UART_LSR: {
                const uint8_t lsr = UART_LSR_THRE | UART_LSR_TEMT | (overrun_ ? UART_LSR_OE : 0) |
                                    (rx_.empty() ? 0 : UART_LSR_DR);
                overrun_ = false;
                return lsr;
            }
            case UART_MSR: {
                const uint8_t msr = modem_inputs() | msr_deltas_;
                msr_deltas_ = 0;
                return msr;
            }
            default:
                return scr_;
        }
    }

    // Returns the byte the output sink must receive, if any.
    std::optional<uint8_t> write(unsigned offset, uint8_t value) {
        switch (offset) {
            case UART_TX:
                if (dlab()) {
                    divisor_ = static_cast<uint16_t>((divisor_ & 0xff00) | value);
                    return std::nullopt;
                }
                thr_interrupt_ = (ier_ & UART_IER_THRI) != 0;
                if (!(mcr_ & UART_MCR_LOOP)) {
                    return value;
                }
                if (rx_.size() >= capacity()) {
                    overrun_ = true;
                } else {
                    rx_.push_back(value);
                }
                return std::nullopt;
            case UART_IER:
                if (dlab()) {
                    divisor_ = static_cast<uint16_t>((divisor_ & 0xff) | (value << 8));
                } else {
                    const bool was = (ier_ & UART_IER_THRI) != 0;
                    ier_ = value & 0x0f;
                    const bool now = (ier_ & UART_IER_THRI) != 0;
                    if (now != was) {
                        thr_interrupt_ = now;  // THR is always empty
                    }
                }
                return std::nullopt;
            case UART_FCR: {
                const bool enable = (value & UART_FCR_ENABLE_FIFO) != 0;
                if (enable != fifo_ || (enable && (value & UART_FCR_CLEAR_RCVR))) {
                    rx_.clear();
                }
                fifo_ = enable;
                return std::nullopt;
            }
            case UART_LCR:
                lcr_ = value;
                return std::nullopt;
            case UART_MCR: {
                const uint8_t before = modem_inputs();
                mcr_ = value & 0x1f;
                const uint8_t after = modem_inputs();
                msr_deltas_ |=
                    ((before ^ after) >> 4) & (UART_MSR_DDCD | UART_MSR_DDSR | UART_MSR_DCTS);
                if ((before & UART_MSR_RI) && !(after & UART_MSR_RI)) {
                    msr_deltas_ |= UART_MSR_TERI;
                }
                return std::nullopt;
            }
            case UART_SCR:
                scr_ = value;
                return std::nullopt;
            default:  // LSR and MSR are read-only
                return std::nullopt;
        }
    }

    // The host's bytes count up, so that their order shows in RBR reads.
    std::vector<uint8_t> host_bytes(size_t count) const {
        std::vector<uint8_t> bytes(count);
        for (size_t i = 0; i < count; ++i) {
            bytes[i] = static_cast<uint8_t>(next_input_ + i);
        }
        return bytes;
    }
    // What offer_input() of host_bytes(count) must take.
    size_t offer(size_t count) {
        const size_t taken = closed_ ? 0 : std::min(count, capacity() - rx_.size());
        for (size_t i = 0; i < taken; ++i) {
            rx_.push_back(next_input_++);
        }
        return taken;
    }
    void close() { closed_ = true; }
    bool has_room() const { return !closed_ && rx_.size() < capacity(); }
    size_t buffered() const { return rx_.size(); }
    size_t capacity() const { return fifo_ ? Uart16550::kFifoSize : 1; }
    bool irq_expected() const {
        return interrupt_id() != UART_IIR_NO_INT && (mcr_ & UART_MCR_OUT2);
    }
    bool fifo_enabled() const { return fifo_; }

private:
    bool dlab() const { return (lcr_ & UART_LCR_DLAB) != 0; }

    uint8_t modem_inputs() const {
        if (!(mcr_ & UART_MCR_LOOP)) {
            return Uart16550::kModemInputs;
        }
        return static_cast<uint8_t>(((mcr_ & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
                                    ((mcr_ & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                                    ((mcr_ & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
                                    ((mcr_ & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
    }

    // PC16550D Table IV: the sources, highest priority first.
    uint8_t interrupt_id() const {
        const std::array<std::pair<uint8_t, bool>, 4> sources{{
            {UART_IIR_RLSI, (ier_ & UART_IER_RLSI) && overrun_},
            {UART_IIR_RDI, (ier_ & UART_IER_RDI) && !rx_.empty()},
            {UART_IIR_THRI, (ier_ & UART_IER_THRI) && thr_interrupt_},
            {UART_IIR_MSI, (ier_ & UART_IER_MSI) && msr_deltas_ != 0},
        }};
        for (const auto& [id, active] : sources) {
            if (active) {
                return id;
            }
        }
        return UART_IIR_NO_INT;
    }

    uint8_t ier_ = 0;
    uint8_t lcr_ = 0;
    uint8_t mcr_ = 0;
    uint8_t scr_ = 0;
    uint8_t msr_deltas_ = 0;
    uint16_t divisor_ = Uart16550::kResetDivisor;
    bool fifo_ = false;
    bool overrun_ = false;
    bool thr_interrupt_ = false;
    bool closed_ = false;
    std::deque<uint8_t> rx_;
    uint8_t next_input_ = 0;
};

void check_register(unsigned offset, uint8_t value, const UartModel& model) {
    if (offset == UART_LSR) {
        CHECK((value & UART_LSR_THRE) && (value & UART_LSR_TEMT));
        CHECK((value & (UART_LSR_BI | UART_LSR_FE | UART_LSR_PE | UART_LSR_FIFOE)) == 0);
    }
    if (offset == UART_IIR) {
        CHECK((value & 0x30) == 0);
        CHECK((value & 0xc0) == (model.fifo_enabled() ? 0xc0 : 0));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto irq = std::make_shared<RecordingIrq>();
    std::vector<uint8_t> output;
    Uart16550 uart(irq, [&](std::span<const uint8_t> bytes) {
        output.insert(output.end(), bytes.begin(), bytes.end());
    });
    UartModel model;
    std::vector<uint8_t> expected_output;
    std::array<uint8_t, 8> host_input{};

    for (size_t step = 0; step < kMaxSteps && 2 * step + 1 < size; ++step) {
        const uint8_t op = data[2 * step];
        const uint8_t value = data[2 * step + 1];
        const unsigned offset = op & 7;
        switch ((op >> 3) & 7) {
            case 2:
            case 3: {
                uart.write(offset, std::span(&value, 1));
                if (const std::optional<uint8_t> byte = model.write(offset, value)) {
                    expected_output.push_back(*byte);
                }
                break;
            }
            case 4: {
                const std::vector<uint8_t> bytes = model.host_bytes(value % 24);
                CHECK(uart.offer_input(bytes) == model.offer(bytes.size()));
                break;
            }
            case 5:
                CHECK(uart.wait_for_input_space(std::chrono::milliseconds(0)) == model.has_room());
                break;
            case 6: {
                // 2, 4 or 8 bytes: not a 16550 access.
                const std::span wide(host_input.data(), size_t{2} << (value % 3));
                if (op & 0x80) {
                    uart.write(offset, wide);
                } else {
                    uart.read(offset, wide);
                    for (uint8_t byte : wide) {
                        CHECK(byte == 0xff);
                    }
                }
                break;
            }
            case 7:
                if (value == 0x5a) {
                    uart.close_input();
                    model.close();
                    break;
                }
                [[fallthrough]];
            default: {
                uint8_t byte = 0;
                uart.read(offset, std::span(&byte, 1));
                const uint8_t expected = model.read(offset);
                check_register(offset, byte, model);
                CHECK(byte == expected);
                break;
            }
        }
        CHECK(model.buffered() <= model.capacity());
        CHECK(irq->level == model.irq_expected());
        CHECK(output == expected_output);
    }
    return 0;
}
