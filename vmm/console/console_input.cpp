#include "vmm/console/console_input.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <vector>

#include "vmm/common/error.h"
#include "vmm/console/escape_filter.h"
#include "vmm/seccomp/thread_filters.h"

namespace berth::console {

ConsoleInput::ConsoleInput(int input_fd, InputTarget target, RunControl& control)
    : input_fd_(input_fd),
      target_(std::move(target)),
      control_(control),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!wake_fd_.valid()) {
        throw SystemError("eventfd", errno);
    }
}

ConsoleInput::~ConsoleInput() {
    stop();
}

void ConsoleInput::start() {
    thread_ = std::thread([this] { run(); });
}

void ConsoleInput::stop() {
    stopping_.store(true);
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = write(wake_fd_.get(), &one, sizeof(one));
    if (thread_.joinable()) {
        thread_.join();
    }
}

// Hands `bytes` to the device, waiting while it is full. False if stopping.
bool ConsoleInput::deliver(std::span<const uint8_t> bytes) {
    while (!bytes.empty()) {
        if (stopping_.load()) {
            return false;
        }
        size_t taken = target_.offer(bytes);
        bytes = bytes.subspan(taken);
        if (!bytes.empty()) {
            target_.wait_for_space(std::chrono::milliseconds(50));
        }
    }
    return true;
}

void ConsoleInput::run() {
    seccomp::confine_current_thread(seccomp::ThreadKind::kConsoleInput);
    EscapeFilter escape;
    std::array<uint8_t, 256> buffer{};
    std::vector<uint8_t> to_guest;
    while (!stopping_.load()) {
        std::array<pollfd, 2> fds{pollfd{input_fd_, POLLIN, 0}, pollfd{wake_fd_.get(), POLLIN, 0}};
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        if (fds[1].revents != 0) {
            return;
        }
        ssize_t count = read(input_fd_, buffer.data(), buffer.size());
        if (count < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (count <= 0) {
            return;  // end of input: the guest keeps running, it just gets no more
        }
        to_guest.clear();
        const bool quit =
            escape.feed(std::span(buffer.data(), static_cast<size_t>(count)), to_guest);
        if (!deliver(to_guest)) {
            return;
        }
        if (quit) {
            control_.request_stop({StopKind::kConsoleQuit, "quit from the console (Ctrl-A x)", 0});
            return;
        }
    }
}

}  // namespace berth::console
