// The CPU state a lab guest starts in (docs/lab-machine.md): a flat binary
// entered in real mode, in 32-bit protected mode without paging, or in 64-bit
// long mode on an identity map of 4 GiB. Pure functions over guest memory
// and KVM's register structs, like cpu_setup.h, so the vCPU code only passes
// the results to KVM_SET_REGS / KVM_SET_SREGS.
#pragma once

#include <linux/kvm.h>

#include <array>
#include <cstdint>
#include <string_view>

#include "vmm/boot/cpu_setup.h"
#include "vmm/memory/guest_memory.h"

namespace berth::boot {

enum class CpuMode { kReal, kProtected, kLong };

// The words `--mode` takes, in CpuMode's order.
inline constexpr std::array<std::string_view, 3> kCpuModeNames = {"real", "protected", "long"};

// "real", "protected" or "long"; anything else is a UserError naming the three.
CpuMode parse_cpu_mode(std::string_view text);
std::string_view cpu_mode_name(CpuMode mode);

// The lab GDT's selectors. Protected mode runs on 0x08 and 0x10; long mode on
// 0x18 and 0x10. Both find all three, so a guest may switch between them.
inline constexpr uint16_t kLabCode32Selector = 0x08;
inline constexpr uint16_t kLabDataSelector = 0x10;
inline constexpr uint16_t kLabCode64Selector = 0x18;
inline constexpr uint16_t kLabTssSelector = 0x20;  // a 16-byte system descriptor

// 32-bit code: present, DPL 0, execute/read, accessed; D = 1, G = 1, 4 GiB.
inline constexpr uint64_t kLabCode32Descriptor = gdt_entry(0xc09b, 0, 0xfffff);
static_assert(kLabCode32Descriptor == 0x00cf9b000000ffff);

// Flat data and 64-bit code are the Linux boot GDT's descriptors; so is the
// busy TSS, which VM entry needs in TR in protected mode (type 11: busy
// 32-bit TSS) as well as in long mode (type 11: busy 64-bit TSS).
inline constexpr std::array<uint64_t, 6> kLabGdt = {
    0, kLabCode32Descriptor, kBootDataDescriptor, kBootCodeDescriptor, kBootTssDescriptor, 0};

// Writes what `mode` needs below 1 MiB: nothing for real mode (the guest
// owns all low memory); the lab GDT at layout::kGdtStart and the empty IDT at
// layout::kIdtStart for protected mode; those and the identity page tables
// at layout::kPml4Start (cpu_setup's, the first 4 GiB in 2 MiB pages) for long
// mode. Throws UserError when guest memory has no room for them.
void write_cpu_mode_tables(const GuestMemory& memory, CpuMode mode);

// Sets `sregs` (as KVM_GET_SREGS returned them) for `mode`: segment
// registers, TR, GDTR, IDTR, CR0, CR3, CR4 and EFER. Leaves LDTR, CR2, CR8,
// the APIC base and the interrupt bitmap as they were.
//   real:      CS = DS = ES = FS = GS = SS = 0 (base 0, limit 0xffff), CR0 at
//              its reset value 0x60000010, IDTR = the real-mode IVT at 0.
//   protected: CS = 0x08, the others 0x10 (flat 4 GiB), CR0 = PE | ET | NE.
//   long:      CS = 0x18 (64-bit), the others 0x10, CR0 = PE | ET | NE | PG,
//              CR3 = the PML4, CR4 = PAE, EFER = LME | LMA.
void set_cpu_mode_sregs(kvm_sregs& sregs, CpuMode mode);

// General registers at `entry`: RIP = entry (IP, with CS = 0, in real mode),
// the stack at 0x7c00 in real mode and layout::kBootStackPointer otherwise,
// RFLAGS = 0x2 (interrupts off), everything else 0. A real-mode entry must be
// below 64 KiB (place_flat_image checks it); std::invalid_argument otherwise.
kvm_regs cpu_mode_regs(CpuMode mode, GuestAddress entry);

}  // namespace berth::boot
