// gdb itself against the stub: proves that gdb 13 accepts the target
// description and the register layout, and that breakpoints, steps, memory
// and threads look right from the user's side. The VM is the debug
// controller with two fake vCPU threads (fake_vcpu.h), so everything but
// KVM is the code `berth run --gdb` runs.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/unit/gdb/fake_vcpu.h"
#include "tests/unit/gdb/gdb_batch.h"
#include "vmm/gdb/debug_controller.h"
#include "vmm/gdb/gdb_server.h"

namespace berth::gdb {
namespace {

using testing::FakeVcpu;
using testing::FakeVcpuThread;

class GdbRealGdb : public ::testing::TestWithParam<bool> {
protected:
    bool long_mode() const { return GetParam(); }

    void SetUp() override {
        if (!testing::gdb_installed()) {
            GTEST_SKIP() << "/usr/bin/gdb is not installed (scripts/setup installs it)";
        }
        for (uint32_t id = 0; id < 2; ++id) {
            auto vcpu = std::make_unique<FakeVcpu>(long_mode());
            vcpus_.push_back(vcpu.get());
            controller_.add_vcpu(std::move(vcpu));
        }
        for (uint32_t id = 0; id < 2; ++id) {
            threads_.push_back(std::make_unique<FakeVcpuThread>(controller_, *vcpus_[id], id));
        }
        server_ = std::make_unique<GdbServer>(ListenAddress{0x7f000001, 0}, controller_);
        server_->start();
    }
    void TearDown() override {
        for (auto& thread : threads_) {
            thread->stop();
        }
        if (server_) {
            server_->stop();
        }
    }

    std::string gdb(const std::vector<std::string>& commands) {
        return testing::run_gdb_batch(server_->address().port, commands);
    }

    DebugController controller_{true, nullptr};
    std::vector<FakeVcpu*> vcpus_;
    std::vector<std::unique_ptr<FakeVcpuThread>> threads_;
    std::unique_ptr<GdbServer> server_;
};

class GdbRealGdbLongMode : public GdbRealGdb {};
INSTANTIATE_TEST_SUITE_P(GdbRealGdb, GdbRealGdbLongMode, ::testing::Values(true));
class GdbRealGdbRealMode : public GdbRealGdb {};
INSTANTIATE_TEST_SUITE_P(GdbRealGdb, GdbRealGdbRealMode, ::testing::Values(false));

TEST_P(GdbRealGdbLongMode, AcceptsTheTargetDescriptionAndReadsRegisters) {
    const std::string output =
        gdb({"info registers rip", "p/x $eflags", "p $cr0", "p/x $k_gs_base", "p $xmm0.uint128",
             "p $st0", "info registers fs_base", "x/4xb 0x1010", "detach"});
    SCOPED_TRACE(output);
    EXPECT_EQ(output.find("rejected"), std::string::npos);
    EXPECT_EQ(output.find("too long"), std::string::npos);
    EXPECT_EQ(output.find("Truncated register"), std::string::npos);
    EXPECT_NE(output.find("rip            0x1000"), std::string::npos);
    EXPECT_NE(output.find("= 0x0"), std::string::npos);  // eflags and k_gs_base of a fresh vCPU
    EXPECT_NE(output.find("= [ PE PG ]"), std::string::npos);  // cr0 as flags
    EXPECT_NE(output.find("fs_base        0x0"), std::string::npos);
    EXPECT_NE(output.find("0x10\t0x11\t0x12\t0x13"), std::string::npos);
    EXPECT_NE(output.find("[Inferior 1 (Remote target) detached]"), std::string::npos);
}

TEST_P(GdbRealGdbLongMode, BreakpointContinueAndStepi) {
    const std::string output = gdb({"break *0x1040", "continue", "p/x $pc", "stepi", "p/x $pc",
                                    "info threads", "delete", "detach"});
    SCOPED_TRACE(output);
    EXPECT_NE(output.find("Breakpoint 1 at 0x1040"), std::string::npos);
    EXPECT_NE(output.find("hit Breakpoint 1, 0x0000000000001040"), std::string::npos);
    EXPECT_NE(output.find("= 0x1040"), std::string::npos);
    EXPECT_NE(output.find("0x0000000000001041 in ?? ()"), std::string::npos);
    EXPECT_NE(output.find("= 0x1041"), std::string::npos);
    EXPECT_NE(output.find("Thread 1"), std::string::npos);
    EXPECT_NE(output.find("Thread 2"), std::string::npos);
}

TEST_P(GdbRealGdbLongMode, AFifthHardwareBreakpointIsRefused) {
    const std::string output = gdb({"break *0x1080", "break *0x1081", "break *0x1082",
                                    "break *0x1083", "break *0x1084", "continue", "detach"});
    SCOPED_TRACE(output);
    // gdb inserts breakpoints when resuming: the fifth fails and it does not resume.
    EXPECT_NE(output.find("Cannot insert breakpoint 5"), std::string::npos);
}

TEST_P(GdbRealGdbLongMode, WritesRegistersAndSelectsThreads) {
    const std::string output = gdb({"set $rax = 0x1234", "p/x $rax", "thread 2", "p/x $rax",
                                    "thread 1", "p/x $rax", "detach"});
    SCOPED_TRACE(output);
    EXPECT_NE(output.find("= 0x1234"), std::string::npos);
    EXPECT_NE(output.find("Switching to thread 2"), std::string::npos);
    EXPECT_NE(output.find("= 0x0"), std::string::npos);  // vCPU 1's own rax
}

// A guest in real mode gets the i8086 description: 32-bit registers, 16-bit
// code; `set architecture i386` switches to 32-bit code for protected mode.
TEST_P(GdbRealGdbRealMode, GetsThe32BitLayoutAnd8086Code) {
    const std::string output =
        gdb({"show architecture", "info registers eip", "p $cr0", "break *0x1040", "continue",
             "p/x $pc", "set architecture i386", "show architecture", "detach"});
    SCOPED_TRACE(output);
    EXPECT_EQ(output.find("not compatible"), std::string::npos);
    EXPECT_EQ(output.find("rejected"), std::string::npos);
    EXPECT_EQ(output.find("OS ABI"), std::string::npos);
    EXPECT_NE(output.find("(currently \"i8086\")"), std::string::npos);
    EXPECT_NE(output.find("eip            0x1000"), std::string::npos);
    EXPECT_NE(output.find("= [ ]"), std::string::npos);
    EXPECT_NE(output.find("Breakpoint 1, 0x00001040"), std::string::npos);
    EXPECT_NE(output.find("The target architecture is set to \"i386\""), std::string::npos);
}

}  // namespace
}  // namespace berth::gdb
