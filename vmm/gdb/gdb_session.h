// One connected gdb, from its first byte to its last: reads packets off the
// socket, acks them, hands them to the CommandHandler, sends the replies,
// and while the VM runs waits for either a stop (sent as the delayed reply
// to `c` or `s`) or gdb's Ctrl-C.
//
// On connecting, the VM is stopped first (gdb expects a stopped target);
// packets that arrive before that are held until it is. When gdb goes away
// without `D`, the breakpoints are removed and the VM runs on.
#pragma once

#include <deque>
#include <string>
#include <string_view>

#include "vmm/gdb/command_handler.h"
#include "vmm/gdb/debug_target.h"
#include "vmm/gdb/packet_framing.h"

namespace berth::gdb {

class GdbSession {
public:
    // `socket` is the connected client, `wake_fd` becomes readable when the
    // server is shutting down. Neither is owned.
    GdbSession(int socket, int wake_fd, DebugTarget& target)
        : socket_(socket), wake_fd_(wake_fd), target_(target), handler_(target) {}

    void run();

private:
    // What the VM is doing, as far as this connection knows.
    enum class State { kAttaching, kStopped, kRunning };

    void on_target_event();
    void on_client_bytes();
    void on_packet(std::string packet);
    void handle(std::string_view packet);
    void handle_queued();
    void release_target();
    bool send_packet(std::string_view payload);
    bool send_raw(std::string_view bytes);

    int socket_;
    int wake_fd_;
    DebugTarget& target_;
    CommandHandler handler_;
    PacketReader reader_;
    State state_ = State::kAttaching;
    bool done_ = false;  // the connection is over
    bool lost_ = false;  // ...because gdb went away without D
    bool acks_ = true;
    std::string last_sent_;  // for a '-' from gdb
    std::deque<std::string> queued_;
};

}  // namespace berth::gdb
