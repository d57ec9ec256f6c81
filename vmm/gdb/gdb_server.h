// The gdb stub's TCP server: a listening socket and one thread that serves
// one gdb at a time (a second connection waits in the backlog until the
// first has gone). `berth run --gdb PORT`, then in gdb `target remote :PORT`.
#pragma once

#include <cstdint>
#include <string>
#include <thread>

#include "vmm/common/unique_fd.h"
#include "vmm/gdb/debug_target.h"
#include "vmm/gdb/listen_address.h"

namespace berth::gdb {

class GdbServer {
public:
    // Binds and listens at once, so that a port in use is reported (as a
    // UserError) before the VM starts. Serving starts with start().
    GdbServer(const ListenAddress& address, DebugTarget& target);
    ~GdbServer();
    GdbServer(const GdbServer&) = delete;
    GdbServer& operator=(const GdbServer&) = delete;

    // The address actually bound (the port is the kernel's choice for port 0).
    const ListenAddress& address() const { return address_; }

    void start();
    // Ends the connection, if any, and the thread. Idempotent.
    void stop();

private:
    void serve();

    DebugTarget& target_;
    ListenAddress address_;
    UniqueFd listen_fd_;
    UniqueFd wake_fd_;
    std::thread thread_;
};

}  // namespace berth::gdb
