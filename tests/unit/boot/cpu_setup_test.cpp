#include "vmm/boot/cpu_setup.h"

#include <asm/processor-flags.h>
#include <gtest/gtest.h>

#include <cstring>
#include <optional>

#include "vmm/layout.h"

namespace berth::boot {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

uint64_t read_u64(const GuestMemory& memory, GuestAddress address) {
    auto value = memory.read_obj<uint64_t>(address);
    EXPECT_TRUE(value.has_value()) << std::hex << address.value();
    return value.value_or(0);
}

// Memory whose low pages are full of 0xff, so a test sees what was written.
GuestMemory dirty_memory() {
    GuestMemory memory = GuestMemory::create(x86_ram_ranges(16 * kMiB));
    auto low = memory.slice(GuestAddress(0), 0x10000);
    std::memset(low->data(), 0xff, low->size());
    return memory;
}

TEST(BootGdt, WritesTheProtocolsSelectorsAndATss) {
    const GuestMemory memory = dirty_memory();
    write_boot_gdt(memory);
    const uint64_t gdt = layout::kGdtStart.value();
    EXPECT_EQ(read_u64(memory, GuestAddress(gdt + 0x00)), 0u);
    EXPECT_EQ(read_u64(memory, GuestAddress(gdt + 0x08)), 0u);
    EXPECT_EQ(read_u64(memory, GuestAddress(gdt + 0x10)), 0x00af9b000000ffffu);  // __BOOT_CS
    EXPECT_EQ(read_u64(memory, GuestAddress(gdt + 0x18)), 0x00cf93000000ffffu);  // __BOOT_DS
    EXPECT_EQ(read_u64(memory, GuestAddress(gdt + 0x20)), 0x00008b0000000067u);  // busy TSS
    EXPECT_EQ(read_u64(memory, GuestAddress(gdt + 0x28)), 0u);  // TSS base bits 63:32
    // The IDT follows the GDT without overlapping it, and is all zeros.
    EXPECT_GE(layout::kIdtStart.value(), gdt + sizeof(kBootGdt));
    EXPECT_EQ(read_u64(memory, layout::kIdtStart), 0u);
    EXPECT_EQ(read_u64(memory, layout::kIdtStart + 8), 0u);
    EXPECT_EQ(memory.read_obj<uint8_t>(layout::kIdtStart + kBootIdtSize), uint8_t{0xff});
}

TEST(SegmentFromGdtEntry, Decodes64BitCode) {
    const kvm_segment cs = segment_from_gdt_entry(0x00af9b000000ffff, 0x10);
    EXPECT_EQ(cs.base, 0u);
    EXPECT_EQ(cs.limit, 0xffffffffu);
    EXPECT_EQ(cs.selector, 0x10);
    EXPECT_EQ(cs.type, 0xb);  // execute/read, accessed
    EXPECT_EQ(cs.s, 1);
    EXPECT_EQ(cs.dpl, 0);
    EXPECT_EQ(cs.present, 1);
    EXPECT_EQ(cs.l, 1);
    EXPECT_EQ(cs.db, 0);
    EXPECT_EQ(cs.g, 1);
    EXPECT_EQ(cs.avl, 0);
    EXPECT_EQ(cs.unusable, 0);
}

TEST(SegmentFromGdtEntry, DecodesFlatData) {
    const kvm_segment ds = segment_from_gdt_entry(0x00cf93000000ffff, 0x18);
    EXPECT_EQ(ds.limit, 0xffffffffu);
    EXPECT_EQ(ds.type, 0x3);  // read/write, accessed
    EXPECT_EQ(ds.s, 1);
    EXPECT_EQ(ds.l, 0);
    EXPECT_EQ(ds.db, 1);
    EXPECT_EQ(ds.g, 1);
    EXPECT_EQ(ds.present, 1);
}

TEST(SegmentFromGdtEntry, DecodesBaseLimitAndFlagsFromEveryBitField) {
    // base 0x12345678, limit 0x5ffff in bytes (G = 0), access 0xfa (DPL 3,
    // code, readable), AVL = 1, D = 1.
    const kvm_segment segment = segment_from_gdt_entry(0x1255fa345678ffff, 0x2b);
    EXPECT_EQ(segment.base, 0x12345678u);
    EXPECT_EQ(segment.limit, 0x5ffffu);
    EXPECT_EQ(segment.selector, 0x2b);
    EXPECT_EQ(segment.type, 0xa);
    EXPECT_EQ(segment.dpl, 3);
    EXPECT_EQ(segment.avl, 1);
    EXPECT_EQ(segment.db, 1);
    EXPECT_EQ(segment.g, 0);
    EXPECT_EQ(segment.l, 0);
}

TEST(SegmentFromGdtEntry, DecodesTheTssAndMarksNotPresentUnusable) {
    const kvm_segment tr = segment_from_gdt_entry(kBootTssDescriptor, kBootTssSelector);
    EXPECT_EQ(tr.type, 0xb);  // busy 64-bit TSS
    EXPECT_EQ(tr.s, 0);       // a system descriptor
    EXPECT_EQ(tr.limit, 0x67u);
    EXPECT_EQ(tr.present, 1);
    EXPECT_EQ(tr.unusable, 0);

    const kvm_segment null = segment_from_gdt_entry(0, 0);
    EXPECT_EQ(null.present, 0);
    EXPECT_EQ(null.unusable, 1);
}

// Walks the boot page tables like the MMU would (4-level paging, 2 MiB pages).
std::optional<uint64_t> translate(const GuestMemory& memory, uint64_t linear) {
    const uint64_t address_mask = 0x000ffffffffff000;
    const uint64_t pml4e =
        read_u64(memory, GuestAddress(layout::kPml4Start.value() + ((linear >> 39) & 511) * 8));
    if ((pml4e & kPagePresent) == 0) {
        return std::nullopt;
    }
    const uint64_t pdpte =
        read_u64(memory, GuestAddress((pml4e & address_mask) + ((linear >> 30) & 511) * 8));
    if ((pdpte & kPagePresent) == 0) {
        return std::nullopt;
    }
    const uint64_t pde =
        read_u64(memory, GuestAddress((pdpte & address_mask) + ((linear >> 21) & 511) * 8));
    if ((pde & kPagePresent) == 0 || (pde & kPageSize2M) == 0) {
        return std::nullopt;
    }
    return (pde & 0x000fffffffe00000) | (linear & 0x1fffff);
}

TEST(IdentityPageTables, EntriesPointWhereTheyShould) {
    const GuestMemory memory = dirty_memory();
    write_identity_page_tables(memory);
    const uint64_t pml4 = layout::kPml4Start.value();
    const uint64_t pdpt = layout::kPdptStart.value();
    const uint64_t pd = layout::kPdStart.value();

    EXPECT_EQ(read_u64(memory, GuestAddress(pml4)), pdpt | 0x3);
    EXPECT_EQ(read_u64(memory, GuestAddress(pml4 + 8)), 0u);
    EXPECT_EQ(read_u64(memory, GuestAddress(pml4 + 511 * 8)), 0u);
    for (uint64_t i = 0; i < 4; ++i) {
        EXPECT_EQ(read_u64(memory, GuestAddress(pdpt + i * 8)), (pd + i * 0x1000) | 0x3) << i;
    }
    EXPECT_EQ(read_u64(memory, GuestAddress(pdpt + 4 * 8)), 0u);
    for (uint64_t i = 0; i < 4; ++i) {
        for (uint64_t j : {0, 1, 255, 511}) {
            const uint64_t entry = read_u64(memory, GuestAddress(pd + i * 0x1000 + j * 8));
            EXPECT_EQ(entry, ((i * 512 + j) * 0x200000) | 0x83) << i << "," << j;
        }
    }
}

TEST(IdentityPageTables, MapTheFirstFourGiBOntoThemselves) {
    const GuestMemory memory = dirty_memory();
    write_identity_page_tables(memory);
    for (uint64_t address : {0x0ull, 0x7000ull, 0x1000200ull, 0x3fffffffull, 0x40000000ull,
                             0xbfffffffull, 0xfee00000ull, 0xffffffffull}) {
        EXPECT_EQ(translate(memory, address), address) << std::hex << address;
    }
    EXPECT_EQ(translate(memory, 0x100000000ull), std::nullopt);
}

TEST(LongModeSregs, SetsControlRegistersAndSegments) {
    kvm_sregs sregs{};
    // What KVM_GET_SREGS gives after reset: CD | NW | ET, and an LDT.
    sregs.cr0 = 0x60000010;
    sregs.ldt.type = 2;
    sregs.ldt.present = 1;
    sregs.apic_base = 0xfee00900;
    set_long_mode_sregs(sregs);

    EXPECT_EQ(sregs.cr0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG);
    EXPECT_EQ(sregs.cr0 & (X86_CR0_CD | X86_CR0_NW), 0u);
    EXPECT_EQ(sregs.cr3, layout::kPml4Start.value());
    EXPECT_NE(sregs.cr4 & X86_CR4_PAE, 0u);
    EXPECT_EQ(sregs.efer, 0x500u);  // LME (bit 8) | LMA (bit 10)

    EXPECT_EQ(sregs.gdt.base, layout::kGdtStart.value());
    EXPECT_EQ(sregs.gdt.limit, 6 * 8 - 1);
    EXPECT_EQ(sregs.idt.base, layout::kIdtStart.value());

    EXPECT_EQ(sregs.cs.selector, 0x10);
    EXPECT_EQ(sregs.cs.l, 1);
    EXPECT_EQ(sregs.cs.db, 0);
    for (const kvm_segment* data : {&sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss}) {
        EXPECT_EQ(data->selector, 0x18);
        EXPECT_EQ(data->type, 0x3);
        EXPECT_EQ(data->present, 1);
    }
    EXPECT_EQ(sregs.tr.selector, 0x20);
    EXPECT_EQ(sregs.tr.type, 0xb);
    // Left as KVM had them.
    EXPECT_EQ(sregs.ldt.type, 2);
    EXPECT_EQ(sregs.apic_base, 0xfee00900u);
}

TEST(BootRegs, EnterAtTheEntryPointWithTheZeroPageInRsi) {
    LinuxBootInfo info{};
    info.entry_point = GuestAddress(0x1000200);
    info.zero_page = GuestAddress(0x7000);
    const kvm_regs regs = boot_regs(info);
    EXPECT_EQ(regs.rip, 0x1000200u);
    EXPECT_EQ(regs.rsi, 0x7000u);
    EXPECT_EQ(regs.rsp, layout::kBootStackPointer.value());
    EXPECT_EQ(regs.rbp, layout::kBootStackPointer.value());
    EXPECT_EQ(regs.rflags, 0x2u);  // IF clear: interrupts off
    EXPECT_EQ(regs.rax, 0u);
    EXPECT_EQ(regs.rdi, 0u);
}

TEST(BootFpu, HasTheResetControlWords) {
    const kvm_fpu fpu = boot_fpu();
    EXPECT_EQ(fpu.fcw, 0x37f);
    EXPECT_EQ(fpu.mxcsr, 0x1f80u);
    EXPECT_EQ(fpu.fsw, 0);
}

}  // namespace
}  // namespace berth::boot
