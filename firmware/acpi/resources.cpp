#include "firmware/acpi/resources.h"

namespace berth::acpi::resources {
namespace {

// Large resource item names (§6.4.3) and address-space resource types.
constexpr uint8_t kDWordAddressSpace = 0x87;
constexpr uint8_t kWordAddressSpace = 0x88;
constexpr uint8_t kResourceTypeMemory = 0;
constexpr uint8_t kResourceTypeIo = 1;
constexpr uint8_t kResourceTypeBusNumber = 2;
// General flags: bit 3 max address fixed, bit 2 min address fixed, bit 0
// clear = this device produces (forwards) the range.
constexpr uint8_t kProducerFixedRange = 0x0c;
// Type-specific flags: I/O "entire range" (ISA and non-ISA ports);
// memory read/write, non-cacheable.
constexpr uint8_t kIoEntireRange = 0x03;
constexpr uint8_t kMemoryReadWriteNonCacheable = 0x01;
constexpr uint8_t kIoPortDescriptor = 0x47;  // small item, 7 bytes of data
constexpr uint8_t kIoDecode16 = 0x01;
constexpr uint8_t kEndTag = 0x79;  // small item, 1 byte of data

void put16(aml::Bytes& out, uint16_t value) {
    out.push_back(static_cast<uint8_t>(value));
    out.push_back(static_cast<uint8_t>(value >> 8));
}

void put32(aml::Bytes& out, uint32_t value) {
    put16(out, static_cast<uint16_t>(value));
    put16(out, static_cast<uint16_t>(value >> 16));
}

// Granularity, minimum, maximum, translation offset, length: §6.4.3.5.
aml::Bytes word_address(uint8_t type, uint8_t type_flags, uint16_t first, uint16_t last) {
    aml::Bytes out{kWordAddressSpace};
    put16(out, 13);  // bytes of data after this length field
    out.insert(out.end(), {type, kProducerFixedRange, type_flags});
    put16(out, 0);  // granularity
    put16(out, first);
    put16(out, last);
    put16(out, 0);  // translation offset
    put16(out, static_cast<uint16_t>(last - first + 1));
    return out;
}

}  // namespace

aml::Bytes word_bus_number(uint16_t first, uint16_t last) {
    return word_address(kResourceTypeBusNumber, 0, first, last);
}

aml::Bytes word_io(uint16_t first, uint16_t last) {
    return word_address(kResourceTypeIo, kIoEntireRange, first, last);
}

aml::Bytes dword_memory(uint32_t first, uint32_t last) {
    aml::Bytes out{kDWordAddressSpace};
    put16(out, 23);
    out.insert(out.end(), {kResourceTypeMemory, kProducerFixedRange, kMemoryReadWriteNonCacheable});
    put32(out, 0);  // granularity
    put32(out, first);
    put32(out, last);
    put32(out, 0);  // translation offset
    put32(out, last - first + 1);
    return out;
}

aml::Bytes io_port(uint16_t port, uint8_t length) {
    aml::Bytes out{kIoPortDescriptor, kIoDecode16};
    put16(out, port);  // minimum base
    put16(out, port);  // maximum base
    out.push_back(1);  // alignment
    out.push_back(length);
    return out;
}

aml::Bytes resource_template(const std::vector<aml::Bytes>& descriptors) {
    aml::Bytes data;
    for (const auto& descriptor : descriptors) {
        data.insert(data.end(), descriptor.begin(), descriptor.end());
    }
    // A zero checksum byte means "treat the template as checksummed".
    data.insert(data.end(), {kEndTag, 0x00});
    // DefBuffer := BufferOp PkgLength BufferSize ByteList
    const aml::Bytes size = aml::integer(data.size());
    aml::Bytes body = size;
    body.insert(body.end(), data.begin(), data.end());
    aml::Bytes out{aml::BufferOp};
    const aml::Bytes length = aml::pkg_length(body.size());
    out.insert(out.end(), length.begin(), length.end());
    out.insert(out.end(), body.begin(), body.end());
    return out;
}

}  // namespace berth::acpi::resources
