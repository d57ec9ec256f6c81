#include "vmm/run_control.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include "vmm/common/error.h"

namespace berth {

int StopReason::exit_status() const {
    switch (kind) {
        case StopKind::kPowerOff:
        case StopKind::kReset:
        case StopKind::kConsoleQuit:
            return 0;
        case StopKind::kSignal:
            return 128 + signal_number;
        case StopKind::kTimeout:
            return 124;
        case StopKind::kError:
            return 1;
        case StopKind::kGuestExit:
            return guest_exit_status;
    }
    return 1;
}

RunControl::RunControl() : event_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!event_fd_.valid()) {
        throw SystemError("eventfd", errno);
    }
}

void RunControl::request_stop(StopReason reason) {
    {
        std::lock_guard lock(mutex_);
        if (reason_) {
            return;
        }
        reason_ = std::move(reason);
    }
    stopping_.store(true, std::memory_order_release);
    const uint64_t one = 1;
    // Cannot fail in a way we could handle: the counter cannot overflow here.
    [[maybe_unused]] ssize_t written = write(event_fd_.get(), &one, sizeof(one));
}

std::optional<StopReason> RunControl::reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
}

}  // namespace berth
