#include "vmm/gdb/kvm_register_conversion.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace berth::gdb {
namespace {

constexpr uint64_t kCr0ProtectionEnable = 1;
constexpr size_t kX87RegisterBytes = 10;  // 80-bit extended precision

// kvm_regs in gdb's order (rax rbx rcx rdx rsi rdi rbp rsp r8..r15).
std::array<__u64 kvm_regs::*, 16> general_registers() {
    return {&kvm_regs::rax, &kvm_regs::rbx, &kvm_regs::rcx, &kvm_regs::rdx,
            &kvm_regs::rsi, &kvm_regs::rdi, &kvm_regs::rbp, &kvm_regs::rsp,
            &kvm_regs::r8,  &kvm_regs::r9,  &kvm_regs::r10, &kvm_regs::r11,
            &kvm_regs::r12, &kvm_regs::r13, &kvm_regs::r14, &kvm_regs::r15};
}

// cs ss ds es fs gs, gdb's order.
std::array<kvm_segment kvm_sregs::*, 6> segment_registers() {
    return {&kvm_sregs::cs, &kvm_sregs::ss, &kvm_sregs::ds,
            &kvm_sregs::es, &kvm_sregs::fs, &kvm_sregs::gs};
}

Reg nth(Reg first, size_t n) {
    return static_cast<Reg>(index_of(first) + n);
}

// i387_tag() in gdb: what an 80-bit value is, for the full tag word.
uint16_t classify_x87(const uint8_t* value) {
    const uint16_t exponent = static_cast<uint16_t>((value[9] & 0x7f) << 8 | value[8]);
    const bool integer_bit = (value[7] & 0x80) != 0;
    uint64_t fraction = 0;
    std::memcpy(&fraction, value, sizeof(fraction));
    fraction &= ~(uint64_t{1} << 63);
    if (exponent == 0x7fff) {
        return 2;  // special: infinity or NaN
    }
    if (exponent == 0) {
        return fraction == 0 && !integer_bit ? 1 : 2;  // zero, or denormal (special)
    }
    return integer_bit ? 0 : 2;  // valid, or unnormal (special)
}

}  // namespace

uint16_t full_x87_tag_word(const kvm_fpu& fpu) {
    // The abridged bits are by physical register; fpr[] is by stack
    // position, which starts at TOP (FSW bits 11-13).
    const unsigned top = (fpu.fsw >> 11) & 7;
    uint16_t tags = 0;
    for (unsigned physical = 0; physical < 8; ++physical) {
        uint16_t tag = 3;  // empty
        if ((fpu.ftwx & (1u << physical)) != 0) {
            tag = classify_x87(fpu.fpr[(physical + 8 - top) % 8]);
        }
        tags = static_cast<uint16_t>(tags | tag << (2 * physical));
    }
    return tags;
}

uint8_t abridged_x87_tag_word(uint16_t full_tag_word) {
    uint8_t abridged = 0;
    for (unsigned physical = 0; physical < 8; ++physical) {
        if (((full_tag_word >> (2 * physical)) & 3) != 3) {
            abridged = static_cast<uint8_t>(abridged | 1u << physical);
        }
    }
    return abridged;
}

