#include "vmm/boot/bzimage.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "vmm/common/error.h"

namespace berth::boot {
namespace {

// boot.rst writes protocol versions as major.minor with two minor digits (2.08, 2.15).
std::string protocol_string(uint16_t version) {
    return fmt::format("{}.{:02}", version >> 8, version & 0xff);
}

bool is_power_of_two(uint32_t value) {
    return value != 0 && (value & (value - 1)) == 0;
}

}  // namespace

std::span<const uint8_t> BzImage::payload(std::span<const uint8_t> file) const {
    if (payload_offset > file.size() || payload_size > file.size() - payload_offset) {
        throw std::invalid_argument("BzImage::payload: not the file this header was parsed from");
    }
    return file.subspan(payload_offset, payload_size);
}

BzImage header_fields(const setup_header& header) {
    BzImage image;
    image.version = header.version;
    image.loadflags = header.loadflags;
    image.xloadflags = header.xloadflags;
    image.relocatable = header.relocatable_kernel != 0;
    image.kernel_alignment = header.kernel_alignment;
    image.pref_address = header.pref_address;
    image.init_size = header.init_size;
    image.initrd_addr_max = header.initrd_addr_max;
    image.cmdline_size = header.cmdline_size;
    return image;
}

BzImage parse_bzimage(std::span<const uint8_t> file) {
    if (file.size() < kSetupHeaderOffset + sizeof(setup_header)) {
        throw UserError(fmt::format(
            "the file is {} bytes long, too small to hold a Linux setup header", file.size()));
    }
    // The header is packed and little-endian, as is every x86 host Berth runs on,
    // so a byte copy gives the field values directly.
    setup_header header;
    std::memcpy(&header, file.data() + kSetupHeaderOffset, sizeof(header));

    if (header.boot_flag != kBootFlag) {
        throw UserError(
            "not a bootable kernel image: the boot flag 0xAA55 is missing at offset 0x1fe");
    }
    if (header.header != kHdrSMagic) {
        throw UserError("not a Linux bzImage: the \"HdrS\" magic is missing at offset 0x202");
    }
    if (header.version < kMinimumBootProtocol) {
        throw UserError(fmt::format(
            "the kernel uses boot protocol {}, but Berth requires 2.12 or later (Linux 3.8+)",
            protocol_string(header.version)));
    }
    if ((header.xloadflags & XLF_KERNEL_64) == 0) {
        throw UserError(
            "the kernel has no 64-bit entry point (XLF_KERNEL_64 is not set in xloadflags)");
    }
    if ((header.loadflags & LOADED_HIGH) == 0) {
        throw UserError(
            "the kernel is not loaded high (LOADED_HIGH is not set): only bzImage kernels are "
            "supported, not zImage");
    }

    const uint8_t setup_sects = header.setup_sects == 0 ? kDefaultSetupSects : header.setup_sects;
    // The boot sector itself comes first, then setup_sects sectors of setup code.
    const uint64_t payload_offset = (uint64_t{setup_sects} + 1) * kSectorSize;
    if (payload_offset > file.size()) {
        throw UserError(
            fmt::format("the setup code ({} sectors) runs past the end of the {}-byte file",
                        setup_sects, file.size()));
    }
    const uint64_t payload_size = file.size() - payload_offset;
    // syssize counts 16-byte paragraphs; in 64 bits this cannot overflow.
    const uint64_t declared_size = uint64_t{header.syssize} * 16;
    if (payload_size < declared_size) {
        throw UserError(
            fmt::format("the kernel is truncated: {} bytes of its protected-mode code are missing",
                        declared_size - payload_size));
    }
    if (header.init_size == 0) {
        throw UserError("the kernel's setup header gives init_size 0, the memory it needs to run");
    }
    const bool relocatable = header.relocatable_kernel != 0;
    if (relocatable && !is_power_of_two(header.kernel_alignment)) {
        throw UserError(fmt::format("the kernel's alignment {:#x} is not a power of two",
                                    uint32_t{header.kernel_alignment}));
    }

    BzImage image = header_fields(header);
    image.setup_sects = setup_sects;

    // boot.rst, "64-bit BOOT PROTOCOL": the header ends at 0x202 + the byte at
    // 0x201 (the operand of the short jump at 0x200). A newer kernel's header
    // may be longer than the struct Berth knows; the rest is left out.
    const size_t header_end = 0x202 + size_t{file[0x201]};
    const size_t header_length = std::min(header_end - kSetupHeaderOffset, sizeof(setup_header));
    std::copy_n(file.begin() + kSetupHeaderOffset, header_length, image.setup_header_bytes.begin());
    image.setup_header_length = header_length;

    image.payload_offset = payload_offset;
    image.payload_size = payload_size;
    return image;
}

}  // namespace berth::boot
