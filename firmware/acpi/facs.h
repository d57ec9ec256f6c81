// Firmware ACPI Control Structure (ACPI 6.4 §5.2.10, Table 5.13).
#pragma once

#include <cstdint>
#include <vector>

namespace berth::acpi {

// Berth has no firmware waking vector and no global lock users; the OS still
// expects a FACS behind the FADT's FIRMWARE_CTRL. It has no checksum.
struct __attribute__((packed)) Facs {
    char signature[4];  // "FACS"
    uint32_t length;    // 64
    uint32_t hardware_signature;
    uint32_t firmware_waking_vector;
    uint32_t global_lock;
    uint32_t flags;
    uint64_t x_firmware_waking_vector;
    uint8_t version;  // 2
    uint8_t reserved0[3];
    uint32_t ospm_flags;
    uint8_t reserved1[24];
};
static_assert(sizeof(Facs) == 64);

inline constexpr uint8_t kFacsVersion = 2;
inline constexpr uint64_t kFacsAlignment = 64;  // "aligned on a 64-byte boundary"

std::vector<uint8_t> build_facs();

}  // namespace berth::acpi
