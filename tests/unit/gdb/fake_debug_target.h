// A DebugTarget made of plain data, for the command handler and server
// tests: registers per vCPU, one block of "guest memory", and a record of
// every resume. resume() can also play a tiny CPU (see `simulate`), so a
// real gdb sees breakpoints hit and steps advance.
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>
#include <vector>

#include "vmm/common/unique_fd.h"
#include "vmm/gdb/debug_target.h"

namespace berth::gdb::testing {

class FakeDebugTarget : public DebugTarget {
public:
    static constexpr uint64_t kMemoryBase = 0x1000;
    static constexpr size_t kMemorySize = 0x2000;

    struct Resume {
        DebugRegisters registers;
        std::optional<uint32_t> step_vcpu;
    };

    explicit FakeDebugTarget(uint32_t vcpus = 2)
        : registers(vcpus), memory(kMemorySize), event_fd_(eventfd(0, EFD_NONBLOCK)) {
        for (size_t i = 0; i < memory.size(); ++i) {
            memory[i] = static_cast<uint8_t>(i);
        }
        for (RegisterFile& vcpu : registers) {
            vcpu.set(Reg::kEfer, kLongMode);  // as Berth starts Linux: gdb gets amd64
        }
    }

    static constexpr uint64_t kLongMode = 0x500;  // EFER.LME | EFER.LMA

    // When true, resume() answers at once like a CPU would: a step moves rip
    // by one byte and stops; a continue with a breakpoint set stops there;
    // a continue without one runs until interrupt().
    bool simulate = false;

    std::vector<RegisterFile> registers;
    std::vector<uint8_t> memory;
    std::vector<Resume> resumes;
    std::atomic<int> interrupts{0};
    std::atomic<int> kills{0};
    // When false, interrupt() only counts: the test sends the stop with push_stop().
    bool answer_interrupts = true;
    bool ended = false;

    void push_stop(const StopEvent& stop) {
        std::lock_guard lock(mutex_);
        pending_ = stop;
        signal();
    }
    void end_vm() {
        std::lock_guard lock(mutex_);
        ended = true;
        signal();
    }

    uint32_t vcpu_count() const override { return static_cast<uint32_t>(registers.size()); }
    std::optional<RegisterFile> read_registers(uint32_t vcpu) override {
        if (vcpu >= registers.size()) {
            return std::nullopt;
        }
        return registers[vcpu];
    }
    bool write_registers(uint32_t vcpu, const RegisterFile& values) override {
        if (vcpu >= registers.size()) {
            return false;
        }
        registers[vcpu] = values;
        return true;
    }
    size_t read_memory(uint32_t, uint64_t address, std::span<uint8_t> out) override {
        if (address < kMemoryBase || address >= kMemoryBase + kMemorySize) {
            return 0;
        }
        const size_t offset = address - kMemoryBase;
        const size_t count = std::min(out.size(), kMemorySize - offset);
        std::memcpy(out.data(), memory.data() + offset, count);
        return count;
    }
    bool write_memory(uint32_t, uint64_t address, std::span<const uint8_t> data) override {
        if (address < kMemoryBase || address + data.size() > kMemoryBase + kMemorySize) {
            return false;
        }
        std::memcpy(memory.data() + (address - kMemoryBase), data.data(), data.size());
        return true;
    }
    void resume(const DebugRegisters& debug, std::optional<uint32_t> step_vcpu) override {
        std::lock_guard lock(mutex_);
        resumes.push_back({debug, step_vcpu});
        running_vcpu_ = step_vcpu.value_or(0);
        if (!simulate) {
            return;
        }
        RegisterFile& cpu = registers[running_vcpu_];
        if (step_vcpu) {
            cpu.set(Reg::kRip, cpu.get(Reg::kRip) + 1);
            pending_ = StopEvent{*step_vcpu, StopCause::kSingleStep, -1};
            signal();
            return;
        }
        for (int slot = 0; slot < 4; ++slot) {
            if ((debug.dr7 & (uint64_t{2} << (slot * 2))) != 0) {
                cpu.set(Reg::kRip, debug.address[static_cast<size_t>(slot)]);
                pending_ = StopEvent{0, StopCause::kBreakpoint, slot};
                signal();
                return;
            }
        }
    }
    void interrupt() override {
        std::lock_guard lock(mutex_);
        ++interrupts;
        if (answer_interrupts) {
            pending_ = StopEvent{running_vcpu_, StopCause::kInterrupt, -1};
            signal();
        }
    }
    void kill() override {
        ++kills;
        end_vm();
    }
    int event_fd() const override { return event_fd_.get(); }
    std::optional<StopEvent> take_stop() override {
        std::lock_guard lock(mutex_);
        uint64_t count = 0;
        [[maybe_unused]] ssize_t got = ::read(event_fd_.get(), &count, sizeof(count));
        if (ended) {
            signal();
        }
        auto stop = pending_;
        pending_.reset();
        return stop;
    }
    bool vm_ended() const override {
        std::lock_guard lock(mutex_);
        return ended;
    }

    // Thread-safe copies for tests whose server runs on another thread.
    std::vector<Resume> resumes_so_far() const {
        std::lock_guard lock(mutex_);
        return resumes;
    }

private:
    void signal() const {
        const uint64_t one = 1;
        [[maybe_unused]] ssize_t written = ::write(event_fd_.get(), &one, sizeof(one));
    }

    mutable std::mutex mutex_;
    std::optional<StopEvent> pending_;
    uint32_t running_vcpu_ = 0;
    UniqueFd event_fd_;
};

}  // namespace berth::gdb::testing
