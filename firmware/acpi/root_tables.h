// The root of the table tree: the RSDP (ACPI 6.4 §5.2.5.3) points at the XSDT
// (§5.2.8, 64-bit entries) and the RSDT (§5.2.7, 32-bit entries), which list
// every other top-level table.
#pragma once

#include <cstdint>
#include <vector>

#include "firmware/acpi/sdt.h"

namespace berth::acpi {

// Root System Description Pointer, ACPI 2.0+ form (ACPI 6.4 Table 5.3).
struct __attribute__((packed)) Rsdp {
    char signature[8];  // "RSD PTR "
    uint8_t checksum;   // over the first 20 bytes (the ACPI 1.0 part)
    char oem_id[6];
    uint8_t revision;  // 2
    uint32_t rsdt_address;
    uint32_t length;  // 36
    uint64_t xsdt_address;
    uint8_t extended_checksum;  // over all 36 bytes
    uint8_t reserved[3];
};
static_assert(sizeof(Rsdp) == 36);
static_assert(offsetof(Rsdp, length) == 20);

inline constexpr uint8_t kRsdpRevision = 2;
inline constexpr uint64_t kRsdpAlignment = 16;  // §5.2.5.1: found on 16-byte boundaries
inline constexpr uint8_t kXsdtRevision = 1;
inline constexpr uint8_t kRsdtRevision = 1;

std::vector<uint8_t> build_rsdp(uint32_t rsdt_address, uint64_t xsdt_address);
std::vector<uint8_t> build_xsdt(const std::vector<uint64_t>& table_addresses);
// Every address must be below 4 GiB.
std::vector<uint8_t> build_rsdt(const std::vector<uint64_t>& table_addresses);

}  // namespace berth::acpi
