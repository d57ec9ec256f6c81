#include "vmm/boot/cpu_mode.h"

#include <asm/processor-flags.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <initializer_list>
#include <optional>
#include <stdexcept>

#include "vmm/common/error.h"
#include "vmm/layout.h"
#include "vmm/memory/memory_layout.h"

namespace berth::boot {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kDirt = 0xffffffffffffffff;

// Guest memory whose first MiB is all 0xff, so a test sees what was written.
GuestMemory dirty_memory() {
    GuestMemory memory = GuestMemory::create(x86_ram_ranges(16 * kMiB));
    auto low = memory.slice(GuestAddress(0), kMiB);
    std::memset(low->data(), 0xff, low->size());
    return memory;
}

uint64_t read_u64(const GuestMemory& memory, uint64_t address) {
    const std::optional<uint64_t> value = memory.read_obj<uint64_t>(GuestAddress(address));
    EXPECT_TRUE(value.has_value()) << std::hex << address;
    return value.value_or(0);
}

// What KVM_GET_SREGS returns after a vCPU's reset (arch/x86/kvm/vmx/vmx.c,
// vmx_vcpu_reset): CS = 0xf000 based at 0xffff0000, CR0 = CD | NW | ET, an
// LDT, and an APIC base; set_cpu_mode_sregs must replace or keep each.
// A present code or data segment (S = 1) with a byte-granular limit.
kvm_segment segment(uint16_t selector, uint64_t base, uint32_t limit, uint8_t type) {
    kvm_segment result{};
    result.selector = selector;
    result.base = base;
    result.limit = limit;
    result.type = type;
    result.present = 1;
    result.s = 1;
    return result;
}

kvm_sregs reset_sregs() {
    kvm_sregs sregs{};
    sregs.cs = segment(0xf000, 0xffff0000, 0xffff, 0xb);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = segment(0, 0, 0xffff, 0x3);
    sregs.ldt.type = 2;
    sregs.ldt.present = 1;
    sregs.cr0 = 0x60000010;
    sregs.cr2 = 0x1234;
    sregs.apic_base = 0xfee00900;
    return sregs;
}

kvm_sregs sregs_for(CpuMode mode) {
    kvm_sregs sregs = reset_sregs();
    set_cpu_mode_sregs(sregs, mode);
    return sregs;
}

void expect_same_segment(const kvm_segment& actual, const kvm_segment& expected) {
    EXPECT_EQ(actual.base, expected.base);
    EXPECT_EQ(actual.limit, expected.limit);
    EXPECT_EQ(actual.selector, expected.selector);
    EXPECT_EQ(actual.type, expected.type);
    EXPECT_EQ(actual.present, expected.present);
    EXPECT_EQ(actual.dpl, expected.dpl);
    EXPECT_EQ(actual.db, expected.db);
    EXPECT_EQ(actual.s, expected.s);
    EXPECT_EQ(actual.l, expected.l);
    EXPECT_EQ(actual.g, expected.g);
    EXPECT_EQ(actual.unusable, expected.unusable);
}

const kvm_segment* data_segments(const kvm_sregs& sregs, size_t i) {
    const kvm_segment* all[] = {&sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss};
    return all[i];
}
constexpr size_t kDataSegmentCount = 5;

TEST(ParseCpuMode, AcceptsTheThreeWords) {
    EXPECT_EQ(parse_cpu_mode("real"), CpuMode::kReal);
    EXPECT_EQ(parse_cpu_mode("protected"), CpuMode::kProtected);
    EXPECT_EQ(parse_cpu_mode("long"), CpuMode::kLong);
    for (CpuMode mode : {CpuMode::kReal, CpuMode::kProtected, CpuMode::kLong}) {
        EXPECT_EQ(parse_cpu_mode(cpu_mode_name(mode)), mode);
    }
}

TEST(ParseCpuMode, RefusesAnythingElseNamingTheChoices) {
    for (const char* text : {"", "Real", "64", "long ", "protect"}) {
        try {
            parse_cpu_mode(text);
            ADD_FAILURE() << "accepted '" << text << "'";
        } catch (const UserError& error) {
            EXPECT_THAT(error.what(), HasSubstr("give real, protected or long"));
        }
    }
}

TEST(LabGdt, HoldsFlatCodeAndDataAtTheDocumentedSelectors) {
    const GuestMemory memory = dirty_memory();
    write_cpu_mode_tables(memory, CpuMode::kProtected);
    const uint64_t gdt = layout::kGdtStart.value();
    EXPECT_EQ(read_u64(memory, gdt + 0x00), 0u);
    EXPECT_EQ(read_u64(memory, gdt + 0x08), 0x00cf9b000000ffffu);  // 32-bit code, 4 GiB
    EXPECT_EQ(read_u64(memory, gdt + 0x10), 0x00cf93000000ffffu);  // data, 4 GiB
    EXPECT_EQ(read_u64(memory, gdt + 0x18), 0x00af9b000000ffffu);  // 64-bit code
    EXPECT_EQ(read_u64(memory, gdt + 0x20), 0x00008b0000000067u);  // busy TSS
    EXPECT_EQ(read_u64(memory, gdt + 0x28), 0u);
    EXPECT_EQ(kLabCode32Selector, 0x08);
    EXPECT_EQ(kLabDataSelector, 0x10);
    EXPECT_EQ(kLabCode64Selector, 0x18);
    // The empty IDT follows; the page tables are long mode's only.
    EXPECT_EQ(read_u64(memory, layout::kIdtStart.value()), 0u);
    EXPECT_EQ(read_u64(memory, layout::kIdtStart.value() + 8), 0u);
    EXPECT_EQ(read_u64(memory, layout::kPml4Start.value()), kDirt);
}

TEST(WriteCpuModeTables, RealModeLeavesLowMemoryToTheGuest) {
    const GuestMemory memory = dirty_memory();
    write_cpu_mode_tables(memory, CpuMode::kReal);
    for (uint64_t address = 0; address < kMiB; address += 8) {
        ASSERT_EQ(read_u64(memory, address), kDirt) << std::hex << address;
    }
}

// Walks the paging structures from CR3 as the MMU does with 4-level paging,
// stopping at a PS entry (1 GiB or 2 MiB) or the page table (4 KiB).
std::optional<uint64_t> translate(const GuestMemory& memory, uint64_t cr3, uint64_t linear) {
    constexpr uint64_t kAddressBits = 0x000ffffffffff000;
    uint64_t table = cr3 & kAddressBits;
    for (int level = 4; level >= 1; --level) {
        const unsigned shift = 12 + 9 * (level - 1);
        const uint64_t entry = read_u64(memory, table + ((linear >> shift) & 511) * 8);
        if ((entry & kPagePresent) == 0) {
            return std::nullopt;
        }
        const bool leaf = level == 1 || ((level == 2 || level == 3) && (entry & kPageSize2M));
        if (leaf) {
            const uint64_t page_mask = (1ull << shift) - 1;
            return (entry & kAddressBits & ~page_mask) | (linear & page_mask);
        }
        table = entry & kAddressBits;
    }
    return std::nullopt;
}

TEST(WriteCpuModeTables, LongModeIdentityMapsTheFirstFourGiB) {
    const GuestMemory memory = dirty_memory();
    write_cpu_mode_tables(memory, CpuMode::kLong);
    const uint64_t cr3 = sregs_for(CpuMode::kLong).cr3;
    EXPECT_EQ(cr3, layout::kPml4Start.value());
    for (uint64_t address : std::initializer_list<uint64_t>{
             0x0ull, 0x7c00ull, 0x8ff0ull, 0x100000ull, 0x1234567ull, 0xbfffffffull, 0xd0001030ull,
             layout::kCalculatorStart.value(), 0xfee00000ull, 0xffffffffull}) {
        EXPECT_EQ(translate(memory, cr3, address), address) << std::hex << address;
    }
    EXPECT_EQ(translate(memory, cr3, 0x100000000ull), std::nullopt);
    // The lab GDT is there too.
    EXPECT_EQ(read_u64(memory, layout::kGdtStart.value() + kLabCode64Selector),
              0x00af9b000000ffffu);
}

TEST(WriteCpuModeTables, RefusesMemoryWithoutRoomForThem) {
    const GuestMemory memory = GuestMemory::create({RamRange{GuestAddress(0), 0x1000}});
    write_cpu_mode_tables(memory, CpuMode::kReal);  // needs nothing
    EXPECT_NO_THROW(write_cpu_mode_tables(memory, CpuMode::kProtected));
    EXPECT_THROW(write_cpu_mode_tables(memory, CpuMode::kLong), UserError);
}

TEST(RealModeLabSregs, FlatSixtyFourKiBSegmentsAtZero) {
    const kvm_sregs sregs = sregs_for(CpuMode::kReal);
    const kvm_segment code = segment(0, 0, 0xffff, 0xb);
    const kvm_segment data = segment(0, 0, 0xffff, 0x3);
    expect_same_segment(sregs.cs, code);
    for (size_t i = 0; i < kDataSegmentCount; ++i) {
        SCOPED_TRACE(i);
        expect_same_segment(*data_segments(sregs, i), data);
    }
    // Real-mode base = selector * 16, whatever the reset CS held.
    EXPECT_EQ(sregs.cs.base, uint64_t{sregs.cs.selector} << 4);
}

TEST(RealModeLabSregs, ResetControlRegistersAndTheIvt) {
    const kvm_sregs sregs = sregs_for(CpuMode::kReal);
    EXPECT_EQ(sregs.cr0, 0x60000010u);
    EXPECT_EQ(sregs.cr0 & X86_CR0_PE, 0u);
    EXPECT_EQ(sregs.cr0 & X86_CR0_PG, 0u);
    EXPECT_EQ(sregs.cr3, 0u);
    EXPECT_EQ(sregs.cr4, 0u);
    EXPECT_EQ(sregs.efer, 0u);
    EXPECT_EQ(sregs.idt.base, 0u);
    EXPECT_EQ(sregs.idt.limit, 0x3ff);  // 256 four-byte vectors
    // VM entry needs a usable busy TSS in TR even in real mode.
    EXPECT_EQ(sregs.tr.type, 0xb);
    EXPECT_EQ(sregs.tr.present, 1);
    EXPECT_EQ(sregs.tr.s, 0);
    EXPECT_EQ(sregs.tr.unusable, 0);
}

TEST(ProtectedModeLabSregs, FlatSegmentsFromTheLabGdt) {
    const kvm_sregs sregs = sregs_for(CpuMode::kProtected);
    EXPECT_EQ(sregs.cs.selector, 0x08);
    EXPECT_EQ(sregs.cs.base, 0u);
    EXPECT_EQ(sregs.cs.limit, 0xffffffffu);
    EXPECT_EQ(sregs.cs.type, 0xb);
    EXPECT_EQ(sregs.cs.db, 1);  // 32-bit code
    EXPECT_EQ(sregs.cs.l, 0);
    EXPECT_EQ(sregs.cs.g, 1);
    EXPECT_EQ(sregs.cs.s, 1);
    EXPECT_EQ(sregs.cs.present, 1);
    for (size_t i = 0; i < kDataSegmentCount; ++i) {
        const kvm_segment& data = *data_segments(sregs, i);
        EXPECT_EQ(data.selector, 0x10) << i;
        EXPECT_EQ(data.base, 0u) << i;
        EXPECT_EQ(data.limit, 0xffffffffu) << i;
        EXPECT_EQ(data.type, 0x3) << i;
        EXPECT_EQ(data.db, 1) << i;
        EXPECT_EQ(data.present, 1) << i;
    }
    EXPECT_EQ(sregs.tr.selector, 0x20);
    EXPECT_EQ(sregs.tr.type, 0xb);
}

TEST(ProtectedModeLabSregs, PeWithoutPagingOrLongMode) {
    const kvm_sregs sregs = sregs_for(CpuMode::kProtected);
    EXPECT_EQ(sregs.cr0, X86_CR0_PE | X86_CR0_ET | X86_CR0_NE);
    EXPECT_EQ(sregs.cr0 & (X86_CR0_PG | X86_CR0_CD | X86_CR0_NW), 0u);
    EXPECT_EQ(sregs.cr3, 0u);
    EXPECT_EQ(sregs.cr4, 0u);
    EXPECT_EQ(sregs.efer & (EFER_LME | EFER_LMA), 0u);
    EXPECT_EQ(sregs.gdt.base, layout::kGdtStart.value());
    EXPECT_EQ(sregs.gdt.limit, 6 * 8 - 1);
    EXPECT_EQ(sregs.idt.base, layout::kIdtStart.value());
    EXPECT_EQ(sregs.idt.limit, kBootIdtSize - 1);
}

TEST(LongModeLabSregs, SixtyFourBitCodeAndPaging) {
    const kvm_sregs sregs = sregs_for(CpuMode::kLong);
    EXPECT_EQ(sregs.cs.selector, 0x18);
    EXPECT_EQ(sregs.cs.l, 1);
    EXPECT_EQ(sregs.cs.db, 0);  // L = 1 requires D = 0
    EXPECT_EQ(sregs.cs.type, 0xb);
    for (size_t i = 0; i < kDataSegmentCount; ++i) {
        EXPECT_EQ(data_segments(sregs, i)->selector, 0x10) << i;
        EXPECT_EQ(data_segments(sregs, i)->type, 0x3) << i;
    }
    EXPECT_EQ(sregs.tr.selector, 0x20);
    EXPECT_EQ(sregs.cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE | X86_CR0_PG);
    EXPECT_EQ(sregs.cr0 & (X86_CR0_CD | X86_CR0_NW), 0u);
    EXPECT_EQ(sregs.cr4 & X86_CR4_PAE, X86_CR4_PAE);
    EXPECT_EQ(sregs.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
    EXPECT_EQ(sregs.cr3, layout::kPml4Start.value());
    EXPECT_EQ(sregs.gdt.base, layout::kGdtStart.value());
    EXPECT_EQ(sregs.gdt.limit, 6 * 8 - 1);
}

// The hidden parts KVM gets must be what the CPU would load from the GDT in
// guest memory, or the first segment load (an iret, a far jump) changes them.
TEST(LabSregs, SegmentsMatchTheirDescriptorsInGuestMemory) {
    for (CpuMode mode : {CpuMode::kProtected, CpuMode::kLong}) {
        SCOPED_TRACE(cpu_mode_name(mode));
        const GuestMemory memory = dirty_memory();
        write_cpu_mode_tables(memory, mode);
        const kvm_sregs sregs = sregs_for(mode);
        for (const kvm_segment* segment : {&sregs.cs, &sregs.ds, &sregs.ss, &sregs.tr}) {
            ASSERT_LE(segment->selector + 7u, sregs.gdt.limit);
            const uint64_t descriptor = read_u64(memory, sregs.gdt.base + segment->selector);
            expect_same_segment(*segment, segment_from_gdt_entry(descriptor, segment->selector));
        }
    }
}

TEST(LabSregs, KeepWhatKvmOwns) {
    for (CpuMode mode : {CpuMode::kReal, CpuMode::kProtected, CpuMode::kLong}) {
        const kvm_sregs sregs = sregs_for(mode);
        EXPECT_EQ(sregs.ldt.type, 2) << cpu_mode_name(mode);
        EXPECT_EQ(sregs.cr2, 0x1234u) << cpu_mode_name(mode);
        EXPECT_EQ(sregs.apic_base, 0xfee00900u) << cpu_mode_name(mode);
    }
}

TEST(LabRegs, EntryStackAndInterruptsOff) {
    const kvm_regs real = cpu_mode_regs(CpuMode::kReal, GuestAddress(0x7c00));
    EXPECT_EQ(real.rip, 0x7c00u);
    EXPECT_EQ(real.rsp, 0x7c00u);
    EXPECT_EQ(real.rflags, 0x2u);
    for (CpuMode mode : {CpuMode::kProtected, CpuMode::kLong}) {
        const kvm_regs regs = cpu_mode_regs(mode, GuestAddress(0x100010));
        EXPECT_EQ(regs.rip, 0x100010u);
        EXPECT_EQ(regs.rsp, 0x8ff0u);
        EXPECT_EQ(regs.rflags, 0x2u);  // IF clear
        EXPECT_EQ(regs.rax, 0u);
        EXPECT_EQ(regs.rsi, 0u);
        EXPECT_EQ(regs.rbp, 0u);
    }
}

TEST(LabRegs, RefusesARealModeEntryAboveSixtyFourKiB) {
    EXPECT_EQ(cpu_mode_regs(CpuMode::kReal, GuestAddress(0xffff)).rip, 0xffffu);
    EXPECT_THROW(cpu_mode_regs(CpuMode::kReal, GuestAddress(0x10000)), std::invalid_argument);
}

}  // namespace
}  // namespace berth::boot
