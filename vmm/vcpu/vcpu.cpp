#include "vmm/vcpu/vcpu.h"

#include <csignal>
#include <cstdio>
#include <type_traits>

#include <fmt/format.h>

#include "vmm/seccomp/thread_filters.h"
#include "vmm/trace/exit_event.h"
#include "vmm/vcpu/overloaded.h"
#include "vmm/vcpu/vm_exit.h"

namespace berth::vcpu {
namespace {

void ignore_signal(int) {}

}  // namespace

Vcpu::Vcpu(uint32_t id, kvm::VcpuFd fd, size_t run_size, VcpuContext context)
    : id_(id), fd_(std::move(fd)), run_size_(run_size), context_(context) {
    if (context_.collect_stats) {
        stats_ = std::make_unique<trace::ExitStats>();
    }
    if (context_.tracer != nullptr || stats_ != nullptr) {
        observer_ = std::make_unique<ExitObserver>(id_, context_.io_bus, context_.mmio_bus,
                                                   context_.tracer, stats_.get());
    }
}

void Vcpu::install_kick_handler() {
    struct sigaction action {};
    action.sa_handler = ignore_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: KVM_RUN must return EINTR
    sigaction(kKickSignal, &action, nullptr);
}

void Vcpu::start() {
    thread_ = std::thread([this] { run_loop(); });
}

void Vcpu::kick() {
    // immediate_exit is read by KVM on entry; the signal interrupts a running guest.
    std::atomic_ref<uint8_t>(fd_.run_area()->immediate_exit).store(1, std::memory_order_release);
    if (thread_.joinable()) {
        pthread_kill(thread_.native_handle(), kKickSignal);
    }
}

void Vcpu::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Vcpu::run_loop() {
    seccomp::confine_current_thread(seccomp::ThreadKind::kVcpu);
    if (context_.start_gate != nullptr) {
        context_.start_gate->wait(false);
    }
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, kKickSignal);
    pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);

    try {
        // Chosen once per thread: without the observatory the loop has no
        // timestamps, lookups or locks in it at all.
        if (observer_) {
            run_exits<true>();
        } else {
            run_exits<false>();
        }
    } catch (const std::exception& error) {
        context_.control.request_stop(
            {StopKind::kError, fmt::format("vCPU {}: {}", id_, error.what()), 0});
    }
}