RegisterFile to_register_file(const KvmRegisterState& state) {
    RegisterFile file;
    const auto general = general_registers();
    for (size_t i = 0; i < general.size(); ++i) {
        file.set(nth(Reg::kRax, i), state.regs.*general[i]);
    }
    file.set(Reg::kRip, state.regs.rip);
    file.set(Reg::kEflags, state.regs.rflags);
    const auto segments = segment_registers();
    for (size_t i = 0; i < segments.size(); ++i) {
        file.set(nth(Reg::kCs, i), (state.sregs.*segments[i]).selector);
    }

    const kvm_fpu& fpu = state.fpu;
    for (size_t i = 0; i < 8; ++i) {
        std::copy_n(fpu.fpr[i], kX87RegisterBytes, file.bytes(nth(Reg::kSt0, i)).begin());
    }
    file.set(Reg::kFctrl, fpu.fcw);
    file.set(Reg::kFstat, fpu.fsw);
    file.set(Reg::kFtag, full_x87_tag_word(fpu));
    // 64-bit FXSAVE has no code/data selectors: gdb's amd64 code shows the
    // high halves of the 64-bit pointers in fiseg/foseg instead.
    file.set(Reg::kFiseg, fpu.last_ip >> 32);
    file.set(Reg::kFioff, fpu.last_ip);
    file.set(Reg::kFoseg, fpu.last_dp >> 32);
    file.set(Reg::kFooff, fpu.last_dp);
    file.set(Reg::kFop, fpu.last_opcode);
    for (size_t i = 0; i < 16; ++i) {
        std::copy_n(fpu.xmm[i], 16, file.bytes(nth(Reg::kXmm0, i)).begin());
    }
    file.set(Reg::kMxcsr, fpu.mxcsr);

    file.set(Reg::kFsBase, state.sregs.fs.base);
    file.set(Reg::kGsBase, state.sregs.gs.base);
    file.set(Reg::kKernelGsBase, state.kernel_gs_base);
    file.set(Reg::kCr0, state.sregs.cr0);
    file.set(Reg::kCr2, state.sregs.cr2);
    file.set(Reg::kCr3, state.sregs.cr3);
    file.set(Reg::kCr4, state.sregs.cr4);
    file.set(Reg::kCr8, state.sregs.cr8);
    file.set(Reg::kEfer, state.sregs.efer);
    return file;
}

void apply_register_file(const RegisterFile& file, KvmRegisterState& state) {
    const auto general = general_registers();
    for (size_t i = 0; i < general.size(); ++i) {
        state.regs.*general[i] = file.get(nth(Reg::kRax, i));
    }
    state.regs.rip = file.get(Reg::kRip);
    // gdb's eflags is 32 bits; the upper half of RFLAGS is reserved (zero).
    state.regs.rflags = file.get(Reg::kEflags);

    state.sregs.cr0 = file.get(Reg::kCr0);
    state.sregs.cr2 = file.get(Reg::kCr2);
    state.sregs.cr3 = file.get(Reg::kCr3);
    state.sregs.cr4 = file.get(Reg::kCr4);
    state.sregs.cr8 = file.get(Reg::kCr8);
    state.sregs.efer = file.get(Reg::kEfer);
    state.sregs.fs.base = file.get(Reg::kFsBase);
    state.sregs.gs.base = file.get(Reg::kGsBase);
    const bool real_mode = (state.sregs.cr0 & kCr0ProtectionEnable) == 0;
    const auto segments = segment_registers();
    for (size_t i = 0; i < segments.size(); ++i) {
        kvm_segment& segment = state.sregs.*segments[i];
        const auto selector = static_cast<uint16_t>(file.get(nth(Reg::kCs, i)));
        if (selector != segment.selector) {
            segment.selector = selector;
            if (real_mode) {
                segment.base = uint64_t{selector} << 4;
            }
        }
    }
    state.kernel_gs_base = file.get(Reg::kKernelGsBase);

    kvm_fpu& fpu = state.fpu;
    for (size_t i = 0; i < 8; ++i) {
        const auto value = file.bytes(nth(Reg::kSt0, i));
        std::copy(value.begin(), value.end(), fpu.fpr[i]);
    }
    fpu.fcw = static_cast<uint16_t>(file.get(Reg::kFctrl));
    fpu.fsw = static_cast<uint16_t>(file.get(Reg::kFstat));
    fpu.ftwx = abridged_x87_tag_word(static_cast<uint16_t>(file.get(Reg::kFtag)));
    fpu.last_ip = file.get(Reg::kFiseg) << 32 | file.get(Reg::kFioff);
    fpu.last_dp = file.get(Reg::kFoseg) << 32 | file.get(Reg::kFooff);
    fpu.last_opcode = static_cast<uint16_t>(file.get(Reg::kFop));
    for (size_t i = 0; i < 16; ++i) {
        const auto value = file.bytes(nth(Reg::kXmm0, i));
        std::copy(value.begin(), value.end(), fpu.xmm[i]);
    }
    fpu.mxcsr = static_cast<uint32_t>(file.get(Reg::kMxcsr));
}

}  // namespace berth::gdb
