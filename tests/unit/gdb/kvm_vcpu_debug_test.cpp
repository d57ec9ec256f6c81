// The KVM side of the stub on a real vCPU: KVM_SET_GUEST_DEBUG's hardware
// breakpoints and single steps, DR6 decoding, immediate_exit handling when
// gdb's Ctrl-C kicks the vCPU, KVM_TRANSLATE through real page tables, and
// register access. Each test builds a tiny guest (a few instructions in
// real mode or long mode) and runs it with the loop vmm/vcpu/vcpu.cpp gets
// with --gdb. Skipped where /dev/kvm cannot run a VM.
#include "vmm/gdb/kvm_vcpu_debug.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <atomic>
#include <memory>
#include <thread>

#include "tests/unit/gdb/fake_vcpu.h"
#include "tests/unit/gdb/gdb_batch.h"
#include "vmm/boot/cpu_setup.h"
#include "vmm/common/error.h"
#include "vmm/gdb/debug_controller.h"
#include "vmm/gdb/gdb_server.h"
#include "vmm/kvm/system.h"
#include "vmm/layout.h"
#include "vmm/vcpu/vcpu.h"

namespace berth::gdb {
namespace {

constexpr uint64_t kCodeAddress = 0x1000;
constexpr uint64_t kMemorySize = 4 << 20;
// Long mode: the 1 GiB-2 MiB at this virtual address is mapped to physical 0,
// so the code runs at an address that is not its physical one.
constexpr uint64_t kHighAlias = 0x40000000;

// mov ax, 1; inc ax; inc ax; inc ax; jmp $  (16-bit)
constexpr uint8_t kRealModeCode[] = {0xb8, 0x01, 0x00, 0x40, 0x40, 0x40, 0xeb, 0xfe};
// mov eax, 1; inc eax; inc eax; inc eax; jmp $  (64-bit)
constexpr uint8_t kLongModeCode[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xff, 0xc0,
                                     0xff, 0xc0, 0xff, 0xc0, 0xeb, 0xfe};

enum class Mode { kReal, kLong };

// One VM with one vCPU, a thread running Vcpu::run_loop's --gdb loop, and a
// DebugController over KvmVcpuDebug.
class KvmGuest {
public:
    static std::unique_ptr<KvmGuest> create(Mode mode, std::string& why_not) {
        try {
            auto guest = std::unique_ptr<KvmGuest>(new KvmGuest(mode));
            guest->start();
            return guest;
        } catch (const std::exception& error) {
            why_not = error.what();
            return nullptr;
        }
    }
    ~KvmGuest() { stop(); }

    DebugController& controller() { return controller_; }
    uint32_t unexpected_exit() const { return unexpected_exit_.load(); }

