#include "vmm/vcpu/exit_observer.h"

#include "vmm/vcpu/overloaded.h"

namespace berth::vcpu {
namespace {

// Who answers an access of `size` bytes at `address` ("unhandled": nobody).
std::string_view device_at(const devices::Bus& bus, uint64_t address, uint64_t size) {
    const auto match = bus.find(address, size);
    return match ? match->device->name() : trace::kUnhandledDevice;
}

}  // namespace

ExitObserver::ExitObserver(uint32_t vcpu, const devices::Bus& io_bus, const devices::Bus& mmio_bus,
                           trace::ExitTracer* tracer, trace::ExitStats* stats)
    : vcpu_(vcpu), io_bus_(io_bus), mmio_bus_(mmio_bus), tracer_(tracer), stats_(stats) {}

void ExitObserver::entering_run(uint64_t now_ns) {
    if (pending_ && stats_ != nullptr) {
        stats_->record_user_time(pending_reason_, now_ns - pending_since_ns_);
    }
    pending_ = false;
}

void ExitObserver::exited(const VmExit& exit, uint32_t kvm_exit_reason, uint64_t entered_ns,
                          uint64_t now_ns) {
    observe(event_for(exit, kvm_exit_reason, now_ns), entered_ns);
}

void ExitObserver::interrupted(uint64_t entered_ns, uint64_t now_ns) {
    observe({.vcpu = vcpu_, .reason = trace::ExitReason::kIntr, .time_ns = now_ns}, entered_ns);
}

void ExitObserver::observe(const trace::ExitEvent& event, uint64_t entered_ns) {
    if (stats_ != nullptr) {
        stats_->record_run_time(event.time_ns - entered_ns);
        stats_->record_exit(event);
    }
    if (tracer_ != nullptr) {
        tracer_->offer(event);
    }
    pending_ = true;
    pending_reason_ = event.reason;
    pending_since_ns_ = event.time_ns;
}

trace::ExitEvent ExitObserver::event_for(const VmExit& exit, uint32_t kvm_exit_reason,
                                         uint64_t now_ns) const {
    trace::ExitEvent event{.vcpu = vcpu_, .time_ns = now_ns};
    std::visit(
        Overloaded{
            [&](const IoExit& io) {
                event.reason = trace::ExitReason::kIo;
                event.address = io.port;
                event.size = io.size;
                event.count = io.count;
                event.is_write = io.is_write;
                event.data = io.data;
                event.device = device_at(io_bus_, io.port, io.size);
            },
            [&](const MmioExit& mmio) {
                event.reason = trace::ExitReason::kMmio;
                event.address = mmio.address;
                event.size = static_cast<uint8_t>(mmio.data.size());
                event.is_write = mmio.is_write;
                event.data = mmio.data;
                event.device = device_at(mmio_bus_, mmio.address, mmio.data.size());
            },
            [&](const HltExit&) { event.reason = trace::ExitReason::kHlt; },
            [&](const ShutdownExit&) { event.reason = trace::ExitReason::kShutdown; },
            [&](const SystemEventExit& system_event) {
                event.reason = trace::ExitReason::kSystemEvent;
                event.detail = system_event.type;
            },
            [&](const FailEntryExit& fail) {
                event.reason = trace::ExitReason::kFailEntry;
                event.detail = fail.hardware_reason;
            },
            [&](const InternalErrorExit& error) {
                event.reason = trace::ExitReason::kInternalError;
                event.detail = error.suberror;
            },
            [&](const DebugExit&) { event.reason = trace::exit_reason_from_kvm(kvm_exit_reason); },
            // KVM_EXIT_INTR or KVM_EXIT_IRQ_WINDOW_OPEN: the raw reason tells which.
            [&](const RetryExit&) { event.reason = trace::exit_reason_from_kvm(kvm_exit_reason); },
            [&](const UnknownExit& unknown) {
                event.reason = trace::ExitReason::kUnknown;
                event.detail = unknown.reason;
            },
        },
        exit);
    return event;
}

}  // namespace berth::vcpu
