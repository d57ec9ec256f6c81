// A pretend vCPU for the debug controller: a thread that runs the same loop
// as vmm/vcpu/vcpu.cpp with --gdb (before_run, "KVM_RUN", debug exits), where
// "KVM_RUN" executes one-byte instructions: rip goes up by one each time,
// looping over 0x1000-0x10ff. A debug register whose address equals rip fires
// before the instruction (as x86 instruction breakpoints do), a single step
// after it.
#pragma once

#include <poll.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "vmm/gdb/debug_controller.h"
#include "vmm/gdb/vcpu_debug_access.h"

namespace berth::gdb::testing {

inline constexpr uint64_t kLoopStart = 0x1000;
inline constexpr uint64_t kLoopEnd = 0x1100;

class FakeVcpu : public VcpuDebugAccess {
public:
    // Long mode with paging by default, as Berth starts Linux; real mode on request.
    explicit FakeVcpu(bool long_mode = true) {
        registers_.set(Reg::kRip, kLoopStart);
        if (long_mode) {
            registers_.set(Reg::kCr0, 0x80000001);  // PE, PG
            registers_.set(Reg::kEfer, 0x500);      // LME, LMA
        }
    }

    void kick() override { kicked_.store(true); }
    void clear_kick() override { kicked_.store(false); }
    RegisterFile read_registers() override {
        access_thread_ = std::this_thread::get_id();
        return registers_;
    }
    void write_registers(const RegisterFile& registers) override {
        access_thread_ = std::this_thread::get_id();
        registers_ = registers;
    }
    size_t read_memory(uint64_t address, std::span<uint8_t> out) override {
        size_t done = 0;
        for (; done < out.size() && address + done >= kLoopStart && address + done < kLoopEnd;
             ++done) {
            out[done] =
                static_cast<uint8_t>(address + done);  // each byte is its address's low byte
        }
        return done;
    }
    bool write_memory(uint64_t, std::span<const uint8_t>) override { return false; }
    void set_guest_debug(const DebugRegisters& registers, bool single_step) override {
        debug_ = registers;
        single_step_ = single_step;
    }

    // The vCPU thread's "KVM_RUN": returns a debug exit's DR6 when one happens.
    std::optional<uint64_t> run_once() {
        if (kicked_.load()) {
            return std::nullopt;  // immediate_exit: KVM_RUN returns at once (EINTR)
        }
        const uint64_t rip = registers_.get(Reg::kRip);
        for (unsigned slot = 0; slot < 4; ++slot) {
            if ((debug_.dr7 & (2u << (slot * 2))) != 0 && debug_.address[slot] == rip) {
                return 0xffff0ff0 | (1u << slot);
            }
        }
        registers_.set(Reg::kRip, rip + 1 >= kLoopEnd ? kLoopStart : rip + 1);
        if (single_step_) {
            return 0xffff4ff0;  // BS
        }
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        return std::nullopt;
    }

    std::thread::id access_thread() const { return access_thread_; }

private:
    std::atomic<bool> kicked_{false};
    RegisterFile registers_;
    DebugRegisters debug_;
    bool single_step_ = false;
    std::thread::id access_thread_;
};

// Runs a FakeVcpu the way Vcpu::run_loop runs a real one, wired as the
// reply to the brief describes.
class FakeVcpuThread {
public:
    FakeVcpuThread(DebugController& controller, FakeVcpu& vcpu, uint32_t id)
        : controller_(controller), vcpu_(vcpu), id_(id), thread_([this] { loop(); }) {}
    ~FakeVcpuThread() { stop(); }

    // What Vm does at the end: tell the controller, then kick and join.
    void stop() {
        quit_.store(true);
        controller_.shutdown();
        vcpu_.kick();
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    std::thread::id id() const { return thread_.get_id(); }

private:
    void loop() {
        while (!quit_.load()) {
            controller_.before_run(id_);
            if (quit_.load()) {
                break;
            }
            if (const auto dr6 = vcpu_.run_once()) {
                kvm_debug_exit_arch arch{};
                arch.exception = 1;
                arch.dr6 = *dr6;
                controller_.on_debug_exit(id_, arch);
            }
        }
    }

    DebugController& controller_;
    FakeVcpu& vcpu_;
    uint32_t id_;
    std::atomic<bool> quit_{false};
    std::thread thread_;
};

// Waits (up to 10 s) for the controller's next stop.
inline std::optional<StopEvent> wait_for_stop(DebugTarget& target) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd fd{target.event_fd(), POLLIN, 0};
        poll(&fd, 1, 100);
        if (auto stop = target.take_stop()) {
            return stop;
        }
    }
    return std::nullopt;
}

}  // namespace berth::gdb::testing
