#include "vmm/gdb/debug_controller.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "vmm/common/error.h"
#include "vmm/gdb/debug_exit.h"

namespace berth::gdb {

DebugController::DebugController(bool enabled, std::function<void()> request_kill)
    : hold_(enabled),
      request_kill_(std::move(request_kill)),
      event_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      phase_(enabled ? Phase::kStopping : Phase::kRunning),
      stop_{0, StopCause::kAttach, -1} {
    if (!event_fd_.valid()) {
        throw SystemError("eventfd", errno);
    }
}

void DebugController::add_vcpu(std::unique_ptr<VcpuDebugAccess> access) {
    std::lock_guard lock(mutex_);
    vcpus_.push_back(VcpuState{std::move(access)});
}

bool DebugController::may_run_locked(uint32_t id) const {
    return phase_ == Phase::kRunning || (phase_ == Phase::kStepping && stepping_ == id);
}

void DebugController::park(uint32_t id) {
    std::unique_lock lock(mutex_);
    VcpuState& vcpu = vcpus_.at(id);
    vcpu.parked = true;
    complete_stop_if_parked_locked();
    for (;;) {
        if (vcpu.work_state == WorkState::kPosted) {
            // The server's request runs here, on the vCPU's own thread, unlocked
            // so that an ioctl does not hold up the other vCPUs' bookkeeping.
            vcpu.work_state = WorkState::kRunning;
            const Work* work = vcpu.work;
            lock.unlock();
            bool failed = false;
            try {
                (*work)(*vcpu.access);
            } catch (const std::exception&) {
                failed = true;  // a failed ioctl: gdb gets an error reply, the VM goes on
            }
            lock.lock();
            vcpu.work_failed = failed;
            vcpu.work_state = WorkState::kDone;
            changed_.notify_all();
            continue;
        }
        if (phase_ == Phase::kEnded) {
            // Leave the kick in place: the vCPU loop returns from KVM_RUN at
            // once and sees that the VM is stopping.
            vcpu.parked = false;
            return;
        }
        if (may_run_locked(id)) {
            break;
        }
        changed_.wait(lock);
    }
    vcpu.parked = false;
    // Under the lock, so that a stop begun after this point kicks this vCPU
    // (it is no longer parked) after the kick is cleared, never before.
    const bool single_step = phase_ == Phase::kStepping;
    vcpu.access->set_guest_debug(debug_registers_, single_step);
    vcpu.access->clear_kick();
}

void DebugController::on_debug_exit(uint32_t vcpu, const kvm_debug_exit_arch& arch) {
    const StopEvent stop = stop_event_for(vcpu, decode_debug_exit(arch));
    std::lock_guard lock(mutex_);
    // During a stop already under way the event is dropped: a breakpoint
    // fires again when this vCPU resumes, and only the stepping vCPU steps.
    if (phase_ == Phase::kRunning || (phase_ == Phase::kStepping && stepping_ == vcpu)) {
        begin_stop_locked(stop, vcpu);
    }
}

void DebugController::begin_stop_locked(const StopEvent& stop, std::optional<uint32_t> caller) {
    stop_ = stop;
    stop_ready_ = false;
    phase_ = Phase::kStopping;
    hold_.store(true, std::memory_order_relaxed);
    for (uint32_t id = 0; id < vcpus_.size(); ++id) {
        // The caller is on its way to before_run() already.
        if (!vcpus_[id].parked && caller != id) {
            vcpus_[id].access->kick();
        }
    }
    complete_stop_if_parked_locked();
}

void DebugController::complete_stop_if_parked_locked() {
    if (phase_ != Phase::kStopping) {
        return;
    }
    if (!std::all_of(vcpus_.begin(), vcpus_.end(), [](const VcpuState& v) { return v.parked; })) {
        return;
    }
    phase_ = Phase::kStopped;
    stop_ready_ = true;
    signal_event();
}

void DebugController::signal_event() const {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t written = ::write(event_fd_.get(), &one, sizeof(one));
}

void DebugController::shutdown() {
    std::lock_guard lock(mutex_);
    phase_ = Phase::kEnded;
    hold_.store(false, std::memory_order_relaxed);
    changed_.notify_all();
    signal_event();
}

uint32_t DebugController::vcpu_count() const {
    std::lock_guard lock(mutex_);
    return static_cast<uint32_t>(vcpus_.size());
}

bool DebugController::run_on_vcpu(uint32_t id, const Work& work) {
    std::unique_lock lock(mutex_);
    if (phase_ != Phase::kStopped || id >= vcpus_.size()) {
        return false;
    }
    VcpuState& vcpu = vcpus_[id];
    vcpu.work = &work;
    vcpu.work_state = WorkState::kPosted;
    changed_.notify_all();
    // Done, or withdrawn because the VM ended before the vCPU took it. Once
    // taken, it is always waited for: `work` lives on this stack.
    changed_.wait(lock, [&] {
        return vcpu.work_state == WorkState::kDone ||
               (phase_ == Phase::kEnded && vcpu.work_state == WorkState::kPosted);
    });
    const bool ok = vcpu.work_state == WorkState::kDone && !vcpu.work_failed;
    vcpu.work_state = WorkState::kNone;
    vcpu.work = nullptr;
    return ok;
}

std::optional<RegisterFile> DebugController::read_registers(uint32_t vcpu) {
    RegisterFile registers;
    if (!run_on_vcpu(vcpu, [&](VcpuDebugAccess& access) { registers = access.read_registers(); })) {
        return std::nullopt;
    }
    return registers;
}

bool DebugController::write_registers(uint32_t vcpu, const RegisterFile& registers) {
    return run_on_vcpu(vcpu, [&](VcpuDebugAccess& access) { access.write_registers(registers); });
}

size_t DebugController::read_memory(uint32_t vcpu, uint64_t address, std::span<uint8_t> out) {
    size_t got = 0;
    if (!run_on_vcpu(vcpu,
                     [&](VcpuDebugAccess& access) { got = access.read_memory(address, out); })) {
        return 0;
    }
    return got;
}

bool DebugController::write_memory(uint32_t vcpu, uint64_t address, std::span<const uint8_t> data) {
    bool written = false;
    return run_on_vcpu(
               vcpu,
               [&](VcpuDebugAccess& access) { written = access.write_memory(address, data); }) &&
           written;
}

void DebugController::resume(const DebugRegisters& registers, std::optional<uint32_t> step_vcpu) {
    std::lock_guard lock(mutex_);
    if (phase_ != Phase::kStopped) {
        return;
    }
    debug_registers_ = registers;
    stop_ready_ = false;
    if (step_vcpu && *step_vcpu < vcpus_.size()) {
        phase_ = Phase::kStepping;  // hold_ stays set: the others stay parked
        stepping_ = step_vcpu;
    } else {
        phase_ = Phase::kRunning;
        stepping_.reset();
        hold_.store(false, std::memory_order_relaxed);
    }
    changed_.notify_all();
}

void DebugController::interrupt() {
    std::lock_guard lock(mutex_);
    switch (phase_) {
        case Phase::kRunning:
            begin_stop_locked(StopEvent{0, StopCause::kInterrupt, -1}, std::nullopt);
            break;
        case Phase::kStepping:
            begin_stop_locked(StopEvent{stepping_.value_or(0), StopCause::kInterrupt, -1},
                              std::nullopt);
            break;
        case Phase::kStopped:
            stop_ready_ = true;  // announce the current stop again
            signal_event();
            break;
        case Phase::kStopping:  // its stop is on the way
        case Phase::kEnded:
            break;
    }
}

void DebugController::kill() {
    if (request_kill_) {
        request_kill_();
    }
}

std::optional<StopEvent> DebugController::take_stop() {
    std::lock_guard lock(mutex_);
    uint64_t count = 0;
    [[maybe_unused]] ssize_t got = ::read(event_fd_.get(), &count, sizeof(count));
    if (phase_ == Phase::kEnded) {
        signal_event();  // stays readable: the VM does not come back
    }
    if (phase_ != Phase::kStopped || !stop_ready_) {
        return std::nullopt;
    }
    stop_ready_ = false;
    return stop_;
}

bool DebugController::vm_ended() const {
    std::lock_guard lock(mutex_);
    return phase_ == Phase::kEnded;
}

}  // namespace berth::gdb
