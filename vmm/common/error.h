// Error types shared by all of Berth's set-up code.
//
// Policy (docs/architecture.md): a mistake in what the user asked for is a
// UserError and ends the command with exit status 2 and one line; a failure of
// the host (an ioctl, mmap, a thread) is a SystemError and ends it with status 1.
// A misbehaving guest never raises either: devices report that to the guest.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>

namespace berth {

class UserError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class SystemError : public std::runtime_error {
public:
    // `what` names the operation, e.g. "KVM_CREATE_VM"; errno's text is appended.
    SystemError(const std::string& what, int error_number);
    int error_number() const { return error_number_; }

private:
    int error_number_;
};

}  // namespace berth
