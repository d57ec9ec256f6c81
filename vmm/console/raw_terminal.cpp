#include "vmm/console/raw_terminal.h"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <initializer_list>

namespace berth::console {
namespace {

// Saved state for the restore paths that cannot reach the object (atexit and
// signal handlers). Only one console exists per process.
int saved_fd = -1;
termios saved_attributes{};

void restore() {
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSANOW, &saved_attributes);  // async-signal-safe
    }
}

void restore_and_reraise(int signal_number) {
    restore();
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

}  // namespace

void restore_terminal_from_signal_handler() {
    restore();
}

RawTerminal::RawTerminal(int fd) {
    if (!isatty(fd) || tcgetattr(fd, &saved_attributes) != 0) {
        return;
    }
    saved_fd = fd;
    static bool hooks_installed = false;
    if (!hooks_installed) {
        hooks_installed = true;
        std::atexit(restore);
        for (int signal_number : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) {
            std::signal(signal_number, restore_and_reraise);
        }
    }
    termios raw = saved_attributes;
    // Raw input (no line editing, no Ctrl-C → SIGINT: Ctrl-C belongs to the
    // guest) and raw output (the guest sends its own \r\n).
    cfmakeraw(&raw);
    tcsetattr(fd, TCSANOW, &raw);
    active_ = true;
}

RawTerminal::~RawTerminal() {
    if (active_) {
        restore();
        saved_fd = -1;
    }
}

}  // namespace berth::console
