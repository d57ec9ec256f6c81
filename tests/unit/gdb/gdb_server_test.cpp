#include "vmm/gdb/gdb_server.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/unit/gdb/fake_debug_target.h"
#include "tests/unit/gdb/rsp_client.h"
#include "vmm/common/error.h"

namespace berth::gdb {
namespace {

using testing::FakeDebugTarget;
using testing::RspClient;

class GdbServerTest : public ::testing::Test {
protected:
    GdbServerTest() : server(ListenAddress{0x7f000001, 0}, target) { server.start(); }
    ~GdbServerTest() override { server.stop(); }

    // Polls a condition the server thread makes true.
    template <typename Condition>
    bool eventually(Condition condition) {
        for (int i = 0; i < 5000; ++i) {
            if (condition()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return false;
    }

    FakeDebugTarget target;
    GdbServer server;
};

TEST_F(GdbServerTest, BindsAnEphemeralLoopbackPort) {
    EXPECT_NE(server.address().port, 0);
    EXPECT_EQ(server.address().ipv4, 0x7f000001u);
}

TEST_F(GdbServerTest, APortInUseIsTheUsersProblem) {
    EXPECT_THROW(GdbServer(server.address(), target), UserError);
}

TEST_F(GdbServerTest, AnswersAcksAndStopsTheVmOnConnect) {
    RspClient client(server.address().port);
    ASSERT_TRUE(client.connected());
    client.send_packet("qSupported:multiprocess+");
    EXPECT_EQ(client.read_byte(), '+');  // the server acks our packet
    EXPECT_EQ(client.read_packet(), "PacketSize=1000;qXfer:features:read+;QStartNoAckMode+");
    EXPECT_EQ(target.interrupts, 1);  // connecting stopped the VM
    // The stop that let gdb attach is reported as SIGTRAP, not as gdb's Ctrl-C.
    EXPECT_EQ(client.exchange("?"), "T05thread:1;");
    target.registers[0].set(Reg::kRip, 0xfff0);
    const auto g = client.exchange("g");
    ASSERT_TRUE(g);
    EXPECT_EQ(g->size(), 608u * 2);
    EXPECT_EQ(g->substr(16 * 16, 16), "f0ff000000000000");
}

TEST_F(GdbServerTest, ContinueWaitsForTheStopThenCtrlCInterrupts) {
    RspClient client(server.address().port);
    ASSERT_EQ(client.exchange("?"), "T05thread:1;");
    ASSERT_EQ(client.exchange("Z0,1000,1"), "OK");
    client.send_packet("c");
    EXPECT_EQ(client.read_byte(), '+');
    EXPECT_FALSE(client.read_packet(100));  // no reply while the VM runs
    ASSERT_TRUE(eventually([&] { return target.resumes_so_far().size() == 1; }));
    EXPECT_EQ(target.resumes_so_far()[0].registers.address[0], 0x1000u);
    target.push_stop({1, StopCause::kBreakpoint, 0});
    EXPECT_EQ(client.read_packet(), "T05thread:2;");

    client.send_packet("c");
    EXPECT_EQ(client.read_byte(), '+');
    ASSERT_TRUE(eventually([&] { return target.resumes_so_far().size() == 2; }));
    client.send_raw("\x03");
    EXPECT_EQ(client.read_packet(), "T02thread:1;");
}

TEST_F(GdbServerTest, BadChecksumIsNackedAndANackResends) {
    RspClient client(server.address().port);
    client.send_raw("$g#00");
    EXPECT_EQ(client.read_byte(), '-');
    const auto first = client.exchange("?");
    ASSERT_TRUE(first);
    client.send_raw("-");  // "that reply was garbled"
    EXPECT_EQ(client.read_packet(), first);
}

TEST_F(GdbServerTest, NoAckModeStopsTheAcks) {
    RspClient client(server.address().port);
    ASSERT_EQ(client.exchange("QStartNoAckMode"), "OK");
    client.acks = false;
    client.send_packet("?");
    EXPECT_EQ(client.read_byte(), '$');  // straight to the reply, no '+'
}

TEST_F(GdbServerTest, DetachResumesWithoutBreakpointsAndClosesThenAcceptsAgain) {
    {
        RspClient client(server.address().port);
        ASSERT_EQ(client.exchange("Z0,1000,1"), "OK");
        EXPECT_EQ(client.exchange("D"), "OK");
        EXPECT_TRUE(client.closed());
    }
    const auto resumes = target.resumes_so_far();
    ASSERT_EQ(resumes.size(), 1u);
    EXPECT_FALSE(resumes[0].registers.any_enabled());

    RspClient again(server.address().port);
    EXPECT_EQ(again.exchange("qC"), "QC1");
}

TEST_F(GdbServerTest, AClientThatVanishesWhileRunningLeavesTheVmRunningWithoutBreakpoints) {
    {
        RspClient client(server.address().port);
        ASSERT_EQ(client.exchange("Z0,1000,1"), "OK");
        client.send_packet("c");
        EXPECT_EQ(client.read_byte(), '+');
        ASSERT_TRUE(eventually([&] { return target.resumes_so_far().size() == 1; }));
    }  // closed without D
    // The server stops the VM (an interrupt) and resumes it without the breakpoint.
    ASSERT_TRUE(eventually([&] { return target.resumes_so_far().size() == 2; }));
    EXPECT_FALSE(target.resumes_so_far()[1].registers.any_enabled());
    EXPECT_EQ(target.interrupts, 2);
}

TEST_F(GdbServerTest, TheVmEndingWhileRunningIsReportedAsAnExit) {
    RspClient client(server.address().port);
    ASSERT_TRUE(client.exchange("?"));
    client.send_packet("c");
    EXPECT_EQ(client.read_byte(), '+');
    ASSERT_TRUE(eventually([&] { return target.resumes_so_far().size() == 1; }));
    target.end_vm();
    EXPECT_EQ(client.read_packet(), "W00");
    EXPECT_TRUE(client.closed());
}

TEST_F(GdbServerTest, KillEndsTheVmAndTheConnection) {
    RspClient client(server.address().port);
    ASSERT_TRUE(client.exchange("?"));
    client.send_packet("k");
    EXPECT_TRUE(client.closed());
    EXPECT_EQ(target.kills, 1);
}

TEST(GdbServerSlowStop, PacketsSentBeforeTheVmHasStoppedAreAnsweredAfterwards) {
    FakeDebugTarget target;
    target.answer_interrupts = false;  // the VM takes its time to stop
    GdbServer server(ListenAddress{0x7f000001, 0}, target);
    server.start();
    RspClient client(server.address().port);
    client.send_packet("?");
    EXPECT_EQ(client.read_byte(), '+');
    EXPECT_FALSE(client.read_packet(200));  // held back: the VM is not stopped yet
    EXPECT_EQ(target.interrupts, 1);
    target.push_stop({1, StopCause::kInterrupt, -1});
    EXPECT_EQ(client.read_packet(), "T05thread:2;");
}

}  // namespace
}  // namespace berth::gdb
