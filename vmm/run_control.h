// Why and when the VM stops. Any thread (a vCPU seeing a triple fault, the
// ACPI PM device seeing S5, the console seeing Ctrl-A x, the main thread
// seeing SIGTERM) asks for a stop here; the first request wins and wakes the
// main thread, which then stops the vCPUs.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <string>

#include "vmm/common/unique_fd.h"

namespace berth {

enum class StopKind {
    kPowerOff,     // ACPI S5 from the guest
    kReset,        // reboot, triple fault, or panic=-1
    kConsoleQuit,  // the user typed the console escape
    kSignal,       // SIGINT/SIGTERM to Berth
    kTimeout,      // --timeout expired
    kError,        // the VM cannot go on (KVM entry failure, internal error)
    kGuestExit,    // a lab guest wrote its exit status to the exit port (0xf4)
};

struct StopReason {
    StopKind kind = StopKind::kError;
    std::string detail;  // one line for the user, e.g. "guest powered off (ACPI S5)"
    int signal_number = 0;
    int guest_exit_status = 0;  // kGuestExit: the byte the guest wrote

    // 0 for an orderly end the guest or user asked for; 128+N for signal N as
    // shells report it; 124 for a timeout (like timeout(1)); 1 for an error;
    // a lab guest's own status for kGuestExit.
    int exit_status() const;
};

class RunControl {
public:
    RunControl();

    // Thread-safe; only the first request is kept.
    void request_stop(StopReason reason);
    bool stopping() const { return stopping_.load(std::memory_order_acquire); }
    std::optional<StopReason> reason() const;

    // Becomes readable once a stop has been requested, for the main loop's poll().
    int event_fd() const { return event_fd_.get(); }

private:
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;  // protects reason_
    std::optional<StopReason> reason_;
    UniqueFd event_fd_;
};

}  // namespace berth
