#include "devices/legacy/pit_8254.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <utility>

#include "vmm/common/error.h"

namespace berth::devices {
namespace {

constexpr uint64_t kControlPort = 3;  // offset of port 0x43

timespec to_timespec(std::chrono::nanoseconds ns) {
    return timespec{static_cast<time_t>(ns.count() / 1'000'000'000),
                    static_cast<long>(ns.count() % 1'000'000'000)};
}

}  // namespace

Pit8254::Pit8254(Callback irq0)
    : irq0_(std::move(irq0)),
      timer_(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
    if (!irq0_) {
        throw std::invalid_argument("pit-8254: an IRQ 0 callback is required");
    }
    if (!timer_.valid()) {
        throw SystemError("timerfd_create for the PIT", errno);
    }
}

void Pit8254::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);
    if (data.empty() || offset >= kControlPort) {
        return;  // the control word is write-only
    }
    std::lock_guard lock(mutex_);
    data[0] = read_counter(static_cast<unsigned>(offset));
}

void Pit8254::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty() || offset > kControlPort) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (offset == kControlPort) {
        write_control(data[0]);
    } else {
        write_counter(static_cast<unsigned>(offset), data[0]);
    }
}

void Pit8254::write_control(uint8_t value) {
    const unsigned select = value >> 6;
    if (select == 3) {
        return;  // read-back command: not implemented
    }
    Channel& channel = channels_[select];
    const uint8_t access = (value >> 4) & 3;
    if (access == 0) {  // counter latch: freeze the count until it is read
        if (!channel.latched) {
            channel.latched = current_count(channel);
            channel.read_high = false;
        }
        return;
    }
    channel.access = access;
    channel.mode = (value >> 1) & 7;
    if (channel.mode > 5) {
        channel.mode -= 4;  // 6 and 7 are 2 and 3
    }
    channel.expect_high = false;
    channel.read_high = false;
    channel.latched.reset();
    // A new control word stops the channel until its count is written.
    channel.counting = false;
    if (select == 0) {
        arm_channel0_timer();
    }
}

void Pit8254::write_counter(unsigned index, uint8_t value) {
    Channel& channel = channels_[index];
    uint16_t count = 0;
    switch (channel.access) {
        case 1:
            count = value;
            break;
        case 2:
            count = static_cast<uint16_t>(value << 8);
            break;
        default:
            if (!channel.expect_high) {
                channel.low_written = value;
                channel.expect_high = true;
                return;  // the count is complete with its MSB
            }
            channel.expect_high = false;
            count = static_cast<uint16_t>(channel.low_written | (value << 8));
            break;
    }
    channel.reload = count == 0 ? 0x10000 : count;
    start_counting(index);
}

uint8_t Pit8254::read_counter(unsigned index) {
    Channel& channel = channels_[index];
    const uint16_t count = channel.latched ? *channel.latched : current_count(channel);
    uint8_t byte = 0;
    bool done = true;
    switch (channel.access) {
        case 1:
            byte = static_cast<uint8_t>(count);
            break;
        case 2:
            byte = static_cast<uint8_t>(count >> 8);
            break;
        default:
            byte = static_cast<uint8_t>(channel.read_high ? count >> 8 : count);
            done = channel.read_high;
            channel.read_high = !channel.read_high;
            break;
    }
    if (done) {
        channel.latched.reset();
    }
    return byte;
}

uint16_t Pit8254::current_count(const Channel& channel) const {
    if (!channel.counting) {
        return static_cast<uint16_t>(channel.reload);
    }
    const auto elapsed_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - channel.started)
            .count();
    const uint64_t ticks =
        static_cast<uint64_t>(elapsed_ns) / 1000 * kInputHz / 1'000'000;  // no overflow for years
    if (is_periodic(channel)) {
        return static_cast<uint16_t>(channel.reload - ticks % channel.reload);
    }
    // One-shot modes: after reaching 0 the counter wraps and goes on.
    return static_cast<uint16_t>(channel.reload - ticks);
}

void Pit8254::start_counting(unsigned index) {
    Channel& channel = channels_[index];
    channel.counting = true;
    channel.started = Clock::now();
    if (index == 0) {
        arm_channel0_timer();  // only channel 0's output is wired to an interrupt
    }
}

bool Pit8254::is_periodic(const Channel& channel) {
    return channel.mode == 2 || channel.mode == 3;
}

std::chrono::nanoseconds Pit8254::output_period(const Channel& channel) {
    return std::max<std::chrono::nanoseconds>(
        std::chrono::nanoseconds(channel.reload * 1'000'000'000ull / kInputHz), kMinimumPeriod);
}

void Pit8254::arm_channel0_timer() {
    const Channel& channel = channels_[0];
    itimerspec spec{};  // all zero: disarmed
    if (channel.counting) {
        spec.it_value = to_timespec(output_period(channel));
        if (is_periodic(channel)) {
            spec.it_interval = spec.it_value;
        }
    }
    ::timerfd_settime(timer_.get(), 0, &spec, nullptr);  // cannot fail with valid values
}

void Pit8254::on_timer() {
    uint64_t expirations = 0;
    if (::read(timer_.get(), &expirations, sizeof expirations) !=
            static_cast<ssize_t>(sizeof expirations) ||
        expirations == 0) {
        return;  // re-armed meanwhile, or nothing yet
    }
    irq0_();
}

std::optional<std::chrono::nanoseconds> Pit8254::channel0_period() const {
    std::lock_guard lock(mutex_);
    if (!channels_[0].counting) {
        return std::nullopt;
    }
    return output_period(channels_[0]);
}

}  // namespace berth::devices
