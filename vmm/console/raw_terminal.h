// Puts the host terminal in raw mode while the guest owns the console, and
// restores it on every way out: normal return, exception, exit(), and fatal
// signals (whose handler restores, then re-raises).
#pragma once

#include <termios.h>

namespace berth::console {

class RawTerminal {
public:
    // Does nothing when `fd` is not a terminal (a pipe or file in tests).
    explicit RawTerminal(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

    bool active() const { return active_; }

private:
    bool active_ = false;
};

// Puts the terminal back as the active RawTerminal found it (nothing when
// none is active). Async-signal-safe, for handlers that end Berth (the
// seccomp violation report, vmm/seccomp).
void restore_terminal_from_signal_handler();

}  // namespace berth::console
