// The console device (virtio 1.2 §5.3), port 0 only: Linux's hvc0.
//
// Without VIRTIO_CONSOLE_F_MULTIPORT the device has two queues (§5.3.2):
//   receiveq0  (0)  host to guest: the driver posts writable buffers, the
//                   device fills them with terminal input and returns them;
//   transmitq0 (1)  guest to host: the driver posts readable buffers, the
//                   device sends their bytes to the output sink.
// It offers VIRTIO_CONSOLE_F_SIZE (the terminal's columns and rows in the
// configuration space, with a configuration change notification when they
// change) and VIRTIO_CONSOLE_F_EMERG_WRITE (a write to emerg_wr outputs one
// character, at any time, even before the queues are set up: §5.3.5).
// Without MULTIPORT, Linux reads cols and rows from the configuration by
// name on each configuration change (drivers/char/virtio_console.c,
// config_work_handler); the rows-before-cols mix-up some kernels have is in
// the multiport VIRTIO_CONSOLE_RESIZE message, which this device never sends.
//
// Input follows the same contract as devices::Uart16550, so that
// console::InputTarget can drive either: offer_input() takes only what the
// guest's posted receive buffers can hold right now and the caller keeps the
// rest (back-pressure, never a dropped byte); wait_for_input_space() blocks
// until the driver posts more; close_input() ends input.
//
// A receive buffer that gets fewer bytes than it can hold is returned at once
// with the bytes written (as QEMU does), rather than kept open for more: a
// keystroke then reaches the guest at once, without a timer to flush a
// half-filled buffer, and Linux treats every used buffer as one chunk of input
// whatever its length.
//
// Threads. The transport serialises activate(), process_queue(), reset() and
// the configuration accesses (virtio_device.h). offer_input(),
// wait_for_input_space() and close_input() come from the console input thread
// and set_terminal_size() from whichever thread watches the terminal, at any
// time: mutex_ protects the state they share with the transport's calls. The
// transmit queue is touched only by the transport's calls, so the output sink
// runs without mutex_ held; it is called from the transport's calling thread
// (a vCPU or the ioeventfd thread), one call at a time, in guest order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "devices/virtio/queue/split_queue.h"
#include "devices/virtio/virtio_device.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {

class VirtioConsole final : public VirtioDevice {
public:
    // Receives the guest's output, in order: transmit buffers' bytes and
    // emergency writes. The same type as Uart16550::OutputSink. The span is
    // valid only during the call. It must not call back into this device's
    // transport (it runs inside the transport's call); it may call
    // offer_input().
    using OutputSink = std::function<void(std::span<const uint8_t>)>;

    // §5.3.2, without VIRTIO_CONSOLE_F_MULTIPORT.
    static constexpr uint16_t kReceiveQueue = 0;   // receiveq0
    static constexpr uint16_t kTransmitQueue = 1;  // transmitq0
    // QEMU's virtio-serial uses 128 for each port's queues. Linux posts a page
    // for every receive descriptor, so a larger queue only costs guest memory.
    static constexpr uint16_t kQueueSize = 128;
    // Transmit bytes are copied out of guest memory in pieces of this size
    // before the sink sees them, so that the sink gets bytes the guest can no
    // longer change under it.
    static constexpr size_t kOutputChunk = 4096;

    // Throws std::invalid_argument for an empty sink (a mistake in Berth).
    explicit VirtioConsole(OutputSink output);

    std::string_view name() const override { return "virtio-console"; }
    uint16_t device_type() const override;
    uint64_t device_features() const override;
    std::vector<uint16_t> queue_max_sizes() const override { return {kQueueSize, kQueueSize}; }

    // struct virtio_console_config (§5.3.4): cols, rows, max_nr_ports (1,
    // meaningless without MULTIPORT), emerg_wr (write-only, reads 0). Any
    // write that starts at emerg_wr outputs its low byte; writes elsewhere
    // are ignored (the other fields are read-only).
    uint32_t config_size() const override;
    void read_config(uint32_t offset, std::span<uint8_t> data) override;
    void write_config(uint32_t offset, std::span<const uint8_t> data) override;

