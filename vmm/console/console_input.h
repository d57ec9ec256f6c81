// The host-input thread: reads the terminal (or whatever stdin is), applies
// the console escape, and feeds the guest's console device with
// back-pressure: when the device is full, the thread waits instead of
// dropping or buffering without bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <thread>

#include "vmm/common/unique_fd.h"
#include "vmm/run_control.h"

namespace berth::console {

struct InputTarget {
    // Takes as many bytes as the device has room for; returns that count.
    std::function<size_t(std::span<const uint8_t>)> offer;
    // Waits (at most `timeout`) until the device has room again.
    std::function<bool(std::chrono::milliseconds)> wait_for_space;
};

class ConsoleInput {
public:
    ConsoleInput(int input_fd, InputTarget target, RunControl& control);
    ~ConsoleInput();
    ConsoleInput(const ConsoleInput&) = delete;
    ConsoleInput& operator=(const ConsoleInput&) = delete;

    void start();
    void stop();  // wakes and joins the thread

private:
    void run();
    bool deliver(std::span<const uint8_t> bytes);

    int input_fd_;
    InputTarget target_;
    RunControl& control_;
    UniqueFd wake_fd_;  // eventfd: written by stop() to end the poll
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace berth::console
