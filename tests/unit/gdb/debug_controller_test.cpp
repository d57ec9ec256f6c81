#include "vmm/gdb/debug_controller.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/unit/gdb/fake_vcpu.h"

namespace berth::gdb {
namespace {

using testing::FakeVcpu;
using testing::FakeVcpuThread;
using testing::wait_for_stop;

// Two fake vCPUs on their own threads, driven through a DebugController.
class GdbDebugController : public ::testing::Test {
protected:
    static constexpr uint32_t kVcpus = 2;

    GdbDebugController() : controller(true, [this] { ++kill_requests; }) {
        for (uint32_t id = 0; id < kVcpus; ++id) {
            auto vcpu = std::make_unique<FakeVcpu>();
            vcpus.push_back(vcpu.get());
            controller.add_vcpu(std::move(vcpu));
        }
        for (uint32_t id = 0; id < kVcpus; ++id) {
            threads.push_back(std::make_unique<FakeVcpuThread>(controller, *vcpus[id], id));
        }
    }
    ~GdbDebugController() override {
        for (auto& thread : threads) {
            thread->stop();
        }
    }

    uint64_t rip(uint32_t vcpu) { return controller.read_registers(vcpu).value().get(Reg::kRip); }

    int kill_requests = 0;
    DebugController controller;
    std::vector<FakeVcpu*> vcpus;  // owned by the controller
    std::vector<std::unique_ptr<FakeVcpuThread>> threads;
};

TEST_F(GdbDebugController, TheVmStartsStoppedForGdb) {
    const auto stop = wait_for_stop(controller);
    ASSERT_TRUE(stop);
    EXPECT_EQ(*stop, (StopEvent{0, StopCause::kAttach, -1}));
    // Nobody ran: every vCPU parked before its first "KVM_RUN".
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(rip(0), testing::kLoopStart);
    EXPECT_EQ(rip(1), testing::kLoopStart);
}

TEST_F(GdbDebugController, RegisterAccessRunsOnTheVcpusOwnThread) {
    ASSERT_TRUE(wait_for_stop(controller));
    ASSERT_TRUE(controller.read_registers(1));
    EXPECT_EQ(vcpus[1]->access_thread(), threads[1]->id());
    RegisterFile registers = controller.read_registers(0).value();
    registers.set(Reg::kRip, 0x1080);
    ASSERT_TRUE(controller.write_registers(0, registers));
    EXPECT_EQ(vcpus[0]->access_thread(), threads[0]->id());
    EXPECT_EQ(rip(0), 0x1080u);
    EXPECT_FALSE(controller.read_registers(2));  // no such vCPU
    std::vector<uint8_t> bytes(4);
    EXPECT_EQ(controller.read_memory(0, 0x10fe, bytes), 2u);
    EXPECT_EQ(bytes[0], 0xfe);
}

TEST_F(GdbDebugController, ContinueRunsAllAndCtrlCStopsAll) {
    ASSERT_TRUE(wait_for_stop(controller));
    controller.resume(DebugRegisters{}, std::nullopt);
    EXPECT_FALSE(controller.read_registers(0));  // not while running
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    controller.interrupt();
    const auto stop = wait_for_stop(controller);
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->cause, StopCause::kInterrupt);
    const uint64_t rip0 = rip(0);
    const uint64_t rip1 = rip(1);
    EXPECT_NE(rip0, testing::kLoopStart);  // both ran
    EXPECT_NE(rip1, testing::kLoopStart);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(rip(0), rip0);  // and both are parked now
    EXPECT_EQ(rip(1), rip1);
}

TEST_F(GdbDebugController, ABreakpointStopsEveryVcpu) {
    ASSERT_TRUE(wait_for_stop(controller));
    DebugRegisters breakpoint;
    breakpoint.address[2] = 0x1040;
    breakpoint.dr7 = 2u << 4;  // G2
    controller.resume(breakpoint, std::nullopt);
    const auto stop = wait_for_stop(controller);
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->cause, StopCause::kBreakpoint);
    EXPECT_EQ(stop->slot, 2);
    EXPECT_EQ(rip(stop->vcpu), 0x1040u);
    const uint32_t other = 1 - stop->vcpu;
    const uint64_t other_rip = rip(other);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(rip(other), other_rip);
}

TEST_F(GdbDebugController, AStepMovesOneVcpuByOneInstruction) {
    ASSERT_TRUE(wait_for_stop(controller));
    controller.resume(DebugRegisters{}, 1);
    const auto stop = wait_for_stop(controller);
    ASSERT_TRUE(stop);
    EXPECT_EQ(*stop, (StopEvent{1, StopCause::kSingleStep, -1}));
    EXPECT_EQ(rip(1), testing::kLoopStart + 1);
    EXPECT_EQ(rip(0), testing::kLoopStart);  // the other one stayed parked
    controller.resume(DebugRegisters{}, 1);
    ASSERT_TRUE(wait_for_stop(controller));
    EXPECT_EQ(rip(1), testing::kLoopStart + 2);
}

TEST_F(GdbDebugController, InterruptWhileStoppedAnnouncesTheStopAgain) {
    ASSERT_TRUE(wait_for_stop(controller));
    EXPECT_FALSE(controller.take_stop());  // taken once
    controller.interrupt();                // a new gdb connects
    const auto stop = controller.take_stop();
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->cause, StopCause::kAttach);
}

TEST_F(GdbDebugController, ShutdownReleasesParkedVcpus) {
    ASSERT_TRUE(wait_for_stop(controller));
    controller.shutdown();
    EXPECT_TRUE(controller.vm_ended());
    EXPECT_FALSE(controller.read_registers(0));
    for (auto& thread : threads) {
        thread->stop();  // joins: would hang if a vCPU stayed parked
    }
}

TEST_F(GdbDebugController, KillAsksBerthToStop) {
    controller.kill();
    EXPECT_EQ(kill_requests, 1);
}

TEST(GdbDebugControllerDisabled, BeforeRunNeverWaits) {
    DebugController controller(false, nullptr);
    controller.add_vcpu(std::make_unique<FakeVcpu>());
    controller.before_run(0);  // would block forever if it parked
    EXPECT_FALSE(controller.take_stop());
}

}  // namespace
}  // namespace berth::gdb