template <bool kObserved>
void Vcpu::run_exits() {
    RunControl& control = context_.control;
    [[maybe_unused]] uint64_t entered_ns = 0;
    while (!control.stopping()) {
        if (context_.debug != nullptr) {
            context_.debug->before_run(id_);  // one atomic load unless gdb holds the VM
            if (control.stopping()) {
                break;  // released because the VM is ending
            }
        }
        if (id_ == 0) {
            context_.timeline.mark(Milestone::kFirstKvmRun);
        }
        if (context_.pic != nullptr) {
            offer_interrupt();
        }
        if constexpr (kObserved) {
            entered_ns = trace::monotonic_ns();
            observer_->entering_run(entered_ns);
        }
        if (fd_.run() == kvm::VcpuFd::RunResult::kInterrupted) {
            if constexpr (kObserved) {
                observer_->interrupted(entered_ns, trace::monotonic_ns());
            }
            // A kick, or a stray signal. The kick is consumed here, before
            // what it announced (a stop, an interrupt) is looked at again.
            std::atomic_ref<uint8_t>(fd_.run_area()->immediate_exit)
                .store(0, std::memory_order_release);
            continue;
        }
        [[maybe_unused]] uint64_t returned_ns = 0;
        if constexpr (kObserved) {
            returned_ns = trace::monotonic_ns();
        }
        const VmExit exit = decode_exit(*fd_.run_area(), run_size_);
        std::visit(
            Overloaded{
                [&](const IoExit& io) {
                    for (uint32_t i = 0; i < io.count; ++i) {
                        auto access = io.data.subspan(size_t{i} * io.size, io.size);
                        if (io.is_write) {
                            context_.io_bus.write(io.port, access);
                        } else {
                            context_.io_bus.read(io.port, access);
                        }
                    }
                },
                [&](const MmioExit& mmio) {
                    if (mmio.is_write) {
                        context_.mmio_bus.write(mmio.address, mmio.data);
                    } else {
                        context_.mmio_bus.read(mmio.address, mmio.data);
                    }
                },
                [&](const HltExit&) { halt(); },
                [&](const ShutdownExit&) {
                    control.request_stop({StopKind::kReset, "guest reset (triple fault)", 0});
                },
                [&](const SystemEventExit& event) {
                    if (event.type == KVM_SYSTEM_EVENT_RESET) {
                        control.request_stop({StopKind::kReset, "guest reset", 0});
                    } else if (event.type == KVM_SYSTEM_EVENT_CRASH) {
                        control.request_stop({StopKind::kError, "guest crashed", 0});
                    } else {
                        control.request_stop({StopKind::kPowerOff, "guest powered off", 0});
                    }
                },
                [&](const FailEntryExit& fail) {
                    control.request_stop(
                        {StopKind::kError,
                         fmt::format("vCPU {}: KVM could not enter the guest (hardware "
                                     "reason {:#x})",
                                     id_, fail.hardware_reason),
                         0});
                },
                [&](const InternalErrorExit& error) {
                    const auto regs = fd_.get_regs();
                    control.request_stop(
                        {StopKind::kError,
                         fmt::format("vCPU {}: KVM internal error (suberror {}) at rip "
                                     "{:#x}",
                                     id_, error.suberror, regs.rip),
                         0});
                },
                [&](const DebugExit& debug) {
                    if (context_.debug != nullptr) {
                        context_.debug->on_debug_exit(id_, debug.arch);
                    }
                },
                [&](const RetryExit&) {},
                [&](const UnknownExit& unknown) {
                    control.request_stop(
                        {StopKind::kError,
                         fmt::format("vCPU {}: unexpected KVM exit reason {}", id_, unknown.reason),
                         0});
                },
            },
            exit);
        if constexpr (kObserved) {
            observer_->exited(exit, fd_.run_area()->exit_reason, entered_ns, returned_ns);
        }
    }
    if constexpr (kObserved) {
        observer_->stopped(trace::monotonic_ns());
    }
}

void Vcpu::offer_interrupt() {
    kvm_run* run = fd_.run_area();
    if (!context_.pic->has_pending()) {
        run->request_interrupt_window = 0;
        return;
    }
    // Both flags are KVM's view after the last exit: IF set, and no
    // instruction (sti, mov ss) blocking interrupts for one more step.
    if (run->ready_for_interrupt_injection != 0 && run->if_flag != 0) {
        fd_.interrupt(context_.pic->acknowledge());
        run->request_interrupt_window = 0;
    } else {
        // KVM exits (KVM_EXIT_IRQ_WINDOW_OPEN) the moment the guest can take it.
        run->request_interrupt_window = 1;
    }
}

void Vcpu::halt() {
    RunControl& control = context_.control;
    if (context_.pic == nullptr || fd_.run_area()->if_flag == 0) {
        // Nothing can wake this CPU (interrupts off, or none Berth delivers).
        control.request_stop({StopKind::kPowerOff, "guest halted", 0});
        return;
    }
    while (!control.stopping()) {
        if (context_.pic->wait_for_pending(std::chrono::milliseconds(50))) {
            return;  // the interrupt is injected before the next KVM_RUN
        }
        if (context_.debug != nullptr && context_.debug->holding()) {
            // gdb stops the VM. KVM reported the hlt with RIP past it: point
            // RIP back at the one-byte hlt, so that the guest, once resumed,
            // halts again instead of waking without an interrupt.
            kvm_regs regs = fd_.get_regs();
            regs.rip -= 1;
            fd_.set_regs(regs);
            return;
        }
    }
}

}  // namespace berth::vcpu
