// A tiny GDB Remote Serial Protocol client for the server tests: connects
// over loopback, sends framed packets, and reads back acks and packets,
// each read bounded by a timeout so a broken server fails the test instead
// of hanging it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "vmm/common/unique_fd.h"
#include "vmm/gdb/packet_framing.h"

namespace berth::gdb::testing {

class RspClient {
public:
    explicit RspClient(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ =
            connect(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
    }

    bool connected() const { return connected_; }

    void send_raw(std::string_view bytes) {
        [[maybe_unused]] ssize_t sent = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    }
    void send_packet(std::string_view payload) { send_raw(frame_packet(payload)); }

    // The next byte, or nullopt on timeout or a closed connection.
    std::optional<char> read_byte(int timeout_ms = 5000) {
        pollfd fd{fd_.get(), POLLIN, 0};
        if (poll(&fd, 1, timeout_ms) <= 0) {
            return std::nullopt;
        }
        char byte = 0;
        if (::read(fd_.get(), &byte, 1) != 1) {
            return std::nullopt;
        }
        return byte;
    }

    // Skips acks up to the next packet; returns its payload after checking
    // the checksum, and acks it (unless acks are off).
    std::optional<std::string> read_packet(int timeout_ms = 5000) {
        std::optional<char> byte;
        while ((byte = read_byte(timeout_ms)) && *byte != '$') {
        }
        if (!byte) {
            return std::nullopt;
        }
        std::string payload;
        while ((byte = read_byte(timeout_ms)) && *byte != '#') {
            payload += *byte;
        }
        const auto high = read_byte(timeout_ms);
        const auto low = read_byte(timeout_ms);
        if (!byte || !high || !low ||
            frame_packet(payload).substr(payload.size() + 2) != std::string{*high, *low}) {
            return std::nullopt;
        }
        if (acks) {
            send_raw("+");
        }
        return payload;
    }

    // Sends a packet and returns the reply packet.
    std::optional<std::string> exchange(std::string_view payload) {
        send_packet(payload);
        return read_packet();
    }

    // True when the server closes the connection (bytes before that, such as acks, are skipped).
    bool closed(int timeout_ms = 5000) {
        for (;;) {
            pollfd fd{fd_.get(), POLLIN, 0};
            if (poll(&fd, 1, timeout_ms) <= 0) {
                return false;
            }
            char byte = 0;
            const ssize_t got = ::read(fd_.get(), &byte, 1);
            if (got <= 0) {
                return got == 0;
            }
        }
    }

    void close() { fd_.reset(); }

    bool acks = true;

private:
    UniqueFd fd_;
    bool connected_ = false;
};

}  // namespace berth::gdb::testing
