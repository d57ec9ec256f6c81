#include "vmm/boot/cpu_mode.h"

#include <asm/processor-flags.h>
#include <fmt/format.h>

#include <stdexcept>

#include "vmm/boot/guest_write.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

// CR0 after RESET or INIT: CD | NW | ET (Intel SDM vol. 3A §9.1.1, table 9-1).
constexpr uint64_t kCr0ResetValue = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
static_assert(kCr0ResetValue == 0x60000010);

// The real-mode interrupt vector table: 256 four-byte far pointers at 0.
constexpr uint16_t kRealModeIvtLimit = 256 * 4 - 1;
constexpr uint64_t kRealModeSegmentLimit = 0xffff;

// A real-mode segment register as the CPU holds it after loading `selector`
// (base = selector * 16, 64 KiB limit, present, read/write data or
// execute/read code, both "accessed"): what KVM's own reset state uses.
kvm_segment real_mode_segment(uint16_t selector, bool code) {
    kvm_segment segment{};
    segment.selector = selector;
    segment.base = uint64_t{selector} << 4;
    segment.limit = kRealModeSegmentLimit;
    segment.type = code ? 0xb : 0x3;
    segment.present = 1;
    segment.s = 1;
    return segment;
}

void set_segments(kvm_sregs& sregs, const kvm_segment& code, const kvm_segment& data) {
    sregs.cs = code;
    sregs.ds = data;
    sregs.es = data;
    sregs.fs = data;
    sregs.gs = data;
    sregs.ss = data;
}

void set_lab_gdt_segments(kvm_sregs& sregs, uint64_t code_descriptor, uint16_t code_selector) {
    sregs.gdt.base = layout::kGdtStart.value();
    sregs.gdt.limit = sizeof(kLabGdt) - 1;
    sregs.idt.base = layout::kIdtStart.value();
    sregs.idt.limit = kBootIdtSize - 1;
    set_segments(sregs, segment_from_gdt_entry(code_descriptor, code_selector),
                 segment_from_gdt_entry(kLabGdt[kLabDataSelector / 8], kLabDataSelector));
    sregs.tr = segment_from_gdt_entry(kLabGdt[kLabTssSelector / 8], kLabTssSelector);
}

void set_real_mode_sregs(kvm_sregs& sregs) {
    set_segments(sregs, real_mode_segment(0, true), real_mode_segment(0, false));
    // VM entry wants a usable busy TSS in TR in every mode; this is KVM's reset TR.
    sregs.tr = kvm_segment{};
    sregs.tr.limit = kRealModeSegmentLimit;
    sregs.tr.type = 0xb;
    sregs.tr.present = 1;
    sregs.gdt.base = 0;
    sregs.gdt.limit = 0xffff;
    sregs.idt.base = 0;
    sregs.idt.limit = kRealModeIvtLimit;
    sregs.cr0 = kCr0ResetValue;
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
}

void set_protected_mode_sregs(kvm_sregs& sregs) {
    set_lab_gdt_segments(sregs, kLabCode32Descriptor, kLabCode32Selector);
    // ET and NE as on any CPU since the 486; CD and NW dropped, so caching is on.
    sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
    sregs.cr3 = 0;
    sregs.cr4 = 0;
    sregs.efer = 0;
}

void set_lab_long_mode_sregs(kvm_sregs& sregs) {
    // Linux's long-mode state (CR0, CR3 on the same page tables, CR4, EFER),
    // then the lab GDT's selectors instead of boot.rst's.
    set_long_mode_sregs(sregs);
    set_lab_gdt_segments(sregs, kLabGdt[kLabCode64Selector / 8], kLabCode64Selector);
}

}  // namespace

CpuMode parse_cpu_mode(std::string_view text) {
    for (size_t i = 0; i < kCpuModeNames.size(); ++i) {
        if (text == kCpuModeNames[i]) {
            return static_cast<CpuMode>(i);
        }
    }
    throw UserError(fmt::format("--mode {} is not a CPU mode: give real, protected or long", text));
}

std::string_view cpu_mode_name(CpuMode mode) {
    return kCpuModeNames.at(static_cast<size_t>(mode));
}

void write_cpu_mode_tables(const GuestMemory& memory, CpuMode mode) {
    if (mode == CpuMode::kReal) {
        return;
    }
    write_guest_obj(memory, layout::kGdtStart, kLabGdt, "the lab GDT");
    write_guest_obj(memory, layout::kIdtStart, std::array<uint8_t, kBootIdtSize>{}, "the lab IDT");
    if (mode == CpuMode::kLong) {
        write_identity_page_tables(memory);
    }
}

void set_cpu_mode_sregs(kvm_sregs& sregs, CpuMode mode) {
    switch (mode) {
        case CpuMode::kReal:
            set_real_mode_sregs(sregs);
            return;
        case CpuMode::kProtected:
            set_protected_mode_sregs(sregs);
            return;
        case CpuMode::kLong:
            set_lab_long_mode_sregs(sregs);
            return;
    }
    throw std::invalid_argument("set_cpu_mode_sregs: not a CpuMode");
}

kvm_regs cpu_mode_regs(CpuMode mode, GuestAddress entry) {
    kvm_regs regs{};
    if (mode == CpuMode::kReal) {
        if (entry.value() > 0xffff) {
            throw std::invalid_argument(fmt::format(
                "cpu_mode_regs: real-mode entry {:#x} is not below 64 KiB", entry.value()));
        }
        regs.rsp = layout::kRealModeStackPointer.value();
    } else {
        regs.rsp = layout::kBootStackPointer.value();
    }
    regs.rip = entry.value();
    regs.rflags = X86_EFLAGS_FIXED;  // bit 1 is always set; IF clear
    return regs;
}

}  // namespace berth::boot