    // Needs both queues and an interrupt. When the driver negotiated
    // VIRTIO_CONSOLE_F_SIZE and a size is known, it also sends a
    // configuration change notification, because Linux reads the size only
    // when one arrives (config_work_handler), not while probing.
    bool activate(const GuestMemory& memory, uint64_t features, std::vector<SplitQueue*> queues,
                  std::shared_ptr<Interrupt> interrupt) override;
    // Queue 1: sends every transmit buffer's bytes to the sink, at most one
    // ring of chains per call. Queue 0: the driver posted receive buffers;
    // wakes wait_for_input_space().
    void process_queue(uint16_t queue_index) override;
    // Also wakes wait_for_input_space(), which returns false. Keeps the
    // terminal size (a property of the host's terminal, not of the device
    // state) and a closed input closed.
    void reset() override;

    // --- Host side ------------------------------------------------------

    // The host terminal's size (TIOCGWINSZ). Updates cols and rows, and sends
    // a configuration change notification when the device is active, the
    // driver negotiated VIRTIO_CONSOLE_F_SIZE and the size changed. Any
    // thread.
    void set_terminal_size(uint16_t cols, uint16_t rows);

    // Host to guest: copies as many of `bytes` as the posted receive buffers
    // can hold now into them, returns them used, and returns the count: 0
    // when the device is not active, has no buffers, or input is closed. Any
    // thread.
    size_t offer_input(std::span<const uint8_t> bytes);

    // Waits, at most `timeout`, until the driver may have posted receive
    // buffers (it notified receiveq0 since offer_input() last found none, or
    // the device was just activated). True then; false on timeout, on reset,
    // and once close_input() was called. A true answer is a hint: the next
    // offer_input() may still take 0 bytes if the notification brought
    // nothing, and the caller waits again.
    bool wait_for_input_space(std::chrono::milliseconds timeout);

    // Ends input (at shutdown): wakes every waiter; offer_input() takes
    // nothing from now on.
    void close_input();

    // --- Diagnostics, for tests ---------------------------------------------

    // Chains the driver got back unused: malformed ones, and ones on the
    // wrong queue's side (a writable buffer to transmit, a readable buffer or
    // no room to receive into).
    uint64_t failed_requests() const { return failed_requests_.load(std::memory_order_relaxed); }
    // Threads blocked in wait_for_input_space() now.
    size_t input_waiters() const;

private:
    // Returns how many of `bytes` went into `chain`; 0 if it cannot take any.
    static uint32_t fill_receive_chain(const GuestMemory& memory, const DescriptorChain& chain,
                                       std::span<const uint8_t> bytes);
    // Sends the chain's readable bytes to the sink; false if it is not a
    // transmit chain.
    bool drain_transmit_chain(const GuestMemory& memory, const DescriptorChain& chain);
    // Counts a chain handed back unused, and logs why (once per device).
    void fail_request(std::string_view what);
    // Logs the first thing the driver got wrong; later ones only count.
    void log_guest_error(std::string_view what);

    const OutputSink output_;

    // Protects everything below. Held by the transport's calls (except while
    // the output sink runs) and by the host-side calls; never while calling
    // output_. Interrupts are signalled with it held, so that none is sent
    // after reset() returns. Lock order: the transport's lock, then this one,
    // then the interrupt's own.
    mutable std::mutex mutex_;
    std::condition_variable input_space_;  // notified when buffers may have been posted
    // Set by activate(), cleared by reset().
    const GuestMemory* memory_ = nullptr;
    SplitQueue* receive_queue_ = nullptr;
    SplitQueue* transmit_queue_ = nullptr;
    std::shared_ptr<Interrupt> interrupt_;
    bool size_negotiated_ = false;  // VIRTIO_CONSOLE_F_SIZE
    // The driver may have posted receive buffers that offer_input() has not
    // seen yet: set by activate() and by a notification of receiveq0, cleared
    // when offer_input() finds the ring empty.
    bool receive_posted_ = false;
    bool receive_broken_ = false;   // needs-reset already signalled for queue 0
    bool transmit_broken_ = false;  // ... and for queue 1
    uint64_t resets_ = 0;           // lets a waiter see that a reset happened
    size_t input_waiters_ = 0;
    // Kept across resets.
    bool input_closed_ = false;
    uint16_t cols_ = 0;
    uint16_t rows_ = 0;

    std::atomic<uint64_t> failed_requests_{0};
    std::atomic<bool> logged_guest_error_{false};  // one log line per device
};

}  // namespace berth::virtio
