// The pieces every ACPI table shares: the system description table header,
// the generic address structure, checksums, and Berth's identity strings.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace berth::acpi {

// ACPI is little-endian and the tables are built by copying packed structs
// byte for byte, which is only right on a little-endian host.
static_assert(std::endian::native == std::endian::little);

// The identity Berth writes into every table (ACPI 6.4 §5.2.6: OEMID is 6
// bytes, OEM Table ID 8, Creator ID 4; all padded with spaces, not NUL).
inline constexpr std::string_view kOemId = "BERTH ";
inline constexpr std::string_view kOemTableId = "BERTHVM ";
inline constexpr std::string_view kCreatorId = "BRTH";
inline constexpr uint32_t kOemRevision = 1;
inline constexpr uint32_t kCreatorRevision = 1;

// System Description Table Header (ACPI 6.4 §5.2.6, Table 5.4). Starts every
// table except the RSDP and the FACS.
struct __attribute__((packed)) SdtHeader {
    char signature[4];
    uint32_t length;  // of the whole table, header included
    uint8_t revision;
    uint8_t checksum;  // makes all bytes of the table sum to 0 (mod 256)
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    char creator_id[4];
    uint32_t creator_revision;
};
static_assert(sizeof(SdtHeader) == 36);
static_assert(offsetof(SdtHeader, length) == 4);
static_assert(offsetof(SdtHeader, checksum) == 9);

// Generic Address Structure (ACPI 6.4 §5.2.3.2, Table 5.1): where a register
// lives. Berth's registers are all in I/O port space.
struct __attribute__((packed)) GenericAddress {
    uint8_t address_space_id;
    uint8_t register_bit_width;
    uint8_t register_bit_offset;
    uint8_t access_size;  // 0 = undefined (legacy), 1 = byte, 2 = word, ...
    uint64_t address;
};
static_assert(sizeof(GenericAddress) == 12);

inline constexpr uint8_t ADDRESS_SPACE_SYSTEM_IO = 1;  // Table 5.1, Address Space ID
inline constexpr uint8_t ACCESS_SIZE_BYTE = 1;

// An I/O-port register of `bit_width` bits (access size left to the OS, as
// legacy fixed-hardware registers have it).
GenericAddress io_port_register(uint16_t port, uint8_t bit_width, uint8_t access_size = 0);

// The byte that makes `bytes` sum to zero modulo 256 when it replaces a zero
// byte among them (ACPI 6.4 §5.2.6 "Checksum").
uint8_t checksum_of(std::span<const uint8_t> bytes);

// A header with Berth's identity, the given signature and revision, and
// length and checksum still zero (finish_table fills them).
SdtHeader make_sdt_header(std::string_view signature, uint8_t revision);

// Writes the table's final length into its header and sets the checksum so
// that all of its bytes sum to zero. `table` starts with an SdtHeader.
void finish_table(std::vector<uint8_t>& table);

// Appends the bytes of a packed spec structure (no padding, little-endian).
template <typename T>
void append_struct(std::vector<uint8_t>& out, const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    // resize + memcpy rather than insert(): g++ 12 at -O2 warns falsely
    // (-Wstringop-overflow) about vector::insert of a range into an empty vector.
    const size_t offset = out.size();
    out.resize(offset + sizeof(T));
    std::memcpy(out.data() + offset, &value, sizeof(T));
}

// Copies a fixed-size identity string (exactly as long as the field).
template <size_t N>
void copy_id(char (&field)[N], std::string_view text) {
    static_assert(N > 0);
    std::memset(field, ' ', N);
    std::memcpy(field, text.data(), text.size() < N ? text.size() : N);
}

}  // namespace berth::acpi
