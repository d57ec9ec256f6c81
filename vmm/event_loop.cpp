#include "vmm/event_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "vmm/common/error.h"
#include "vmm/seccomp/thread_filters.h"

namespace berth {

EventLoop::EventLoop()
    : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!epoll_fd_.valid() || !wake_fd_.valid()) {
        throw SystemError("creating the event loop", errno);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wake_fd_.get();
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), &event) != 0) {
        throw SystemError("epoll_ctl", errno);
    }
}

EventLoop::~EventLoop() {
    stop();
}

void EventLoop::add(int fd, std::function<void()> handler) {
    {
        std::lock_guard lock(mutex_);
        handlers_[fd] = std::move(handler);
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    if (epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &event) != 0) {
        throw SystemError("epoll_ctl", errno);
    }
}

void EventLoop::remove(int fd) {
    epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
    std::lock_guard lock(mutex_);
    handlers_.erase(fd);
}

void EventLoop::start() {
    thread_ = std::thread([this] { run(); });
}

void EventLoop::stop() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(wake_fd_.get(), &one, sizeof(one));
    if (thread_.joinable()) {
        thread_.join();
    }
}

void EventLoop::run() {
    seccomp::confine_current_thread(seccomp::ThreadKind::kEventLoop);
    std::array<epoll_event, 16> events{};
    for (;;) {
        const int count = epoll_wait(epoll_fd_.get(), events.data(), events.size(), -1);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        for (int i = 0; i < count; ++i) {
            const int fd = events[static_cast<size_t>(i)].data.fd;
            if (fd == wake_fd_.get()) {
                return;
            }
            std::function<void()> handler;
            {
                std::lock_guard lock(mutex_);
                auto found = handlers_.find(fd);
                if (found == handlers_.end()) {
                    continue;
                }
                handler = found->second;
            }
            handler();
        }
    }
}

}  // namespace berth
