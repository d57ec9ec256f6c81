#include "vmm/gdb/command_handler.h"

#include <gtest/gtest.h>

#include "tests/unit/gdb/fake_debug_target.h"
#include "vmm/gdb/hex.h"
#include "vmm/gdb/packet_framing.h"
#include "vmm/gdb/target_description.h"

namespace berth::gdb {
namespace {

using testing::FakeDebugTarget;
using Then = HandlerReply::Then;

class GdbCommandHandler : public ::testing::Test {
protected:
    GdbCommandHandler() : handler(target) { handler.on_stop({0, StopCause::kAttach, -1}); }

    std::string reply(std::string_view packet) {
        const HandlerReply result = handler.handle(packet);
        EXPECT_EQ(result.then, Then::kSend) << packet;
        return result.payload;
    }

    FakeDebugTarget target;
    CommandHandler handler;
};

TEST_F(GdbCommandHandler, UnknownPacketsGetTheEmptyReply) {
    EXPECT_EQ(reply("vMustReplyEmpty"), "");
    EXPECT_EQ(reply("qTStatus"), "");
    EXPECT_EQ(reply("!"), "");
    EXPECT_EQ(reply(""), "");
}

TEST_F(GdbCommandHandler, SupportedFeaturesNamePacketSizeAndTheTargetDescription) {
    EXPECT_EQ(reply("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386"),
              "PacketSize=1000;qXfer:features:read+;QStartNoAckMode+");
    const HandlerReply no_ack = handler.handle("QStartNoAckMode");
    EXPECT_EQ(no_ack.payload, "OK");
    EXPECT_TRUE(no_ack.stop_acks);
}

TEST_F(GdbCommandHandler, TargetXmlComesInPiecesUntilTheLastOne) {
    const std::string& xml = target_description_xml(TargetArchitecture::kAmd64);
    std::string assembled;
    for (size_t offset = 0;;) {
        const std::string piece =
            reply("qXfer:features:read:target.xml:" + hex_number(offset) + ",200");
        ASSERT_FALSE(piece.empty());
        ASSERT_TRUE(piece[0] == 'm' || piece[0] == 'l') << piece;
        const auto data = unescape_binary(std::string_view(piece).substr(1));
        ASSERT_TRUE(data);
        assembled += *data;
        offset += data->size();
        if (piece[0] == 'l') {
            break;
        }
        ASSERT_EQ(data->size(), 0x200u);
    }
    EXPECT_EQ(assembled, xml);
    EXPECT_EQ(reply("qXfer:features:read:target.xml:" + hex_number(xml.size()) + ",100"), "l");
    EXPECT_EQ(reply("qXfer:features:read:other.xml:0,100"), "E00");
    EXPECT_EQ(reply("qXfer:features:read:target.xml:zz,100"), "E01");
}

TEST_F(GdbCommandHandler, GReplyIsTheRegisterFileByteForByte) {
    RegisterFile& registers = target.registers[0];
    registers.set(Reg::kRax, 0x0102030405060708);
    registers.set(Reg::kRip, 0xffffffff81000000);
    registers.set(Reg::kEflags, 0x246);
    registers.set(Reg::kCs, 0x10);
    registers.set(Reg::kEfer, 0xd01);
    const std::string g = reply("g");
    ASSERT_EQ(g.size(), 608u * 2);
    EXPECT_EQ(g.substr(0, 16), "0807060504030201");          // rax, little-endian
    EXPECT_EQ(g.substr(16 * 16, 16), "00000081ffffffff");    // rip at byte 128
    EXPECT_EQ(g.substr(17 * 16, 8), "46020000");             // eflags: 4 bytes
    EXPECT_EQ(g.substr(17 * 16 + 8, 8), "10000000");         // cs: 4 bytes
    EXPECT_EQ(g.substr(g.size() - 16), "010d000000000000");  // efer, the last register
}

TEST_F(GdbCommandHandler, GWritesAllRegistersAndChecksTheLength) {
    RegisterFile wanted;
    wanted.set(Reg::kEfer, FakeDebugTarget::kLongMode);
    wanted.set(Reg::kRbx, 0xbbbb);
    wanted.set(Reg::kRip, 0x7c00);
    EXPECT_EQ(reply("G" + to_hex(wanted.bytes())), "OK");
    EXPECT_EQ(target.registers[0], wanted);
    EXPECT_EQ(reply("G00"), "E01");
    EXPECT_EQ(reply("G" + to_hex(wanted.bytes()) + "00"), "E01");
    EXPECT_EQ(reply("G" + std::string(608 * 2, 'x')), "E01");
}

TEST_F(GdbCommandHandler, POneRegisterByNumber) {
    target.registers[0].set(Reg::kRip, 0x1234);
    EXPECT_EQ(reply("p10"), "3412000000000000");  // register 0x10 is rip
    EXPECT_EQ(reply("p11"), "00000000");          // eflags, 4 bytes
    EXPECT_EQ(reply("p18").size(), 20u);          // st0: 10 bytes
    EXPECT_EQ(reply("p42"), "E01");               // 66: past the last register
    EXPECT_EQ(reply("p"), "E01");
    EXPECT_EQ(reply("P10=7856341200000000"), "OK");
    EXPECT_EQ(target.registers[0].get(Reg::kRip), 0x12345678u);
    EXPECT_EQ(reply("P10=7856"), "E01");  // wrong size for rip
    EXPECT_EQ(reply("P10"), "E01");
    EXPECT_EQ(reply("P42=00"), "E01");
}

TEST_F(GdbCommandHandler, HgSelectsTheVcpuForRegisters) {
    target.registers[1].set(Reg::kRax, 0xaa);
    EXPECT_EQ(reply("Hg2"), "OK");  // thread 2 is vCPU 1
    EXPECT_EQ(reply("p0"), "aa00000000000000");
    EXPECT_EQ(reply("Hg0"), "OK");  // any: back to the stopped vCPU
    EXPECT_EQ(reply("p0"), "0000000000000000");
    EXPECT_EQ(reply("Hg3"), "E01");  // only two vCPUs
    EXPECT_EQ(reply("Hgzz"), "E01");
    EXPECT_EQ(reply("Hx1"), "E01");
    EXPECT_EQ(reply("Hc-1"), "OK");
}

TEST_F(GdbCommandHandler, ThreadListAndCurrentThread) {
    EXPECT_EQ(reply("qfThreadInfo"), "m1,2");
    EXPECT_EQ(reply("qsThreadInfo"), "l");
    EXPECT_EQ(reply("qC"), "QC1");
    EXPECT_EQ(reply("qAttached"), "1");
    EXPECT_EQ(reply("qAttached:1"), "1");
    EXPECT_EQ(reply("T1"), "OK");
    EXPECT_EQ(reply("T2"), "OK");
    EXPECT_EQ(reply("T3"), "E01");
    EXPECT_EQ(reply("T0"), "E01");
    EXPECT_EQ(reply("qThreadExtraInfo,2"), text_to_hex("vCPU 1"));
}

TEST_F(GdbCommandHandler, ReadsMemoryAndStopsAtItsEnd) {
    EXPECT_EQ(reply("m1000,4"), "00010203");
    EXPECT_EQ(reply("m1010,2"), "1011");
    // Running off the end returns what could be read; nothing readable is an error.
    EXPECT_EQ(reply("m2ffe,4"), "feff");
    EXPECT_EQ(reply("m3000,4"), "E0E");
    EXPECT_EQ(reply("m0,4"), "E0E");
    EXPECT_EQ(reply("m1000,0"), "");
    EXPECT_EQ(reply("m1000"), "E01");
    EXPECT_EQ(reply("mzz,4"), "E01");
    // A huge length is capped so that the reply fits PacketSize; gdb asks for the rest.
    const std::string capped = reply("m1000,ffffffffffffffff");
    EXPECT_GT(capped.size(), 2000u);
    EXPECT_LE(capped.size(), kMaxPacketSize);
}

TEST_F(GdbCommandHandler, WritesMemoryAsHexOrBinary) {
    EXPECT_EQ(reply("M1000,2:abcd"), "OK");
    EXPECT_EQ(target.memory[0], 0xab);
    EXPECT_EQ(target.memory[1], 0xcd);
    EXPECT_EQ(reply("M1000,2:ab"), "E01");  // shorter than its length
    EXPECT_EQ(reply("M1000,1:zz"), "E01");
    EXPECT_EQ(reply("M5000,1:00"), "E0E");
    EXPECT_EQ(reply("X1000,0:"), "OK");  // gdb's probe
    EXPECT_EQ(reply("X1004,3:" + escape_binary("#$}")), "OK");
    EXPECT_EQ(target.memory[4], '#');
    EXPECT_EQ(target.memory[5], '$');
    EXPECT_EQ(target.memory[6], '}');
    EXPECT_EQ(reply("X1000,2:}"), "E01");
    EXPECT_EQ(reply("X1000,1:ab"), "E01");
}

TEST_F(GdbCommandHandler, BreakpointsUseFourDebugRegistersThenAnswerAnError) {
    EXPECT_EQ(reply("Z0,1000,1"), "OK");
    EXPECT_EQ(reply("Z1,1001,1"), "OK");
    EXPECT_EQ(reply("Z2,2000,4"), "OK");
    EXPECT_EQ(reply("Z4,3000,8"), "OK");
    EXPECT_EQ(reply("Z0,1002,1"), "E1C");  // full
    EXPECT_EQ(reply("Z0,1000,1"), "OK");   // already there: no slot needed
    EXPECT_EQ(reply("Z3,2000,4"), "");     // read watchpoints: x86 has none
    EXPECT_EQ(reply("Z2,2002,4"), "E01");  // misaligned
    EXPECT_EQ(reply("Z0,zz,1"), "E01");
    EXPECT_EQ(reply("Z0,1000"), "E01");
    EXPECT_EQ(reply("z0,1000,1"), "OK");
    EXPECT_EQ(reply("Z0,1002,1;X2,1111"), "OK");  // conditions are ignored

    ASSERT_EQ(handler.handle("c").then, Then::kWaitForStop);
    ASSERT_EQ(target.resumes.size(), 1u);
    const DebugRegisters& registers = target.resumes[0].registers;
    EXPECT_EQ(registers.address[0], 0x1002u);
    EXPECT_EQ(registers.address[1], 0x1001u);
    EXPECT_EQ(registers.address[2], 0x2000u);
    EXPECT_EQ(registers.address[3], 0x3000u);
    EXPECT_EQ(registers.dr7 & 0xff, 0xaau);
    EXPECT_FALSE(target.resumes[0].step_vcpu);
}

TEST_F(GdbCommandHandler, StepGoesToTheSelectedOrStoppedVcpu) {
    ASSERT_EQ(handler.handle("s").then, Then::kWaitForStop);
    EXPECT_EQ(target.resumes.back().step_vcpu, 0u);
    EXPECT_EQ(reply("Hc2"), "OK");
    ASSERT_EQ(handler.handle("s").then, Then::kWaitForStop);
    EXPECT_EQ(target.resumes.back().step_vcpu, 1u);
    ASSERT_EQ(handler.handle("S05").then, Then::kWaitForStop);
    EXPECT_EQ(target.resumes.back().step_vcpu, 1u);
    EXPECT_EQ(reply("Sxx"), "E01");
}

TEST_F(GdbCommandHandler, ContinueAtAnAddressMovesRipFirst) {
    ASSERT_EQ(handler.handle("c7c00").then, Then::kWaitForStop);
    EXPECT_EQ(target.registers[0].get(Reg::kRip), 0x7c00u);
    ASSERT_EQ(handler.handle("C02;8000").then, Then::kWaitForStop);
    EXPECT_EQ(target.registers[0].get(Reg::kRip), 0x8000u);
    EXPECT_EQ(reply("cxyz"), "E01");
}

TEST_F(GdbCommandHandler, VContStepsOneVcpuOrContinuesAll) {
    EXPECT_EQ(reply("vCont?"), "vCont;c;C;s;S");
    ASSERT_EQ(handler.handle("vCont;s:2;c").then, Then::kWaitForStop);
    EXPECT_EQ(target.resumes.back().step_vcpu, 1u);
    ASSERT_EQ(handler.handle("vCont;c").then, Then::kWaitForStop);
    EXPECT_FALSE(target.resumes.back().step_vcpu);
    ASSERT_EQ(handler.handle("vCont;S05:1").then, Then::kWaitForStop);
    EXPECT_EQ(target.resumes.back().step_vcpu, 0u);
    const size_t resumes = target.resumes.size();
    EXPECT_EQ(reply("vCont;s:9"), "E01");
    EXPECT_EQ(reply("vCont;t"), "E01");
    EXPECT_EQ(reply("vCont;"), "E01");
    EXPECT_EQ(reply("vCont;cc"), "E01");
    EXPECT_EQ(target.resumes.size(), resumes);  // a malformed vCont resumes nothing
}

TEST_F(GdbCommandHandler, StopRepliesNameSignalAndThread) {
    EXPECT_EQ(reply("?"), "T05thread:1;");
    handler.on_stop({1, StopCause::kSingleStep, -1});
    EXPECT_EQ(reply("?"), "T05thread:2;");
    EXPECT_EQ(reply("qC"), "QC2");
    EXPECT_EQ(reply("p0"), "0000000000000000");  // registers now come from vCPU 1
    handler.on_stop({0, StopCause::kInterrupt, -1});
    EXPECT_EQ(handler.stop_reply(), "T02thread:1;");
    handler.on_stop({0, StopCause::kBreakpoint, 0});
    EXPECT_EQ(handler.stop_reply(), "T05thread:1;");
}

TEST_F(GdbCommandHandler, AWatchpointStopNamesItsAddress) {
    EXPECT_EQ(reply("Z2,2000,4"), "OK");
    EXPECT_EQ(reply("Z4,3000,8"), "OK");
    handler.on_stop({0, StopCause::kBreakpoint, 0});
    EXPECT_EQ(handler.stop_reply(), "T05watch:2000;thread:1;");
    handler.on_stop({0, StopCause::kBreakpoint, 1});
    EXPECT_EQ(handler.stop_reply(), "T05awatch:3000;thread:1;");
}

TEST_F(GdbCommandHandler, DetachClearsBreakpointsAndResumes) {
    EXPECT_EQ(reply("Z0,1000,1"), "OK");
    const HandlerReply detach = handler.handle("D");
    EXPECT_EQ(detach.then, Then::kSendAndClose);
    EXPECT_EQ(detach.payload, "OK");
    ASSERT_EQ(target.resumes.size(), 1u);
    EXPECT_FALSE(target.resumes[0].registers.any_enabled());
    EXPECT_FALSE(target.resumes[0].step_vcpu);
}

TEST(GdbCommandHandlerI386, AGuestOutsideLongModeGetsThe32BitLayout) {
    FakeDebugTarget target;
    RegisterFile& registers = target.registers[0];
    registers.set(Reg::kEfer, 0);
    registers.set(Reg::kCr0, 0x11);  // protected mode
    registers.set(Reg::kRax, 0xaaaaaaaa11223344);
    registers.set(Reg::kRcx, 0xc);
    registers.set(Reg::kRip, 0x7c00);
    registers.set(Reg::kCs, 0x8);
    CommandHandler handler(target);
    handler.on_stop({0, StopCause::kAttach, -1});
    EXPECT_EQ(handler.architecture(), TargetArchitecture::kI386);

    const std::string g = handler.handle("g").payload;
    ASSERT_EQ(g.size(), packet_layout(TargetArchitecture::kI386).size() * 2);
    EXPECT_EQ(g.substr(0, 8), "44332211");   // eax: the low half of rax
    EXPECT_EQ(g.substr(8, 8), "0c000000");   // then ecx: gdb's i386 order
    EXPECT_EQ(g.substr(64, 8), "007c0000");  // eip at byte 32
    EXPECT_EQ(g.substr(80, 8), "08000000");  // cs at byte 40
    EXPECT_EQ(handler.handle("p8").payload, "007c0000");
    EXPECT_EQ(handler.handle("p8=00800000").payload, "E01");  // P, not p, writes
    EXPECT_EQ(handler.handle("P8=00800000").payload, "OK");
    EXPECT_EQ(target.registers[0].get(Reg::kRip), 0x8000u);
    EXPECT_EQ(handler.handle("P0=78563412").payload, "OK");
    EXPECT_EQ(target.registers[0].get(Reg::kRax), 0xaaaaaaaa12345678u);  // high half kept
    EXPECT_EQ(handler.handle("P0=7856341200000000").payload, "E01");     // 64 bits for eax

    const std::string xml = handler.handle("qXfer:features:read:target.xml:0,fff").payload;
    EXPECT_NE(xml.find("<architecture>i386</architecture>"), std::string::npos);
    EXPECT_NE(xml.find("<osabi>none</osabi>"), std::string::npos);
    // The architecture stays what gdb was told, even when the guest enters long mode.
    target.registers[0].set(Reg::kEfer, FakeDebugTarget::kLongMode);
    handler.on_stop({0, StopCause::kSingleStep, -1});
    EXPECT_EQ(handler.architecture(), TargetArchitecture::kI386);
}

TEST(GdbCommandHandlerI8086, RealModeIsDescribedAsI8086) {
    FakeDebugTarget target;
    target.registers[0].set(Reg::kEfer, 0);  // cr0.PE clear too: real mode
    CommandHandler handler(target);
    handler.on_stop({0, StopCause::kAttach, -1});
    EXPECT_EQ(handler.architecture(), TargetArchitecture::kI8086);
    EXPECT_EQ(handler.handle("g").payload.size(),
              packet_layout(TargetArchitecture::kI386).size() * 2);  // the i386 registers
    const std::string xml = handler.handle("qXfer:features:read:target.xml:0,fff").payload;
    EXPECT_NE(xml.find("<architecture>i8086</architecture>"), std::string::npos);
}

TEST_F(GdbCommandHandler, KillAsksBerthToStop) {
    EXPECT_EQ(handler.handle("k").then, Then::kClose);
    EXPECT_EQ(target.kills, 1);
}

}  // namespace
}  // namespace berth::gdb
