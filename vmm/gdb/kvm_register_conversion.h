// Between KVM's register structs and gdb's register file: where each of the
// 66 registers gdb knows lives in kvm_regs, kvm_sregs, kvm_fpu or an MSR.
// Pure functions, so the mapping is tested without /dev/kvm.
#pragma once

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/gdb/register_file.h"

namespace berth::gdb {

inline constexpr uint32_t kMsrKernelGsBase = 0xc0000102;

struct KvmRegisterState {
    kvm_regs regs{};
    kvm_sregs sregs{};
    kvm_fpu fpu{};
    uint64_t kernel_gs_base = 0;
};

RegisterFile to_register_file(const KvmRegisterState& state);

// Writes what gdb changed into `state`. A segment selector changed in real
// mode also moves the segment's base to selector * 16, as loading it would;
// in protected mode only the selector changes (the descriptor cache stays).
void apply_register_file(const RegisterFile& registers, KvmRegisterState& state);

// The x87 tag word: KVM (like FXSAVE) keeps one "not empty" bit per register,
// gdb shows the full two-bit tags (valid, zero, special, empty).
uint16_t full_x87_tag_word(const kvm_fpu& fpu);
uint8_t abridged_x87_tag_word(uint16_t full_tag_word);

}  // namespace berth::gdb
