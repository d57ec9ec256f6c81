#include "vmm/gdb/kvm_register_conversion.h"

#include <gtest/gtest.h>

#include <cstring>

namespace berth::gdb {
namespace {

KvmRegisterState sample_state() {
    KvmRegisterState state;
    state.regs.rax = 0x1111;
    state.regs.rsp = 0x7ff0;
    state.regs.r15 = 0xf15;
    state.regs.rip = 0xffffffff81000000;
    state.regs.rflags = 0x246;
    state.sregs.cs.selector = 0x10;
    state.sregs.gs.selector = 0x18;
    state.sregs.fs.base = 0xf5;
    state.sregs.gs.base = 0x65;
    state.sregs.cr0 = 0x80050033;
    state.sregs.cr3 = 0x9000;
    state.sregs.efer = 0x500;
    state.kernel_gs_base = 0xabcd;
    state.fpu.fcw = 0x37f;
    state.fpu.mxcsr = 0x1f80;
    state.fpu.last_ip = 0x1234567887654321;
    state.fpu.xmm[3][0] = 0x33;
    state.fpu.xmm[3][15] = 0x3f;
    return state;
}

TEST(GdbKvmRegisterConversion, PutsEachKvmFieldAtItsGdbRegister) {
    const RegisterFile file = to_register_file(sample_state());
    EXPECT_EQ(file.get(Reg::kRax), 0x1111u);
    EXPECT_EQ(file.get(Reg::kRsp), 0x7ff0u);
    EXPECT_EQ(file.get(Reg::kR15), 0xf15u);
    EXPECT_EQ(file.get(Reg::kRip), 0xffffffff81000000u);
    EXPECT_EQ(file.get(Reg::kEflags), 0x246u);
    EXPECT_EQ(file.get(Reg::kCs), 0x10u);
    EXPECT_EQ(file.get(Reg::kGs), 0x18u);
    EXPECT_EQ(file.get(Reg::kFsBase), 0xf5u);
    EXPECT_EQ(file.get(Reg::kGsBase), 0x65u);
    EXPECT_EQ(file.get(Reg::kKernelGsBase), 0xabcdu);
    EXPECT_EQ(file.get(Reg::kCr0), 0x80050033u);
    EXPECT_EQ(file.get(Reg::kCr3), 0x9000u);
    EXPECT_EQ(file.get(Reg::kEfer), 0x500u);
    EXPECT_EQ(file.get(Reg::kFctrl), 0x37fu);
    EXPECT_EQ(file.get(Reg::kMxcsr), 0x1f80u);
    EXPECT_EQ(file.get(Reg::kFioff), 0x87654321u);
    EXPECT_EQ(file.get(Reg::kFiseg), 0x12345678u);
    EXPECT_EQ(file.get(Reg::kFtag), 0xffffu);  // all eight x87 registers empty
    EXPECT_EQ(file.bytes(Reg::kXmm3)[0], 0x33);
    EXPECT_EQ(file.bytes(Reg::kXmm3)[15], 0x3f);
}

TEST(GdbKvmRegisterConversion, WritingBackAnUnchangedFileChangesNothing) {
    const KvmRegisterState before = sample_state();
    KvmRegisterState after = before;
    apply_register_file(to_register_file(before), after);
    EXPECT_EQ(std::memcmp(&after.regs, &before.regs, sizeof(kvm_regs)), 0);
    EXPECT_EQ(std::memcmp(&after.sregs, &before.sregs, sizeof(kvm_sregs)), 0);
    EXPECT_EQ(std::memcmp(&after.fpu, &before.fpu, sizeof(kvm_fpu)), 0);
    EXPECT_EQ(after.kernel_gs_base, before.kernel_gs_base);
}

TEST(GdbKvmRegisterConversion, ARealModeSelectorMovesTheSegmentBase) {
    KvmRegisterState state;  // cr0.PE clear: real mode
    RegisterFile file = to_register_file(state);
    file.set(Reg::kDs, 0x07c0);
    apply_register_file(file, state);
    EXPECT_EQ(state.sregs.ds.selector, 0x07c0);
    EXPECT_EQ(state.sregs.ds.base, 0x7c00u);

    KvmRegisterState protected_mode = sample_state();
    protected_mode.sregs.ds.base = 0x5000;
    file = to_register_file(protected_mode);
    file.set(Reg::kDs, 0x20);
    apply_register_file(file, protected_mode);
    EXPECT_EQ(protected_mode.sregs.ds.selector, 0x20);
    EXPECT_EQ(protected_mode.sregs.ds.base, 0x5000u);  // the descriptor cache is not reloaded
}

TEST(GdbKvmRegisterConversion, X87TagsFollowThePhysicalRegisters) {
    kvm_fpu fpu{};
    fpu.fsw = 7 << 11;  // TOP = 7: st0 is physical register 7
    fpu.ftwx = 0x80;    // only physical register 7 in use
    // st0 = 1.0: exponent 0x3fff, integer bit set.
    fpu.fpr[0][7] = 0x80;
    fpu.fpr[0][8] = 0xff;
    fpu.fpr[0][9] = 0x3f;
    EXPECT_EQ(full_x87_tag_word(fpu), 0x3fff);  // register 7 valid (00), the rest empty (11)
    fpu.fpr[0][7] = 0;
    fpu.fpr[0][8] = 0;
    fpu.fpr[0][9] = 0;
    EXPECT_EQ(full_x87_tag_word(fpu), 0x7fff);  // a zero (01)
    EXPECT_EQ(abridged_x87_tag_word(0x7fff), 0x80);
    EXPECT_EQ(abridged_x87_tag_word(0xffff), 0x00);
}

}  // namespace
}  // namespace berth::gdb