    void stop() {
        quit_.store(true);
        controller_.shutdown();
        kick();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

private:
    explicit KvmGuest(Mode mode)
        : system_(kvm::System::open()),
          vm_(system_.create_vm()),
          memory_(GuestMemory::create({{GuestAddress(0), kMemorySize}})),
          vcpu_(create_vcpu()),
          controller_(true, nullptr) {
        // Intel VMX wants these for real mode; other KVMs may refuse them.
        try {
            vm_.set_tss_address(layout::kKvmTssStart);
            vm_.set_identity_map_address(layout::kKvmIdentityMapStart);
        } catch (const SystemError&) {
        }
        vm_.set_user_memory_region(0, GuestAddress(0), kMemorySize, memory_.regions()[0].host);
        kvm_sregs sregs = vcpu_.get_sregs();
        kvm_regs regs{};
        regs.rflags = 2;
        if (mode == Mode::kReal) {
            memory_.write(GuestAddress(kCodeAddress), kRealModeCode);
            sregs.cs.base = 0;
            sregs.cs.selector = 0;
            regs.rip = kCodeAddress;
        } else {
            memory_.write(GuestAddress(kCodeAddress), kLongModeCode);
            boot::write_boot_gdt(memory_);
            boot::write_identity_page_tables(memory_);
            // The second page directory (1-2 GiB): its first 2 MiB page -> physical 0.
            memory_.write_obj(layout::kPdStart + 0x1000,
                              boot::kPagePresent | boot::kPageWritable | boot::kPageSize2M);
            boot::set_long_mode_sregs(sregs);
            regs.rip = kHighAlias + kCodeAddress;
        }
        vcpu_.set_sregs(sregs);
        vcpu_.set_regs(regs);
        controller_.add_vcpu(std::make_unique<KvmVcpuDebug>(vcpu_raw_fd_, vcpu_.run_area(), memory_,
                                                            [this] { kick(); }));
    }

    kvm::VcpuFd create_vcpu() {
        const int fd = ioctl(vm_.get(), KVM_CREATE_VCPU, 0);
        if (fd < 0) {
            throw SystemError("KVM_CREATE_VCPU", errno);
        }
        const auto size = static_cast<size_t>(system_.vcpu_mmap_size());
        void* run = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (run == MAP_FAILED) {
            close(fd);
            throw SystemError("mmap kvm_run", errno);
        }
        vcpu_raw_fd_ = fd;
        return kvm::VcpuFd(UniqueFd(fd), static_cast<kvm_run*>(run), size);
    }

    void start() {
        vcpu::Vcpu::install_kick_handler();
        thread_ = std::thread([this] { loop(); });
        started_.store(true);
    }

    // Vcpu::kick(): immediate_exit for a vCPU about to enter, a signal for one inside.
    void kick() {
        std::atomic_ref<uint8_t>(vcpu_.run_area()->immediate_exit).store(1);
        if (started_.load()) {
            pthread_kill(thread_.native_handle(), vcpu::Vcpu::kKickSignal);
        }
    }

    // What vmm/vcpu/vcpu.cpp's loop does with --gdb wired in.
    void loop() {
        sigset_t unblock;
        sigemptyset(&unblock);
        sigaddset(&unblock, vcpu::Vcpu::kKickSignal);
        pthread_sigmask(SIG_UNBLOCK, &unblock, nullptr);
        while (!quit_.load()) {
            controller_.before_run(0);
            if (quit_.load()) {
                break;
            }
            if (vcpu_.run() == kvm::VcpuFd::RunResult::kInterrupted) {
                continue;
            }
            if (vcpu_.run_area()->exit_reason != KVM_EXIT_DEBUG) {
                unexpected_exit_.store(vcpu_.run_area()->exit_reason);
                return;
            }
            controller_.on_debug_exit(0, vcpu_.run_area()->debug.arch);
        }
    }

    kvm::System system_;
    kvm::VmFd vm_;
    GuestMemory memory_;
    int vcpu_raw_fd_ = -1;
    kvm::VcpuFd vcpu_;
    DebugController controller_;
    std::atomic<bool> quit_{false};
    std::atomic<bool> started_{false};
    std::atomic<uint32_t> unexpected_exit_{0};
    std::thread thread_;
};

class GdbKvm : public ::testing::TestWithParam<Mode> {
protected:
    void SetUp() override {
        std::string why_not;
        guest = KvmGuest::create(GetParam(), why_not);
        if (!guest) {
            GTEST_SKIP() << "no usable /dev/kvm: " << why_not;
        }
    }

    StopEvent stop() {
        auto event = testing::wait_for_stop(guest->controller());
        EXPECT_TRUE(event) << "no stop; vCPU left its loop with exit reason "
                           << guest->unexpected_exit();
        return event.value_or(StopEvent{});
    }
    RegisterFile registers() { return guest->controller().read_registers(0).value(); }
    uint64_t code(uint64_t offset) {
        return (GetParam() == Mode::kLong ? kHighAlias : 0) + kCodeAddress + offset;
    }
    DebugRegisters breakpoint_at(uint64_t address) {
        HwBreakpointSlots slots;
        slots.insert({BreakpointKind::kExecute, address, 1});
        return slots.debug_registers();
    }

