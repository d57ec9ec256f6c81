// Loading a bzImage, its initrd and command line into guest RAM and writing
// the zero page (built by zero_page.h) next to them, for the 64-bit boot
// protocol (Documentation/arch/x86/boot.rst, "64-bit BOOT PROTOCOL", "Loading
// The Rest of The Kernel").
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "vmm/boot/bzimage.h"
#include "vmm/boot/file_bytes.h"
#include "vmm/boot/vmlinux.h"
#include "vmm/memory/guest_memory.h"

namespace berth::boot {

// Where load_linux (or load_vmlinux) put everything; the vCPU set-up (cpu_setup.h) needs
// entry_point and zero_page.
struct LinuxBootInfo {
    GuestAddress entry_point;       // 64-bit entry: kernel_load + 0x200, or vmlinux's ELF entry
    GuestAddress zero_page;         // struct boot_params, passed in %rsi
    GuestAddress kernel_load;       // where the protected-mode payload starts
    uint64_t kernel_reserved_size;  // max(init_size, payload size) from kernel_load on
    GuestAddress initrd;            // 0 when there is no initrd
    uint64_t initrd_size;
};

// The smallest guest memory size with which load_linux succeeds for this
// kernel, an initrd of `initrd_size` bytes and a command line of
// `cmdline_length` bytes (without its NUL), so the CLI can refuse a too-small
// --memory before creating anything. Throws UserError when no memory size
// would do: a command line longer than the kernel or Berth accepts, an initrd
// that cannot lie below the kernel's initrd_addr_max, or a kernel and initrd
// that do not fit below the 32-bit MMIO hole.
uint64_t minimum_memory_size(const BzImage& kernel, uint64_t initrd_size, uint64_t cmdline_length);

// Copies the kernel's payload (at pref_address when the kernel is relocatable
// and it fits there with the initrd, else at the lowest suitably aligned
// address from 1 MiB), the initrd (as high as the kernel allows, page-aligned,
// above the kernel's init_size) and the NUL-terminated command line into
// `memory`, and writes at layout::kZeroPageStart the zero page build_zero_page
// makes from where they went, `acpi_rsdp` (0: none, the guest then searches
// for the RSDP itself) and build_e820_map(memory). `kernel_file` must be
// the file `kernel` was parsed from; the kernel's and initrd's bytes are
// copied with FileBytes::copy_to, straight from the file when they are one.
// Throws UserError for a command line that is too long or contains a NUL,
// for memory too small for it all, and for a file that cannot be read.
LinuxBootInfo load_linux(const GuestMemory& memory, const BzImage& kernel,
                         const FileBytes& kernel_file, const FileBytes& initrd,
                         std::string_view cmdline, GuestAddress acpi_rsdp);

// The same for an uncompressed ELF kernel (vmlinux.h): each segment is copied
// to its physical address and the rest of it zeroed, with
// vmlinux_boot_header(kernel) as the kernel's header for placement, checks
// and zero page; the entry point is the ELF entry. For a memory size check
// beforehand, pass that header to minimum_memory_size.
LinuxBootInfo load_vmlinux(const GuestMemory& memory, const Vmlinux& kernel,
                           const FileBytes& kernel_file, const FileBytes& initrd,
                           std::string_view cmdline, GuestAddress acpi_rsdp);

}  // namespace berth::boot
