// The boot CPU's state at the kernel's 64-bit entry point
// (Documentation/arch/x86/boot.rst, "64-bit BOOT PROTOCOL": long mode with
// paging on, identity-mapped memory, a GDT with __BOOT_CS and __BOOT_DS
// descriptors, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, interrupts off, %rsi =
// the zero page). Pure functions over guest memory and KVM's register
// structs, so the vCPU code only has to pass the results to KVM_SET_*.
#pragma once

#include <linux/kvm.h>

#include <array>
#include <cstdint>

#include "vmm/boot/linux_loader.h"
#include "vmm/memory/guest_memory.h"

namespace berth::boot {

// EFER bits (AMD64 APM vol. 2 §3.1.7; Intel SDM vol. 3A §2.2.1). The
// kernel's names; they are not in the uapi headers.
inline constexpr uint64_t EFER_LME = 1ull << 8;   // long mode enable
inline constexpr uint64_t EFER_LMA = 1ull << 10;  // long mode active

// Page-table entry bits (Intel SDM vol. 3A §4.5, tables 4-14 to 4-18).
inline constexpr uint64_t kPagePresent = 1ull << 0;
inline constexpr uint64_t kPageWritable = 1ull << 1;
inline constexpr uint64_t kPageSize2M = 1ull << 7;  // PS: a PD entry maps 2 MiB directly

// A segment descriptor from its flags (access byte in bits 0-7, G/D/L/AVL
// in bits 12-15), base and 20-bit limit: Linux's GDT_ENTRY() (Intel SDM
// vol. 3A §3.4.5, figure 3-8).
constexpr uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit) {
    return ((uint64_t{base} & 0xff000000) << 32) | ((uint64_t{flags} & 0xf0ff) << 40) |
           ((uint64_t{limit} & 0x000f0000) << 32) | ((uint64_t{base} & 0x00ffffff) << 16) |
           (uint64_t{limit} & 0x0000ffff);
}

// Selectors (byte offsets into the GDT); the first two are boot.rst's.
inline constexpr uint16_t kBootCsSelector = 0x10;   // __BOOT_CS
inline constexpr uint16_t kBootDsSelector = 0x18;   // __BOOT_DS
inline constexpr uint16_t kBootTssSelector = 0x20;  // a 16-byte system descriptor

// 64-bit code: present, DPL 0, execute/read, accessed; L = 1, D = 0, G = 1.
inline constexpr uint64_t kBootCodeDescriptor = gdt_entry(0xa09b, 0, 0xfffff);
// Data: present, DPL 0, read/write, accessed; D/B = 1, G = 1, 4 GiB.
inline constexpr uint64_t kBootDataDescriptor = gdt_entry(0xc093, 0, 0xfffff);
// A busy 64-bit TSS (type 0xb) of the minimum 104 bytes at address 0. The
// guest never uses it (Linux loads its own GDT and TSS at once), but VM entry
// on Intel needs TR to hold a usable busy TSS when the guest is in long mode.
inline constexpr uint64_t kBootTssDescriptor = gdt_entry(0x008b, 0, 0x67);
static_assert(kBootCodeDescriptor == 0x00af9b000000ffff);
static_assert(kBootDataDescriptor == 0x00cf93000000ffff);

// The whole boot GDT; a long-mode TSS descriptor takes two slots, the second
// holding base bits 63:32 (0 here).
inline constexpr std::array<uint64_t, 6> kBootGdt = {
    0, 0, kBootCodeDescriptor, kBootDataDescriptor, kBootTssDescriptor, 0};
// The IDT holds one 16-byte gate that is not present: any interrupt or
// exception before Linux installs its own IDT ends in a triple fault, which
// KVM reports as a shutdown, instead of a jump to a random address.
inline constexpr uint64_t kBootIdtSize = 16;

// Writes kBootGdt at layout::kGdtStart and the empty IDT at layout::kIdtStart.
void write_boot_gdt(const GuestMemory& memory);

// Identity-maps the first 4 GiB with 2 MiB pages: the PML4 at kPml4Start
// points to one PDPT at kPdptStart, whose first four entries point to the
// page directories at kPdStart, kPdStart + 4 KiB, ... (Intel SDM vol. 3A §4.5).
void write_identity_page_tables(const GuestMemory& memory);

// The hidden part of a segment register as the CPU would load it from a GDT
// `entry` through `selector` (Intel SDM vol. 3A §3.4.5).
kvm_segment segment_from_gdt_entry(uint64_t entry, uint16_t selector);

// Sets `sregs` (as KVM_GET_SREGS returned them) for 64-bit mode with the
// boot GDT, IDT and page tables: segment registers, GDTR, IDTR, CR0, CR3,
// CR4 and EFER. Leaves LDTR, CR2, CR8, APIC base and interrupts as they were.
void set_long_mode_sregs(kvm_sregs& sregs);

// General registers at the 64-bit entry: %rip, %rsi = zero page, a stack,
// and RFLAGS with only its fixed bit (interrupts off).
kvm_regs boot_regs(const LinuxBootInfo& info);

// The x87/SSE state after FNINIT and with MXCSR at its reset value.
kvm_fpu boot_fpu();

}  // namespace berth::boot
