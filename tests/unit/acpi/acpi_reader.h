// Test helper: reads an ACPI image the way an OS does. It knows only the
// spec's field offsets (ACPI 6.4 §5.2), never where the builder put a table:
// everything is found by following pointers from the RSDP.
#pragma once

#include <cstdint>
#include <map>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "firmware/acpi/acpi_tables.h"

namespace berth::acpi::testing {

class AcpiReader {
public:
    AcpiReader(GuestAddress base, const std::vector<uint8_t>& bytes)
        : base_(base.value()), bytes_(bytes) {}

    // Little-endian integer of `size` bytes at a guest-physical address;
    // throws when any byte lies outside the image.
    uint64_t le(uint64_t address, unsigned size) const {
        auto span = at(address, size);
        uint64_t value = 0;
        for (unsigned i = 0; i < size; ++i) {
            value |= static_cast<uint64_t>(span[i]) << (8 * i);
        }
        return value;
    }
    uint8_t u8(uint64_t address) const { return static_cast<uint8_t>(le(address, 1)); }
    uint16_t u16(uint64_t address) const { return static_cast<uint16_t>(le(address, 2)); }
    uint32_t u32(uint64_t address) const { return static_cast<uint32_t>(le(address, 4)); }
    uint64_t u64(uint64_t address) const { return le(address, 8); }
    std::string text(uint64_t address, size_t size) const {
        auto span = at(address, size);
        return std::string(span.begin(), span.end());
    }

    std::span<const uint8_t> at(uint64_t address, uint64_t size) const {
        if (address < base_ || address - base_ > bytes_.size() ||
            size > bytes_.size() - (address - base_)) {
            throw std::out_of_range("address outside the ACPI image");
        }
        return std::span(bytes_).subspan(address - base_, size);
    }

    // A table with a standard header (§5.2.6): its bytes, by its Length field.
    std::span<const uint8_t> table(uint64_t address) const { return at(address, u32(address + 4)); }
    std::string signature(uint64_t address) const { return text(address, 4); }

    static uint8_t sum(std::span<const uint8_t> bytes) {
        return static_cast<uint8_t>(std::accumulate(bytes.begin(), bytes.end(), 0u));
    }

    // RSDP fields (§5.2.5.3).
    uint64_t xsdt(uint64_t rsdp) const { return u64(rsdp + 24); }
    uint32_t rsdt(uint64_t rsdp) const { return u32(rsdp + 16); }

    // Entries of the XSDT (8 bytes each) or RSDT (4 bytes each) after the header.
    std::vector<uint64_t> entries(uint64_t root, unsigned entry_size) const {
        const uint32_t length = u32(root + 4);
        std::vector<uint64_t> result;
        for (uint64_t offset = 36; offset + entry_size <= length; offset += entry_size) {
            result.push_back(le(root + offset, entry_size));
        }
        return result;
    }

    // The XSDT's tables by signature (as an OS would index them).
    std::map<std::string, uint64_t> tables_by_signature(uint64_t rsdp) const {
        std::map<std::string, uint64_t> result;
        for (uint64_t address : entries(xsdt(rsdp), 8)) {
            result[signature(address)] = address;
        }
        return result;
    }

private:
    uint64_t base_;
    const std::vector<uint8_t>& bytes_;
};

}  // namespace berth::acpi::testing
