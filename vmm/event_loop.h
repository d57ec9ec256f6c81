// One host thread that waits on many file descriptors (epoll) and runs the
// handler of each that becomes readable: how guest kicks that arrive on
// ioeventfds reach a device without stopping a vCPU in user space.
#pragma once

#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "vmm/common/unique_fd.h"

namespace berth {

class EventLoop {
public:
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // `handler` runs on the loop's thread each time `fd` is readable; it must
    // drain the fd (read the eventfd counter). Safe to call before or after start().
    void add(int fd, std::function<void()> handler);
    void remove(int fd);

    void start();
    void stop();  // wakes the thread and joins it; handlers no longer run after it returns

private:
    void run();

    UniqueFd epoll_fd_;
    UniqueFd wake_fd_;
    std::mutex mutex_;  // protects handlers_
    std::unordered_map<int, std::function<void()>> handlers_;
    std::thread thread_;
};

}  // namespace berth
