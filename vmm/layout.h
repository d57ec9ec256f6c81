// Berth's x86 machine layout: where everything lives in guest-physical memory
// and in I/O-port space. One file, so a student can see the whole board.
//
//   0x0000_0500  GDT: null, null, code 0x10, data 0x18, 16-byte TSS 0x20 (boot/cpu_setup);
//                lab guests: null, code32 0x08, data 0x10, code64 0x18, TSS 0x20 (boot/cpu_mode)
//   0x0000_0530  IDT (empty)
//   0x0000_7000  boot_params "zero page" (boot/zero_page, written by boot/linux_loader)
//   0x0000_7c00  real-mode lab image, up to 0x9_fc00; also the real-mode SP (boot/flat_image)
//   0x0000_8ff0  initial stack pointer (Linux, protected- and long-mode lab guests)
//   0x0000_9000  PML4, 0xa000 PDPT, 0xb000..0xefff four page directories
//   0x0002_0000  kernel command line (up to 64 KiB)
//   0x0009_fc00  end of conventional RAM (the EBDA would follow on a PC)
//   0x000e_0000  ACPI tables, RSDP first (firmware/acpi), marked reserved in e820
//   0x0010_0000  start of "high" RAM; the kernel loads at its pref_address;
//                protected- and long-mode lab images load here
//   0xc000_0000  start of the 32-bit MMIO hole (no RAM from here up to 4 GiB)
//   0xd000_0000  boot-marker device (devices/legacy/boot_marker)
//   0xd000_1000  lab calculator device (devices/lab/calculator)
//   0xe000_0000  PCI memory window: BARs, assigned by Berth (devices/pci), up to 0xfe00_0000
//   0xfec0_0000  IOAPIC, 0xfee0_0000 LAPIC (in-kernel irqchip)
//   0xfffb_c000  KVM identity-map page, 0xfffb_d000 KVM TSS (3 pages, Intel real mode)
//   0x1_0000_0000 RAM above the hole, for guests larger than 3 GiB
#pragma once

#include <cstdint>

#include "vmm/memory/guest_address.h"

namespace berth::layout {

inline constexpr GuestAddress kGdtStart{0x500};
inline constexpr GuestAddress kIdtStart{0x530};  // after the GDT's 6 entries
inline constexpr GuestAddress kZeroPageStart{0x7000};
inline constexpr GuestAddress kBootStackPointer{0x8ff0};
inline constexpr GuestAddress kPml4Start{0x9000};
inline constexpr GuestAddress kPdptStart{0xa000};
inline constexpr GuestAddress kPdStart{0xb000};  // four pages: identity map of 4 GiB
inline constexpr GuestAddress kCmdlineStart{0x20000};
inline constexpr uint64_t kCmdlineMaxSize = 0x10000;
inline constexpr GuestAddress kEbdaStart{0x9fc00};
inline constexpr GuestAddress kAcpiStart{0xe0000};
inline constexpr uint64_t kAcpiSize = 0x20000;  // up to the 1 MiB line
inline constexpr GuestAddress kHighMemStart{0x100000};

inline constexpr GuestAddress kMmioHoleStart{0xc000'0000};
inline constexpr GuestAddress kMmioHoleEnd{0x1'0000'0000};
inline constexpr GuestAddress kBootMarkerStart{0xd000'0000};
inline constexpr uint64_t kBootMarkerSize = 0x1000;
// The lab calculator (docs/lab-machine.md): the page after the boot marker.
inline constexpr GuestAddress kCalculatorStart{0xd000'1000};
inline constexpr uint64_t kCalculatorSize = 0x1000;
static_assert(kCalculatorStart >= kBootMarkerStart + kBootMarkerSize);
// PCI BARs are placed in [kPciMmioStart, +kPciMmioSize); the DSDT's host
// bridge advertises the same window. Not RAM, and not reserved in e820.
inline constexpr GuestAddress kPciMmioStart{0xe000'0000};
inline constexpr uint64_t kPciMmioSize = 0x1e00'0000;  // up to 0xfe00_0000, below the IOAPIC
static_assert(kPciMmioStart >= kCalculatorStart + kCalculatorSize &&
              kPciMmioStart.value() + kPciMmioSize <= 0xfec0'0000);  // kIoapicStart
inline constexpr GuestAddress kIoapicStart{0xfec0'0000};
inline constexpr GuestAddress kLapicStart{0xfee0'0000};
inline constexpr GuestAddress kKvmIdentityMapStart{0xfffb'c000};
inline constexpr GuestAddress kKvmTssStart{0xfffb'd000};
inline constexpr GuestAddress kHighRamStart{0x1'0000'0000};

// Lab guests: flat binaries started in real, protected or long mode
// (boot/flat_image, boot/cpu_mode; docs/lab-machine.md). A real-mode image
// loads where a BIOS puts a boot sector and must end with conventional RAM;
// the others load at 1 MiB, clear of Berth's GDT and page tables. (A
// real-mode guest gets no GDT or page tables, and no Linux zero page.)
inline constexpr GuestAddress kRealModeImageStart{0x7c00};
inline constexpr GuestAddress kRealModeImageEnd = kEbdaStart;
inline constexpr GuestAddress kRealModeStackPointer{0x7c00};  // grows down, below the image
inline constexpr GuestAddress kFlatImageStart = kHighMemStart;
static_assert(kFlatImageStart.value() >= kPdStart.value() + 4 * 0x1000ull);  // above the page tables

// I/O ports.
inline constexpr uint16_t kPicMasterPort = 0x20;  // command, then data at 0x21 (--irqchip none)
inline constexpr uint16_t kPitPortStart = 0x40;   // counters 0-2, then the control word at 0x43
inline constexpr uint16_t kI8042DataPort = 0x60;
inline constexpr uint16_t kI8042CommandPort = 0x64;
inline constexpr uint16_t kRtcPortStart = 0x70;      // index 0x70, data 0x71
inline constexpr uint16_t kPostCodePort = 0x80;      // written as an I/O delay by Linux
inline constexpr uint16_t kDebugConsolePort = 0xe9;  // lab guests: Bochs/QEMU "debugcon", 1 port
inline constexpr uint16_t kExitPort = 0xf4;          // lab guests: a byte ends Berth, 1 port
inline constexpr uint16_t kAcpiPmStart = 0x600;      // PM1a_EVT (4 bytes) then PM1a_CNT (2 bytes)
inline constexpr uint16_t kAcpiPm1aEvtPort = 0x600;
inline constexpr uint16_t kAcpiPm1aCntPort = 0x604;
inline constexpr uint16_t kAcpiPmSize = 6;
inline constexpr uint16_t kCom1Port = 0x3f8;
inline constexpr uint16_t kPciConfigPortStart = 0xcf8;  // CONFIG_ADDRESS, then CONFIG_DATA at 0xcfc
inline constexpr uint16_t kPciConfigPortSize = 8;
inline constexpr uint16_t kPciIoStart = 0xc000;  // I/O BARs, up to 0xffff
inline constexpr uint16_t kPciIoSize = 0x4000;

// Interrupt lines (ISA IRQ = IOAPIC pin = GSI with KVM's default routing).
inline constexpr uint32_t kPitIrq = 0;
inline constexpr uint32_t kCom1Irq = 4;
inline constexpr uint32_t kAcpiSciIrq = 9;

// Sleep type Berth's DSDT declares for \_S5 (soft off); the PM device
// powers off when the guest writes it with SLP_EN.
inline constexpr uint8_t kS5SleepType = 5;

}  // namespace berth::layout
