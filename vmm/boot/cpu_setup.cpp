#include "vmm/boot/cpu_setup.h"

#include <asm/processor-flags.h>

#include "vmm/boot/guest_write.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

constexpr size_t kEntriesPerTable = 512;
constexpr uint64_t kTableSize = kEntriesPerTable * sizeof(uint64_t);  // one 4 KiB page
constexpr uint64_t kTwoMiB = 2ull << 20;
constexpr size_t kPageDirectories = 4;  // 4 x 512 x 2 MiB = 4 GiB
static_assert(layout::kPdptStart.value() == layout::kPml4Start.value() + kTableSize);
static_assert(layout::kPdStart.value() == layout::kPdptStart.value() + kTableSize);

// FNINIT's control word: all exceptions masked, 64-bit precision, round to nearest.
constexpr uint16_t kFpuControlWord = 0x37f;
// MXCSR's reset value: all SSE exceptions masked (Intel SDM vol. 1 §10.2.3).
constexpr uint32_t kMxcsrDefault = 0x1f80;

using PageTable = std::array<uint64_t, kEntriesPerTable>;

}  // namespace

void write_boot_gdt(const GuestMemory& memory) {
    write_guest_obj(memory, layout::kGdtStart, kBootGdt, "the boot GDT");
    write_guest_obj(memory, layout::kIdtStart, std::array<uint8_t, kBootIdtSize>{}, "the boot IDT");
}

void write_identity_page_tables(const GuestMemory& memory) {
    PageTable pml4{};
    pml4[0] = layout::kPdptStart.value() | kPagePresent | kPageWritable;
    write_guest_obj(memory, layout::kPml4Start, pml4, "the boot page tables");

    PageTable pdpt{};
    for (size_t i = 0; i < kPageDirectories; ++i) {
        pdpt[i] = (layout::kPdStart.value() + i * kTableSize) | kPagePresent | kPageWritable;
    }
    write_guest_obj(memory, layout::kPdptStart, pdpt, "the boot page tables");

    for (size_t i = 0; i < kPageDirectories; ++i) {
        PageTable directory{};
        for (size_t j = 0; j < kEntriesPerTable; ++j) {
            const uint64_t physical = (i * kEntriesPerTable + j) * kTwoMiB;
            directory[j] = physical | kPagePresent | kPageWritable | kPageSize2M;
        }
        write_guest_obj(memory, layout::kPdStart + i * kTableSize, directory,
                        "the boot page tables");
    }
}

kvm_segment segment_from_gdt_entry(uint64_t entry, uint16_t selector) {
    const bool granularity = (entry >> 55) & 1;
    const uint32_t raw_limit = static_cast<uint32_t>((entry & 0xffff) | ((entry >> 32) & 0xf0000));
    kvm_segment segment{};
    segment.base = ((entry >> 16) & 0xffffff) | (((entry >> 56) & 0xff) << 24);
    // With G set the limit counts 4 KiB pages; the CPU fills the low 12 bits with ones.
    segment.limit = granularity ? (raw_limit << 12) | 0xfff : raw_limit;
    segment.selector = selector;
    segment.type = (entry >> 40) & 0xf;
    segment.s = (entry >> 44) & 1;
    segment.dpl = (entry >> 45) & 3;
    segment.present = (entry >> 47) & 1;
    segment.avl = (entry >> 52) & 1;
    segment.l = (entry >> 53) & 1;
    segment.db = (entry >> 54) & 1;
    segment.g = granularity;
    segment.unusable = !segment.present;
    return segment;
}

void set_long_mode_sregs(kvm_sregs& sregs) {
    sregs.gdt.base = layout::kGdtStart.value();
    sregs.gdt.limit = sizeof(kBootGdt) - 1;
    sregs.idt.base = layout::kIdtStart.value();
    sregs.idt.limit = kBootIdtSize - 1;

    const kvm_segment code = segment_from_gdt_entry(kBootCodeDescriptor, kBootCsSelector);
    const kvm_segment data = segment_from_gdt_entry(kBootDataDescriptor, kBootDsSelector);
    sregs.cs = code;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.ss = data;
    sregs.tr = segment_from_gdt_entry(kBootTssDescriptor, kBootTssSelector);

    // Protected mode with paging; ET and NE as on any CPU since the 486.
    // CD and NW from the reset value are dropped, so caching is on.
    sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
    sregs.cr3 = layout::kPml4Start.value();
    sregs.cr4 = X86_CR4_PAE;  // required for long mode; the kernel sets the rest itself
    sregs.efer = EFER_LME | EFER_LMA;
}

kvm_regs boot_regs(const LinuxBootInfo& info) {
    kvm_regs regs{};
    regs.rip = info.entry_point.value();
    regs.rsi = info.zero_page.value();
    regs.rsp = layout::kBootStackPointer.value();
    regs.rbp = layout::kBootStackPointer.value();
    regs.rflags = X86_EFLAGS_FIXED;  // bit 1 is always set; IF clear
    return regs;
}

kvm_fpu boot_fpu() {
    kvm_fpu fpu{};
    fpu.fcw = kFpuControlWord;
    fpu.mxcsr = kMxcsrDefault;
    return fpu;
}

}  // namespace berth::boot
