// Parsing a Linux bzImage's setup header (Documentation/arch/x86/boot.rst,
// "The Real-Mode Kernel Header" and "Details of Header Fields").
//
// A bzImage is a boot sector, `setup_sects` sectors of real-mode setup code
// with the setup header at offset 0x1f1, then the protected-mode kernel (the
// "payload"), which Berth loads into guest RAM and enters through its 64-bit
// entry point. Berth never runs the real-mode code.
#pragma once

#include <asm/bootparam.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace berth::boot {

// Where the setup header sits in the file and in the zero page (boot.rst:
// "the setup header at offset 0x01f1 of kernel image").
inline constexpr size_t kSetupHeaderOffset = offsetof(boot_params, hdr);
// "HdrS", read as a little-endian 32-bit number (boot.rst, field "header").
inline constexpr uint32_t kHdrSMagic = 0x53726448;
inline constexpr uint16_t kBootFlag = 0xaa55;
// Protocol 2.12 added xloadflags (XLF_KERNEL_64), which the 64-bit entry needs.
inline constexpr uint16_t kMinimumBootProtocol = 0x020c;
inline constexpr uint64_t kSectorSize = 512;
// boot.rst: "If this field is 0, the real value is 4."
inline constexpr uint8_t kDefaultSetupSects = 4;
// boot.rst, "64-bit BOOT PROTOCOL": the 64-bit entry is 0x200 past the load address.
inline constexpr uint64_t kStartup64Offset = 0x200;

// What Berth needs from a bzImage's setup header, copied out of the file
// (boot.rst, "Details of Header Fields"), and where its payload lies.
struct BzImage {
    uint8_t setup_sects = 0;  // already corrected: 0 in the file reads as 4
    uint16_t version = 0;     // boot protocol, e.g. 0x020f for 2.15
    uint8_t loadflags = 0;
    uint16_t xloadflags = 0;
    bool relocatable = false;
    uint32_t kernel_alignment = 0;
    uint64_t pref_address = 0;
    uint32_t init_size = 0;  // memory the kernel needs from its load address on
    uint32_t initrd_addr_max = 0;
    uint32_t cmdline_size = 0;  // longest command line, without its NUL

    // The setup header as the zero page must receive it: the file's bytes up
    // to the header's end (0x202 + the byte at 0x201), zeros after that.
    std::array<uint8_t, sizeof(setup_header)> setup_header_bytes{};
    size_t setup_header_length = 0;

    // The protected-mode kernel: file bytes [payload_offset, +payload_size).
    uint64_t payload_offset = 0;
    uint64_t payload_size = 0;

    // The payload inside `file`, which must be the file this was parsed from.
    std::span<const uint8_t> payload(std::span<const uint8_t> file) const;
};

// The fields of `header` that BzImage keeps (version to cmdline_size); the
// header bytes, setup_sects and payload are left for the caller to fill in.
BzImage header_fields(const setup_header& header);

// Checks that `file` is a bzImage Berth can boot through the 64-bit entry
// point and copies out its header. Throws UserError with one sentence
// (without the file's path: the caller adds it) when it is not.
BzImage parse_bzimage(std::span<const uint8_t> file);

}  // namespace berth::boot
