// The 8254 programmable interval timer, in user space: I/O ports 0x40-0x43.
// Like the PIC (pic_8259.h) Berth only builds it for a machine without
// KVM's in-kernel irqchip (--irqchip none), where KVM has no PIT either.
//
// The chip counts down at 1.193182 MHz. Channel 0's output is wired to
// IRQ 0: in modes 2 and 3 (rate generator, square wave) it fires every
// `reload` counts, in the other modes once, `reload` counts after the count
// was written. Here a host timerfd stands for the counting: the guest's
// count arms it, and each expiry is one edge on IRQ 0 (expiries the guest
// has not taken yet merge into one, as on the real chip, whose output only
// raises a request). Reading a channel computes its count from the time.
//
// Ports: 0x40-0x42 are the channels' counters, 0x43 the control word (SC,
// RW, mode, BCD; counter latch is RW = 0). Implemented: access modes LSB,
// MSB and LSB-then-MSB for reads and writes, the counter latch command,
// modes 0-5. Not implemented: BCD counting, the read-back command, the
// gates (channel 2's is port 0x61, the PC speaker's), and outputs of
// channels 1 and 2 (wired to nothing a lab needs).
//
// The guest is untrusted: a period shorter than kMinimumPeriod (a reload of
// 1 asks for 1.19 million interrupts a second) is stretched to it, as KVM's
// own PIT does, so a guest cannot make Berth spin.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include "devices/bus_device.h"
#include "vmm/common/unique_fd.h"

namespace berth::devices {

class Pit8254 final : public BusDevice {
public:
    using Callback = std::function<void()>;
    static constexpr uint64_t kInputHz = 1'193'182;
    static constexpr std::chrono::microseconds kMinimumPeriod{200};

    // `irq0` is called (on the thread that calls on_timer) for each edge of
    // channel 0's output.
    explicit Pit8254(Callback irq0);

    std::string_view name() const override { return "pit-8254"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    // The timerfd that expires when channel 0's output fires: readable, then
    // on_timer() must be called (Berth's event loop does both).
    int timer_fd() const { return timer_.get(); }
    void on_timer();

    // Channel 0's period as armed, for tests: nullopt when not counting.
    std::optional<std::chrono::nanoseconds> channel0_period() const;

private:
    using Clock = std::chrono::steady_clock;
    struct Channel {
        uint8_t mode = 0;
        uint8_t access = 3;         // 1: LSB only, 2: MSB only, 3: LSB then MSB
        uint32_t reload = 0x10000;  // a written 0 means 65536
        uint8_t low_written = 0;
        bool expect_high = false;  // LSB-then-MSB: the next write is the MSB
        bool read_high = false;    // LSB-then-MSB: the next read is the MSB
        std::optional<uint16_t> latched;
        bool counting = false;
        Clock::time_point started;
    };

    void write_control(uint8_t value);
    void write_counter(unsigned index, uint8_t value);
    uint8_t read_counter(unsigned index);
    uint16_t current_count(const Channel& channel) const;
    void start_counting(unsigned index);
    static bool is_periodic(const Channel& channel);  // modes 2 and 3
    // How often the output fires: `reload` counts, at least kMinimumPeriod.
    static std::chrono::nanoseconds output_period(const Channel& channel);
    // The timerfd, from channel 0's state: periodic, one-shot or disarmed.
    void arm_channel0_timer();

    const Callback irq0_;
    UniqueFd timer_;
    mutable std::mutex mutex_;
    std::array<Channel, 3> channels_{};
};

}  // namespace berth::devices
