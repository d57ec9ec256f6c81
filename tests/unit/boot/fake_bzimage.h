// Synthetic bzImages for the boot tests: a boot sector with a setup header,
// setup sectors, and a payload of recognisable bytes. No real kernel needed.
#pragma once

#include <asm/bootparam.h>

#include <cstdint>
#include <vector>

#include "vmm/boot/bzimage.h"

namespace berth::boot::fake {

inline constexpr uint64_t kFakePayloadSize = 0x3000;

// A header like the Debian 6.1 cloud kernel's, with a smaller init_size.
inline setup_header fake_header() {
    setup_header header{};
    header.setup_sects = 4;
    header.syssize = kFakePayloadSize / 16;
    header.boot_flag = kBootFlag;
    header.jump = 0x6aeb;  // "jmp short +0x6a": the header ends at 0x202 + 0x6a = 0x26c
    header.header = kHdrSMagic;
    header.version = 0x020f;
    header.loadflags = LOADED_HIGH;
    header.kernel_alignment = 0x200000;
    header.relocatable_kernel = 1;
    header.min_alignment = 21;
    header.xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
    header.cmdline_size = 2047;
    header.initrd_addr_max = 0x7fffffff;
    header.pref_address = 0x1000000;
    header.init_size = 0x800000;         // 8 MiB
    header.kernel_info_offset = 0x1234;  // the last field: shows what is copied
    return header;
}

// The byte at `offset` into the payload.
inline uint8_t payload_byte(uint64_t offset) {
    return static_cast<uint8_t>(offset * 7 + 3);
}

inline std::vector<uint8_t> make_bzimage(const setup_header& header,
                                         uint64_t payload_size = kFakePayloadSize) {
    const uint64_t setup_sects = header.setup_sects == 0 ? 4 : header.setup_sects;
    const uint64_t payload_offset = (setup_sects + 1) * 512;
    std::vector<uint8_t> file(payload_offset + payload_size, 0xcc);
    // setup_header is packed plain data: its bytes are the on-disk header.
    // (A byte loop: GCC 12 wrongly warns that a memcpy here overflows.)
    const auto* header_bytes = reinterpret_cast<const uint8_t*>(&header);
    for (size_t i = 0; i < sizeof(header); ++i) {
        file[kSetupHeaderOffset + i] = header_bytes[i];
    }
    for (uint64_t i = 0; i < payload_size; ++i) {
        file[payload_offset + i] = payload_byte(i);
    }
    return file;
}

}  // namespace berth::boot::fake
