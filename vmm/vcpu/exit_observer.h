// The exit observatory's hook in one vCPU's loop (`--trace-exits`,
// `--stats`). The loop only has one when either option is on, and then
// calls it around each KVM_RUN; without one the loop takes no timestamps
// and looks nothing up (see Vcpu::run_exits).
#pragma once

#include <cstdint>

#include "devices/bus.h"
#include "vmm/trace/exit_stats.h"
#include "vmm/trace/exit_tracer.h"
#include "vmm/vcpu/vm_exit.h"

namespace berth::vcpu {

class ExitObserver {
public:
    // `tracer` (shared by all vCPUs) and `stats` (this vCPU's own) may each
    // be null; both outlive the observer.
    ExitObserver(uint32_t vcpu, const devices::Bus& io_bus, const devices::Bus& mmio_bus,
                 trace::ExitTracer* tracer, trace::ExitStats* stats);

    // Just before KVM_RUN: ends the user-space time of the previous exit.
    void entering_run(uint64_t now_ns);
    // KVM_RUN returned at `now_ns` (it was entered at `entered_ns`) with
    // `exit`, which the loop has already handled: a read's data is filled in.
    void exited(const VmExit& exit, uint32_t kvm_exit_reason, uint64_t entered_ns, uint64_t now_ns);
    // KVM_RUN was interrupted by a signal (a kick): counted as an intr exit.
    void interrupted(uint64_t entered_ns, uint64_t now_ns);
    // The loop ended: the last exit's user-space time ends here.
    void stopped(uint64_t now_ns) { entering_run(now_ns); }

private:
    void observe(const trace::ExitEvent& event, uint64_t entered_ns);
    trace::ExitEvent event_for(const VmExit& exit, uint32_t kvm_exit_reason, uint64_t now_ns) const;

    uint32_t vcpu_;
    const devices::Bus& io_bus_;
    const devices::Bus& mmio_bus_;
    trace::ExitTracer* tracer_;
    trace::ExitStats* stats_;
    // The exit whose user-space time is running, if any.
    bool pending_ = false;
    trace::ExitReason pending_reason_ = trace::ExitReason::kUnknown;
    uint64_t pending_since_ns_ = 0;
};

}  // namespace berth::vcpu
