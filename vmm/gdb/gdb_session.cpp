#include "vmm/gdb/gdb_session.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace berth::gdb {
namespace {

// gdb waits for each reply in all-stop mode, so a longer queue is not a client we know.
constexpr size_t kMaxQueuedPackets = 64;

}  // namespace

void GdbSession::run() {
    target_.interrupt();
    while (!done_) {
        handle_queued();
        if (done_) {
            break;
        }
        std::array<pollfd, 3> fds{pollfd{socket_, POLLIN, 0}, pollfd{target_.event_fd(), POLLIN, 0},
                                  pollfd{wake_fd_, POLLIN, 0}};
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        if (fds[2].revents != 0) {
            return;  // Berth is shutting down: the VM is ending anyway
        }
        if (fds[1].revents != 0) {
            on_target_event();
        }
        if (!done_ && fds[0].revents != 0) {
            on_client_bytes();
        }
    }
    if (lost_ && !target_.vm_ended()) {
        release_target();
    }
}

void GdbSession::on_target_event() {
    if (auto stop = target_.take_stop()) {
        if (state_ == State::kAttaching && stop->cause == StopCause::kInterrupt) {
            stop->cause = StopCause::kAttach;  // stopped for gdb, not by gdb's Ctrl-C
        }
        handler_.on_stop(*stop);
        const bool reply_due = state_ == State::kRunning;
        state_ = State::kStopped;
        if (reply_due) {
            send_packet(handler_.stop_reply());  // the reply to c or s
        }
    } else if (target_.vm_ended()) {
        if (state_ == State::kRunning) {
            send_packet("W00");  // "the process exited with status 0"
        }
        done_ = true;
    }
}

void GdbSession::on_client_bytes() {
    std::array<uint8_t, 4096> buffer{};
    const ssize_t got = ::read(socket_, buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
        return;
    }
    if (got <= 0) {
        lost_ = true;  // gdb went away without D
        done_ = true;
        return;
    }
    for (ssize_t i = 0; i < got && !done_; ++i) {
        auto event = reader_.feed(buffer[static_cast<size_t>(i)]);
        if (!event) {
            continue;
        }
        switch (event->kind) {
            case ReaderEvent::Kind::kPacket:
                if (acks_) {
                    send_raw("+");
                }
                on_packet(std::move(event->payload));
                break;
            case ReaderEvent::Kind::kBadPacket:
                if (acks_) {
                    send_raw("-");
                }
                break;
            case ReaderEvent::Kind::kInterrupt:
                if (state_ == State::kRunning) {
                    target_.interrupt();  // the stop reply follows when all vCPUs are parked
                }
                break;
            case ReaderEvent::Kind::kNack:
                if (!last_sent_.empty()) {
                    send_raw(last_sent_);
                }
                break;
            case ReaderEvent::Kind::kAck:
                break;
        }
    }
}

void GdbSession::on_packet(std::string packet) {
    if (state_ == State::kStopped) {
        handle(packet);
    } else if (queued_.size() < kMaxQueuedPackets) {
        queued_.push_back(std::move(packet));  // answered once the VM has stopped
    }
}

void GdbSession::handle_queued() {
    while (!done_ && state_ == State::kStopped && !queued_.empty()) {
        const std::string packet = std::move(queued_.front());
        queued_.pop_front();
        handle(packet);
    }
}

void GdbSession::handle(std::string_view packet) {
    HandlerReply reply = handler_.handle(packet);
    switch (reply.then) {
        case HandlerReply::Then::kSend:
            send_packet(reply.payload);
            if (reply.stop_acks) {
                acks_ = false;
            }
            break;
        case HandlerReply::Then::kWaitForStop:
            state_ = State::kRunning;
            break;
        case HandlerReply::Then::kSendAndClose:
            send_packet(reply.payload);
            done_ = true;
            break;
        case HandlerReply::Then::kClose:
            done_ = true;
            break;
    }
}

// Without a debugger the VM must not stay stopped, nor keep breakpoints that
// would stop it again: stop it if it runs, then resume it without them.
void GdbSession::release_target() {
    if (state_ != State::kStopped) {
        target_.interrupt();
        while (!target_.vm_ended()) {
            std::array<pollfd, 2> fds{pollfd{target_.event_fd(), POLLIN, 0},
                                      pollfd{wake_fd_, POLLIN, 0}};
            if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
                return;
            }
            if (fds[1].revents != 0) {
                return;
            }
            if (target_.take_stop()) {
                break;
            }
        }
    }
    handler_.detach();
}

bool GdbSession::send_packet(std::string_view payload) {
    last_sent_ = frame_packet(payload);
    return send_raw(last_sent_);
}

bool GdbSession::send_raw(std::string_view bytes) {
    while (!bytes.empty()) {
        // MSG_NOSIGNAL: a closed connection is an error here, not a SIGPIPE for Berth.
        const ssize_t sent = ::send(socket_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) {
            continue;
        }
        if (sent <= 0) {
            lost_ = !done_;  // gone mid-reply (after D or k there is nothing left to undo)
            done_ = true;
            return false;
        }
        bytes.remove_prefix(static_cast<size_t>(sent));
    }
    return true;
}

}  // namespace berth::gdb