    std::unique_ptr<KvmGuest> guest;
};

TEST_P(GdbKvm, BreakpointStepInterruptAndRegisters) {
    const bool long_mode = GetParam() == Mode::kLong;
    // Instruction offsets: after mov, after the first inc, the jmp.
    const uint64_t first_inc = long_mode ? 5 : 3;
    const uint64_t second_inc = long_mode ? 7 : 4;
    const uint64_t third_inc = long_mode ? 9 : 5;
    const uint64_t jump = long_mode ? 11 : 6;

    EXPECT_EQ(stop().cause, StopCause::kAttach);
    RegisterFile before = registers();
    EXPECT_EQ(before.get(Reg::kRip), code(0));
    EXPECT_EQ((before.get(Reg::kCr0) & 1) != 0, long_mode);
    EXPECT_EQ((before.get(Reg::kEfer) & boot::EFER_LMA) != 0, long_mode);

    guest->controller().resume(breakpoint_at(code(second_inc)), std::nullopt);
    const StopEvent hit = stop();
    EXPECT_EQ(hit.cause, StopCause::kBreakpoint);
    EXPECT_EQ(hit.slot, 0);
    EXPECT_EQ(registers().get(Reg::kRip), code(second_inc));  // stopped before it ran
    EXPECT_EQ(registers().get(Reg::kRax), 2u);

    guest->controller().resume(DebugRegisters{}, 0);
    EXPECT_EQ(stop().cause, StopCause::kSingleStep);
    EXPECT_EQ(registers().get(Reg::kRip), code(third_inc));
    EXPECT_EQ(registers().get(Reg::kRax), 3u);

    // Run into the endless jmp, then Ctrl-C: the kick must get it out of KVM_RUN.
    guest->controller().resume(DebugRegisters{}, std::nullopt);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    guest->controller().interrupt();
    EXPECT_EQ(stop().cause, StopCause::kInterrupt);
    EXPECT_EQ(registers().get(Reg::kRip), code(jump));
    EXPECT_EQ(registers().get(Reg::kRax), 4u);

    // Back to the start by writing rip; the immediate_exit the kick left was cleared.
    RegisterFile again = registers();
    again.set(Reg::kRip, code(0));
    ASSERT_TRUE(guest->controller().write_registers(0, again));
    guest->controller().resume(breakpoint_at(code(first_inc)), std::nullopt);
    EXPECT_EQ(stop().slot, 0);
    EXPECT_EQ(registers().get(Reg::kRax), 1u);
}

TEST_P(GdbKvm, MemoryIsReadThroughTheGuestsPageTables) {
    stop();
    std::vector<uint8_t> bytes(3);
    ASSERT_EQ(guest->controller().read_memory(0, code(0), bytes), 3u);
    EXPECT_EQ(bytes, (std::vector<uint8_t>{0xb8, 0x01, 0x00}));
    const std::vector<uint8_t> patch{0x90};
    ASSERT_TRUE(guest->controller().write_memory(0, code(0x100), patch));
    ASSERT_EQ(guest->controller().read_memory(0, code(0x100), std::span(bytes).first(1)), 1u);
    EXPECT_EQ(bytes[0], 0x90);
    // Past guest RAM (4 MiB): translated or not, nothing to read.
    EXPECT_EQ(guest->controller().read_memory(0, 0x10000000, bytes), 0u);
    // Reads that run off the end of RAM stop there.
    std::vector<uint8_t> tail(16);
    EXPECT_EQ(guest->controller().read_memory(0, kMemorySize - 8, tail), 8u);
    if (GetParam() == Mode::kLong) {
        // Above the 4 GiB the page tables map: KVM_TRANSLATE says invalid.
        EXPECT_EQ(guest->controller().read_memory(0, 0x100000000, bytes), 0u);
    }
}

TEST_P(GdbKvm, RealGdbDebugsTheGuest) {
    if (!testing::gdb_installed()) {
        GTEST_SKIP() << "/usr/bin/gdb is not installed";
    }
    GdbServer server(ListenAddress{0x7f000001, 0}, guest->controller());
    server.start();
    const bool long_mode = GetParam() == Mode::kLong;
    const std::string second_inc = long_mode ? "0x40001007" : "0x1004";
    // In real mode gdb gets the i386 description and may decode 16-bit code.
    const std::string ax = long_mode ? "$rax" : "$eax";
    const std::string output = testing::run_gdb_batch(
        server.address().port,
        {long_mode ? "info registers rip" : "set architecture i8086", "x/2i $pc",
         "break *" + second_inc, "continue", "p " + ax, "stepi", "p " + ax, "p $cr0", "p $efer",
         long_mode ? "info registers rip" : "info registers eip", "detach"});
    server.stop();
    SCOPED_TRACE(output);
    EXPECT_EQ(output.find("rejected"), std::string::npos);
    EXPECT_NE(output.find("Breakpoint 1, 0x"), std::string::npos);
    EXPECT_NE(output.find("$1 = 2"), std::string::npos);
    EXPECT_NE(output.find("$2 = 3"), std::string::npos);
    if (long_mode) {
        EXPECT_NE(output.find("rip            0x40001000"), std::string::npos);
        EXPECT_NE(output.find("mov    $0x1,%eax"), std::string::npos);  // decoded as 64-bit code
        EXPECT_NE(output.find("PE"), std::string::npos);
        EXPECT_NE(output.find("LMA"), std::string::npos);
    } else {
        EXPECT_NE(output.find("mov    $0x1,%ax"), std::string::npos);  // decoded as 16-bit code
        EXPECT_NE(output.find("inc    %ax"), std::string::npos);
        EXPECT_NE(output.find("eip            0x1005"), std::string::npos);
        EXPECT_EQ(output.find("not compatible"), std::string::npos);
    }
}

INSTANTIATE_TEST_SUITE_P(GdbKvmModes, GdbKvm, ::testing::Values(Mode::kReal, Mode::kLong),
                         [](const auto& info) {
                             return info.param == Mode::kReal ? "RealMode" : "LongMode";
                         });

}  // namespace
}  // namespace berth::gdb
