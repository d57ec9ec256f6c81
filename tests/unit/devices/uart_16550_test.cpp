#include "devices/legacy/uart_16550.h"

#include <linux/serial_reg.h>

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/devices/fake_irq_line.h"

namespace berth::devices {
namespace {

using testing::FakeIrqLine;
using testing::read8;
using testing::write8;

class Uart16550Test : public ::testing::Test {
protected:
    std::shared_ptr<FakeIrqLine> irq_ = std::make_shared<FakeIrqLine>();
    std::string output_;
    Uart16550 uart_{irq_, [this](std::span<const uint8_t> bytes) {
                        output_.append(bytes.begin(), bytes.end());
                    }};

    uint8_t reg(uint64_t offset) { return read8(uart_, offset); }
    void set(uint64_t offset, uint8_t value) { write8(uart_, offset, value); }
    size_t offer(std::string_view text) {
        return uart_.offer_input(
            std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
    }
};

TEST_F(Uart16550Test, ResetValuesOfEveryRegister) {
    EXPECT_EQ(reg(UART_RX), 0);  // empty receiver
    EXPECT_EQ(reg(UART_IER), 0);
    EXPECT_EQ(reg(UART_IIR), UART_IIR_NO_INT);
    EXPECT_EQ(reg(UART_LCR), 0);
    EXPECT_EQ(reg(UART_MCR), 0);
    EXPECT_EQ(reg(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    EXPECT_EQ(reg(UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
    EXPECT_EQ(reg(UART_SCR), 0);
    set(UART_LCR, UART_LCR_DLAB);
    EXPECT_EQ(reg(UART_DLL), Uart16550::kResetDivisor);
    EXPECT_EQ(reg(UART_DLM), 0);
    EXPECT_TRUE(irq_->changes().empty());
    EXPECT_TRUE(output_.empty());
}

TEST_F(Uart16550Test, ScratchRegisterAndLinuxsIerScratchTest) {
    set(UART_SCR, 0x5a);
    EXPECT_EQ(reg(UART_SCR), 0x5a);
    set(UART_SCR, 0xa5);
    EXPECT_EQ(reg(UART_SCR), 0xa5);
    // autoconfig(): IER = 0 must read 0, IER = 0x0F must read 0x0F (& 0x0F).
    set(UART_IER, 0);
    EXPECT_EQ(reg(UART_IER) & 0x0f, 0);
    set(UART_IER, 0x0f);
    EXPECT_EQ(reg(UART_IER) & 0x0f, 0x0f);
    set(UART_IER, 0xff);
    EXPECT_EQ(reg(UART_IER), 0x0f);  // bits 7:4 do not exist
}

TEST_F(Uart16550Test, DlabSwitchesOffsetsZeroAndOneToTheDivisor) {
    set(UART_IER, UART_IER_RDI);
    set(UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
    set(UART_DLL, 0x01);
    set(UART_DLM, 0x02);
    EXPECT_EQ(reg(UART_DLL), 0x01);
    EXPECT_EQ(reg(UART_DLM), 0x02);
    EXPECT_TRUE(output_.empty());  // the DLL write was not a THR write
    set(UART_LCR, UART_LCR_WLEN8);
    EXPECT_EQ(reg(UART_IER), UART_IER_RDI);  // untouched by the DLM write
    set(UART_LCR, UART_LCR_DLAB);
    EXPECT_EQ(reg(UART_DLL), 0x01);  // the divisor is kept
    EXPECT_EQ(reg(UART_DLM), 0x02);
}

TEST_F(Uart16550Test, FcrEnablingFifosSetsIirBits7And6) {
    EXPECT_EQ(reg(UART_IIR) & 0xc0, 0);
    set(UART_FCR, UART_FCR_ENABLE_FIFO);
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_NO_INT);
    // With DLAB set, offset 2 still reads IIR (autoconfig_16550a relies on it).
    set(UART_LCR, UART_LCR_DLAB);
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_NO_INT);
    set(UART_LCR, 0);
    set(UART_FCR, 0);
    EXPECT_EQ(reg(UART_IIR), UART_IIR_NO_INT);
}

TEST_F(Uart16550Test, LinuxsLoopbackTest) {
    const uint8_t saved_mcr = reg(UART_MCR);
    set(UART_MCR, UART_MCR_LOOP | 0x0a);  // LOOP | OUT2 | RTS
    EXPECT_EQ(reg(UART_MSR) & 0xf0, 0x90);
    set(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
    EXPECT_EQ(reg(UART_MSR) & 0xf0, UART_MSR_DSR | UART_MSR_RI);
    set(UART_MCR, saved_mcr);
    EXPECT_EQ(reg(UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

TEST_F(Uart16550Test, ModemStatusDeltasAndInterrupt) {
    set(UART_IER, UART_IER_MSI);
    set(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_OUT1);
    // CTS and DSR fell, DCD stayed (OUT2), RI rose (no trailing edge yet).
    EXPECT_EQ(reg(UART_IIR), UART_IIR_MSI);
    EXPECT_TRUE(irq_->level());
    EXPECT_EQ(reg(UART_MSR), UART_MSR_DCD | UART_MSR_RI | UART_MSR_DDSR | UART_MSR_DCTS);
    EXPECT_EQ(reg(UART_IIR), UART_IIR_NO_INT);  // reading MSR cleared the deltas
    EXPECT_FALSE(irq_->level());
    set(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);  // RI falls
    EXPECT_EQ(reg(UART_MSR), UART_MSR_DCD | UART_MSR_TERI);
}

TEST_F(Uart16550Test, TransmittedBytesReachTheSinkInOrder) {
    for (char c : std::string("hello\n")) {
        set(UART_TX, static_cast<uint8_t>(c));
    }
    EXPECT_EQ(output_, "hello\n");
    EXPECT_EQ(reg(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE | UART_LSR_TEMT);
}

TEST_F(Uart16550Test, LoopbackSendsToTheReceiverNotTheSink) {
    set(UART_MCR, UART_MCR_LOOP);
    set(UART_TX, 'x');
    EXPECT_TRUE(output_.empty());
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    EXPECT_EQ(reg(UART_RX), 'x');
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_DR, 0);
}

TEST_F(Uart16550Test, ThrEmptyInterruptRaisedClearedByIirAndRaisedAgainByThrWrite) {
    set(UART_MCR, UART_MCR_OUT2);
    set(UART_IER, UART_IER_THRI);
    EXPECT_TRUE(irq_->level());
    EXPECT_EQ(reg(UART_IIR), UART_IIR_THRI);
    // That read cleared it: the source was THR empty.
    EXPECT_EQ(reg(UART_IIR), UART_IIR_NO_INT);
    EXPECT_FALSE(irq_->level());
    set(UART_TX, 'a');
    EXPECT_TRUE(irq_->level());
    EXPECT_EQ(reg(UART_IIR), UART_IIR_THRI);
    EXPECT_EQ(irq_->changes(), (std::vector<bool>{true, false, true, false}));
}

TEST_F(Uart16550Test, ThrEmptyTestOfSerial8250DoStartup) {
    set(UART_IER, UART_IER_THRI);
    const uint8_t iir1 = reg(UART_IIR);
    set(UART_IER, 0);
    set(UART_IER, UART_IER_THRI);
    const uint8_t iir = reg(UART_IIR);
    set(UART_IER, 0);
    EXPECT_EQ(iir1 & UART_IIR_NO_INT, 0);
    EXPECT_EQ(iir & UART_IIR_NO_INT, 0);  // re-asserted: no UART_BUG_THRE
    EXPECT_EQ(iir & UART_IIR_ID, UART_IIR_THRI);
}

TEST_F(Uart16550Test, ThrEmptyNotRaisedAgainByRewritingTheSameIer) {
    set(UART_IER, UART_IER_THRI);
    EXPECT_EQ(reg(UART_IIR), UART_IIR_THRI);
    set(UART_IER, UART_IER_THRI | UART_IER_RDI);  // ETBEI was already set
    EXPECT_EQ(reg(UART_IIR), UART_IIR_NO_INT);
}

TEST_F(Uart16550Test, IrqLineOnlyWhileOut2IsSet) {
    set(UART_IER, UART_IER_THRI);
    EXPECT_EQ(reg(UART_IIR) & UART_IIR_NO_INT, 0);  // pending (and now cleared)...
    set(UART_TX, 'a');                              // ...and pending again
    EXPECT_TRUE(irq_->changes().empty());           // but OUT2 is clear
    set(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR | UART_MCR_RTS);
    EXPECT_EQ(irq_->changes(), std::vector<bool>{true});
    set(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
    EXPECT_EQ(irq_->changes(), (std::vector<bool>{true, false}));
    set(UART_MCR, UART_MCR_OUT2);
    set(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR);  // no change of level: no call
    EXPECT_EQ(irq_->changes(), (std::vector<bool>{true, false, true}));
}

TEST_F(Uart16550Test, ReceivedDataSetsDrRaisesTheInterruptAndReadsInOrder) {
    set(UART_FCR, UART_FCR_ENABLE_FIFO);
    set(UART_MCR, UART_MCR_OUT2);
    set(UART_IER, UART_IER_RDI);
    EXPECT_FALSE(irq_->level());
    EXPECT_EQ(offer("ab"), 2u);
    EXPECT_TRUE(irq_->level());
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_RDI);
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_RDI);  // reading IIR does not clear it
    EXPECT_EQ(reg(UART_RX), 'a');
    EXPECT_TRUE(irq_->level());
    EXPECT_EQ(reg(UART_RX), 'b');
    EXPECT_FALSE(irq_->level());
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_DR, 0);
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_NO_INT);
}

TEST_F(Uart16550Test, FifoTakesSixteenBytesAndOneWithoutFifos) {
    EXPECT_EQ(offer("abc"), 1u);  // 16450 mode: just the RBR
    EXPECT_EQ(reg(UART_RX), 'a');
    set(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_14);
    EXPECT_EQ(offer("0123456789abcdefXYZ"), 16u);
    EXPECT_EQ(offer("!"), 0u);
    std::string received;
    while (reg(UART_LSR) & UART_LSR_DR) {
        received.push_back(static_cast<char>(reg(UART_RX)));
    }
    EXPECT_EQ(received, "0123456789abcdef");
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_OE, 0);  // the host kept the rest: no overrun
}

TEST_F(Uart16550Test, FcrClearsTheReceiveFifo) {
    set(UART_FCR, UART_FCR_ENABLE_FIFO);
    EXPECT_EQ(offer("abc"), 3u);
    set(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_DR, 0);
    EXPECT_EQ(offer("abc"), 3u);
    set(UART_FCR, 0);  // leaving FIFO mode empties it too
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_DR, 0);
}

TEST_F(Uart16550Test, OverrunInLoopbackSetsOeUntilLsrIsRead) {
    set(UART_FCR, UART_FCR_ENABLE_FIFO);
    set(UART_MCR, UART_MCR_LOOP);
    for (int i = 0; i < 17; ++i) {
        set(UART_TX, static_cast<uint8_t>('a' + i));
    }
    EXPECT_EQ(reg(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR);
    EXPECT_EQ(reg(UART_LSR) & UART_LSR_OE, 0);  // cleared by the read
    std::string received;
    while (reg(UART_LSR) & UART_LSR_DR) {
        received.push_back(static_cast<char>(reg(UART_RX)));
    }
    EXPECT_EQ(received, "abcdefghijklmnop");  // the 17th byte was lost
}

TEST_F(Uart16550Test, InterruptPriorities) {
    set(UART_FCR, UART_FCR_ENABLE_FIFO);
    set(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    set(UART_IER, UART_IER_RLSI | UART_IER_RDI | UART_IER_THRI);
    for (int i = 0; i < 17; ++i) {
        set(UART_TX, 'z');  // fills the FIFO, then overruns
    }
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_RLSI);  // line status first
    reg(UART_LSR);
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_RDI);  // then received data
    EXPECT_TRUE(irq_->level());
    while (reg(UART_LSR) & UART_LSR_DR) {
        reg(UART_RX);
    }
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_THRI);  // then THR empty
    EXPECT_EQ(reg(UART_IIR), 0xc0 | UART_IIR_NO_INT);
    EXPECT_FALSE(irq_->level());
}

TEST_F(Uart16550Test, ReadingIirReportingDataDoesNotClearAPendingThrEmpty) {
    set(UART_IER, UART_IER_RDI | UART_IER_THRI);
    offer("a");
    EXPECT_EQ(reg(UART_IIR), UART_IIR_RDI);
    reg(UART_RX);
    EXPECT_EQ(reg(UART_IIR), UART_IIR_THRI);
}

TEST_F(Uart16550Test, WaitForInputSpaceTimesOutWhenFullAndWakesWhenTheGuestReads) {
    set(UART_FCR, UART_FCR_ENABLE_FIFO);
    EXPECT_TRUE(uart_.wait_for_input_space(std::chrono::milliseconds(0)));
    EXPECT_EQ(offer("0123456789abcdef"), 16u);
    EXPECT_FALSE(uart_.wait_for_input_space(std::chrono::milliseconds(20)));
    auto waiter = std::async(std::launch::async, [this] {
        return uart_.wait_for_input_space(std::chrono::seconds(10));
    });
    EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
    EXPECT_EQ(reg(UART_RX), '0');
    ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_TRUE(waiter.get());
}

TEST_F(Uart16550Test, CloseInputWakesWaitersAndRefusesInput) {
    EXPECT_EQ(offer("a"), 1u);  // full in 16450 mode
    auto waiter = std::async(std::launch::async, [this] {
        return uart_.wait_for_input_space(std::chrono::seconds(10));
    });
    EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(20)), std::future_status::timeout);
    uart_.close_input();
    ASSERT_EQ(waiter.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    EXPECT_FALSE(waiter.get());
    reg(UART_RX);
    EXPECT_EQ(offer("b"), 0u);
    EXPECT_FALSE(uart_.wait_for_input_space(std::chrono::milliseconds(0)));
}

TEST_F(Uart16550Test, WideAccessesAreNotRegisterAccesses) {
    uint8_t wide[2] = {0, 0};
    uart_.read(UART_LSR, wide);
    EXPECT_EQ(wide[0], 0xff);
    EXPECT_EQ(wide[1], 0xff);
    const uint8_t bytes[2] = {'a', 'b'};
    uart_.write(UART_TX, bytes);
    EXPECT_TRUE(output_.empty());
}

TEST(Uart16550, SinkMayFeedInputBack) {
    auto irq = std::make_shared<FakeIrqLine>();
    Uart16550* self = nullptr;
    Uart16550 uart(irq, [&self](std::span<const uint8_t> bytes) { self->offer_input(bytes); });
    self = &uart;
    write8(uart, UART_TX, 'e');  // would deadlock if the sink ran under the register lock
    EXPECT_EQ(read8(uart, UART_RX), 'e');
}

TEST(Uart16550, ConcurrentWritersAndInputKeepEveryByte) {
    auto irq = std::make_shared<FakeIrqLine>();
    std::mutex mutex;
    std::string output;
    Uart16550 uart(irq, [&](std::span<const uint8_t> bytes) {
        std::lock_guard lock(mutex);
        output.append(bytes.begin(), bytes.end());
    });
    write8(uart, UART_FCR, UART_FCR_ENABLE_FIFO);
    constexpr int kBytes = 2000;
    std::thread writer([&] {
        for (int i = 0; i < kBytes; ++i) {
            write8(uart, UART_TX, 'w');
        }
    });
    std::thread host([&] {
        const uint8_t byte = 'h';
        for (int sent = 0; sent < kBytes;) {
            if (uart.wait_for_input_space(std::chrono::seconds(10))) {
                sent += static_cast<int>(uart.offer_input(std::span(&byte, 1)));
            }
        }
    });
    int received = 0;
    while (received < kBytes) {
        if (read8(uart, UART_LSR) & UART_LSR_DR) {
            EXPECT_EQ(read8(uart, UART_RX), 'h');
            ++received;
        }
    }
    writer.join();
    host.join();
    EXPECT_EQ(output, std::string(kBytes, 'w'));
}

}  // namespace
}  // namespace berth::devices
