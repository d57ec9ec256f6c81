// One virtual CPU and the host thread that runs it. The thread only runs the
// exit loop: KVM_RUN, decode the exit, hand it to a bus, repeat.
#pragma once

#include <pthread.h>

#include <csignal>

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "devices/bus.h"
#include "devices/legacy/pic_8259.h"
#include "vmm/gdb/debug_controller.h"
#include "vmm/kvm/vcpu_fd.h"
#include "vmm/run_control.h"
#include "vmm/timeline.h"
#include "vmm/trace/exit_stats.h"
#include "vmm/trace/exit_tracer.h"
#include "vmm/vcpu/exit_observer.h"

namespace berth::vcpu {

// What a vCPU thread needs from the rest of the VM; all of it outlives the thread.
struct VcpuContext {
    const devices::Bus& io_bus;
    const devices::Bus& mmio_bus;
    RunControl& control;
    Timeline& timeline;
    // The exit observatory: --trace-exits (shared by all vCPUs; null when
    // off) and --stats (each vCPU then counts its own exits).
    trace::ExitTracer* tracer = nullptr;
    bool collect_stats = false;
    // --gdb: parks this thread while gdb holds the VM (Vm always sets it;
    // without --gdb it never parks).
    gdb::DebugController* debug = nullptr;
    // --irqchip none: the user-space PIC whose interrupts this vCPU takes
    // (vCPU 0 only; null with KVM's in-kernel irqchip).
    devices::Pic8259* pic = nullptr;
    // The thread waits for this to turn true before its first KVM_RUN: Vm
    // sets it once every thread's seccomp filter is in place (vmm/seccomp),
    // so that the guest runs no instruction before. Null: no wait.
    const std::atomic<bool>* start_gate = nullptr;
};

class Vcpu {
public:
    Vcpu(uint32_t id, kvm::VcpuFd fd, size_t run_size, VcpuContext context);

    uint32_t id() const { return id_; }
    const kvm::VcpuFd& fd() const { return fd_; }

    void start();
    // Makes the thread leave KVM_RUN soon, whether it is inside it now or
    // about to enter it (kvm_run.immediate_exit closes that race).
    void kick();
    void join();

    // This vCPU's exit statistics (null without --stats); read them only
    // after join().
    const trace::ExitStats* stats() const { return stats_.get(); }

    // The signal kick() sends; must have a (do-nothing) handler installed.
    static constexpr int kKickSignal = SIGUSR1;
    static void install_kick_handler();

private:
    void run_loop();
    // The exit loop, compiled twice: kObserved adds the observatory's
    // timestamps and hooks; without it the loop is exactly the plain one.
    template <bool kObserved>
    void run_exits();
    // --irqchip none: hands the PIC's pending interrupt to KVM when the
    // guest can take it, or asks KVM to exit as soon as it can.
    void offer_interrupt();
    // A HLT exit: with interrupts on and a user-space PIC, sleep until an
    // interrupt is pending (the CPU wakes); otherwise the guest has stopped.
    void halt();

    uint32_t id_;
    kvm::VcpuFd fd_;
    size_t run_size_;
    VcpuContext context_;
    std::unique_ptr<trace::ExitStats> stats_;  // owned by the thread while it runs
    std::unique_ptr<ExitObserver> observer_;   // null: nothing observed
    std::thread thread_;
};

}  // namespace berth::vcpu
