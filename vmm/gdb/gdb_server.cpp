#include "vmm/gdb/gdb_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "vmm/common/error.h"
#include "vmm/gdb/gdb_session.h"
#include "vmm/seccomp/thread_filters.h"

namespace berth::gdb {
namespace {

// Closing a socket with unread bytes in it (gdb's '+' for our last packet)
// makes the kernel send a reset, which can reach gdb before the last reply
// does. So: send our FIN first, read what gdb still sends for a moment, then close.
void close_gracefully(UniqueFd client) {
    shutdown(client.get(), SHUT_WR);
    std::array<char, 256> discard{};
    for (int i = 0; i < 20; ++i) {
        pollfd fd{client.get(), POLLIN, 0};
        if (poll(&fd, 1, 10) <= 0) {
            continue;
        }
        if (::read(client.get(), discard.data(), discard.size()) <= 0) {
            return;  // gdb closed its side too
        }
    }
}

}  // namespace

GdbServer::GdbServer(const ListenAddress& address, DebugTarget& target)
    : target_(target),
      address_(address),
      listen_fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)),
      wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!listen_fd_.valid()) {
        throw SystemError("socket", errno);
    }
    if (!wake_fd_.valid()) {
        throw SystemError("eventfd", errno);
    }
    // A restarted Berth can reuse the port at once, while the last
    // connection's socket is still in TIME_WAIT.
    const int on = 1;
    setsockopt(listen_fd_.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in socket_address{};
    socket_address.sin_family = AF_INET;
    socket_address.sin_port = htons(address.port);
    socket_address.sin_addr.s_addr = htonl(address.ipv4);
    if (bind(listen_fd_.get(), reinterpret_cast<sockaddr*>(&socket_address),
             sizeof(socket_address)) < 0) {
        const int error = errno;
        throw UserError(fmt::format("--gdb {}: cannot listen there: {}", address.to_string(),
                                    std::strerror(error)));
    }
    if (listen(listen_fd_.get(), 1) < 0) {
        throw SystemError("listen", errno);
    }
    socklen_t length = sizeof(socket_address);
    getsockname(listen_fd_.get(), reinterpret_cast<sockaddr*>(&socket_address), &length);
    address_.port = ntohs(socket_address.sin_port);
}

GdbServer::~GdbServer() {
    stop();
}

void GdbServer::start() {
    thread_ = std::thread([this] { serve(); });
}

void GdbServer::stop() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = ::write(wake_fd_.get(), &one, sizeof(one));
    if (thread_.joinable()) {
        thread_.join();
    }
}

void GdbServer::serve() {
    seccomp::confine_current_thread(seccomp::ThreadKind::kGdbServer);
    for (;;) {
        std::array<pollfd, 2> fds{pollfd{listen_fd_.get(), POLLIN, 0},
                                  pollfd{wake_fd_.get(), POLLIN, 0}};
        if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
            return;
        }
        if (fds[1].revents != 0) {
            return;
        }
        if (fds[0].revents == 0) {
            continue;
        }
        UniqueFd client(accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!client.valid()) {
            continue;  // the peer gave up between poll and accept
        }
        // Packets are small and each waits for an answer: send them at once.
        const int on = 1;
        setsockopt(client.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        GdbSession(client.get(), wake_fd_.get(), target_).run();
        close_gracefully(std::move(client));
    }
}

}  // namespace berth::gdb
