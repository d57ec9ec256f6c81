// All-stop debugging of a multi-vCPU VM: the meeting point of the vCPU
// threads and the gdb server's thread.
//
// The vCPU threads call before_run() before every KVM_RUN and
// on_debug_exit() on KVM_EXIT_DEBUG. While the debugger holds the VM,
// before_run() parks the thread: when one vCPU stops (breakpoint, step, or
// gdb's Ctrl-C), the others are kicked out of KVM_RUN and park too, and only
// when all are parked does gdb hear of the stop. `c` releases them all; `s`
// releases one for one instruction. Without --gdb, or while the VM runs,
// before_run() is one relaxed atomic load.
//
// Register, memory and debug-register calls for vCPU N run on vCPU N's own
// thread: the server posts the work to the parked thread and waits for it.
// KVM would accept these ioctls from any thread (they take the vCPU's mutex,
// which KVM_RUN holds), but on the owning thread nothing can race with a
// KVM_RUN, and a vCPU that was never started or has already left its loop
// is never touched behind its back.
#pragma once

#include <linux/kvm.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "vmm/common/unique_fd.h"
#include "vmm/gdb/debug_target.h"
#include "vmm/gdb/vcpu_debug_access.h"

namespace berth::gdb {

class DebugController final : public DebugTarget {
public:
    // `enabled` false (no --gdb): before_run() never parks, nothing else is
    // used. `enabled` true: the VM starts stopped, waiting for gdb (like
    // qemu -s -S). `request_kill` asks Berth to stop the VM (gdb's `k`).
    DebugController(bool enabled, std::function<void()> request_kill);
    DebugController(const DebugController&) = delete;
    DebugController& operator=(const DebugController&) = delete;

    // Before any vCPU thread starts, once per vCPU in id order (0, 1, ...).
    void add_vcpu(std::unique_ptr<VcpuDebugAccess> access);

    // vCPU thread, before each KVM_RUN.
    void before_run(uint32_t vcpu) {
        if (hold_.load(std::memory_order_relaxed)) {
            park(vcpu);
        }
    }
    // Whether gdb is stopping or holding the VM: a vCPU waiting outside
    // KVM_RUN (a halt in Berth) must come back to before_run() to park.
    bool holding() const { return hold_.load(std::memory_order_relaxed); }
    // vCPU thread, on KVM_EXIT_DEBUG.
    void on_debug_exit(uint32_t vcpu, const kvm_debug_exit_arch& arch);

    // The VM is stopping: release every parked vCPU for good and tell the
    // server. Call it before kicking the vCPUs to join them.
    void shutdown();

    // DebugTarget, for the gdb server's thread.
    uint32_t vcpu_count() const override;
    std::optional<RegisterFile> read_registers(uint32_t vcpu) override;
    bool write_registers(uint32_t vcpu, const RegisterFile& registers) override;
    size_t read_memory(uint32_t vcpu, uint64_t address, std::span<uint8_t> out) override;
    bool write_memory(uint32_t vcpu, uint64_t address, std::span<const uint8_t> data) override;
    void resume(const DebugRegisters& registers, std::optional<uint32_t> step_vcpu) override;
    void interrupt() override;
    void kill() override;
    int event_fd() const override { return event_fd_.get(); }
    std::optional<StopEvent> take_stop() override;
    bool vm_ended() const override;

private:
    enum class Phase {
        kRunning,   // every vCPU may run
        kStopping,  // a stop was asked for; waiting for every vCPU to park
        kStopped,   // all parked: gdb may read and write
        kStepping,  // one vCPU runs one instruction, the others stay parked
        kEnded,     // the VM is going away
    };
    enum class WorkState { kNone, kPosted, kRunning, kDone };
    using Work = std::function<void(VcpuDebugAccess&)>;

    struct VcpuState {
        std::unique_ptr<VcpuDebugAccess> access;
        bool parked = false;
        WorkState work_state = WorkState::kNone;
        const Work* work = nullptr;
        bool work_failed = false;
    };

    void park(uint32_t id);
    bool may_run_locked(uint32_t id) const;
    void begin_stop_locked(const StopEvent& stop, std::optional<uint32_t> caller);
    void complete_stop_if_parked_locked();
    void signal_event() const;
    bool run_on_vcpu(uint32_t id, const Work& work);

    std::atomic<bool> hold_;
    std::function<void()> request_kill_;
    UniqueFd event_fd_;

    mutable std::mutex mutex_;  // protects everything below
    std::condition_variable changed_;
    std::vector<VcpuState> vcpus_;  // filled before the vCPU threads start, never resized after
    Phase phase_;
    std::optional<uint32_t> stepping_;
    DebugRegisters debug_registers_;  // applied by each vCPU as it leaves the park
    StopEvent stop_;
    bool stop_ready_ = false;  // stop_ is complete and not yet taken
};

}  // namespace berth::gdb
