#include "firmware/acpi/root_tables.h"

#include <stdexcept>

namespace berth::acpi {

std::vector<uint8_t> build_rsdp(uint32_t rsdt_address, uint64_t xsdt_address) {
    Rsdp rsdp{};
    std::memcpy(rsdp.signature, "RSD PTR ", 8);
    copy_id(rsdp.oem_id, kOemId);
    rsdp.revision = kRsdpRevision;
    rsdp.rsdt_address = rsdt_address;
    rsdp.length = sizeof(Rsdp);
    rsdp.xsdt_address = xsdt_address;

    std::vector<uint8_t> bytes;
    append_struct(bytes, rsdp);
    // Both checksums are computed with themselves zero; the first covers only
    // the ACPI 1.0 fields, so it is settled before the extended one.
    bytes[offsetof(Rsdp, checksum)] = checksum_of(std::span(bytes).first(offsetof(Rsdp, length)));
    bytes[offsetof(Rsdp, extended_checksum)] = checksum_of(bytes);
    return bytes;
}

std::vector<uint8_t> build_xsdt(const std::vector<uint64_t>& table_addresses) {
    std::vector<uint8_t> table;
    append_struct(table, make_sdt_header("XSDT", kXsdtRevision));
    for (uint64_t address : table_addresses) {
        append_struct(table, address);
    }
    finish_table(table);
    return table;
}

std::vector<uint8_t> build_rsdt(const std::vector<uint64_t>& table_addresses) {
    std::vector<uint8_t> table;
    append_struct(table, make_sdt_header("RSDT", kRsdtRevision));
    for (uint64_t address : table_addresses) {
        if (address > UINT32_MAX) {
            throw std::invalid_argument("RSDT entries must lie below 4 GiB");
        }
        append_struct(table, static_cast<uint32_t>(address));
    }
    finish_table(table);
    return table;
}

}  // namespace berth::acpi
