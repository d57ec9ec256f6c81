#include "firmware/acpi/sdt.h"

#include <stdexcept>

namespace berth::acpi {

GenericAddress io_port_register(uint16_t port, uint8_t bit_width, uint8_t access_size) {
    GenericAddress gas{};
    gas.address_space_id = ADDRESS_SPACE_SYSTEM_IO;
    gas.register_bit_width = bit_width;
    gas.register_bit_offset = 0;
    gas.access_size = access_size;
    gas.address = port;
    return gas;
}

uint8_t checksum_of(std::span<const uint8_t> bytes) {
    uint8_t sum = 0;
    for (uint8_t byte : bytes) {
        sum = static_cast<uint8_t>(sum + byte);
    }
    return static_cast<uint8_t>(-sum);
}

SdtHeader make_sdt_header(std::string_view signature, uint8_t revision) {
    if (signature.size() != 4) {
        throw std::invalid_argument("ACPI table signature must be 4 characters");
    }
    SdtHeader header{};
    std::memcpy(header.signature, signature.data(), 4);
    header.revision = revision;
    copy_id(header.oem_id, kOemId);
    copy_id(header.oem_table_id, kOemTableId);
    header.oem_revision = kOemRevision;
    copy_id(header.creator_id, kCreatorId);
    header.creator_revision = kCreatorRevision;
    return header;
}

void finish_table(std::vector<uint8_t>& table) {
    if (table.size() < sizeof(SdtHeader) || table.size() > UINT32_MAX) {
        throw std::invalid_argument("ACPI table has no room for its header or is too large");
    }
    const auto length = static_cast<uint32_t>(table.size());
    std::memcpy(table.data() + offsetof(SdtHeader, length), &length, sizeof(length));
    table[offsetof(SdtHeader, checksum)] = 0;
    table[offsetof(SdtHeader, checksum)] = checksum_of(table);
}

}  // namespace berth::acpi
