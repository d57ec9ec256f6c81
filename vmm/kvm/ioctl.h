// The one place Berth calls ioctl() on a KVM file descriptor.
//
// Every request is checked; a failure becomes a SystemError that names the
// request ("KVM_CREATE_VM: Cannot allocate memory"). The KVM_IOCTL macro
// passes the request's name along so call sites stay short.
#pragma once

#include <sys/ioctl.h>

#include <cerrno>

#include "vmm/common/error.h"

namespace berth::kvm {

template <typename Argument>
int checked_ioctl(int fd, unsigned long request, const char* name, Argument argument) {
    int result = 0;
    do {
        result = ::ioctl(fd, request, argument);
    } while (result < 0 && errno == EINTR);
    if (result < 0) {
        throw SystemError(name, errno);
    }
    return result;
}

}  // namespace berth::kvm

#define KVM_IOCTL(fd, request, argument) \
    ::berth::kvm::checked_ioctl((fd), (request), #request, (argument))
