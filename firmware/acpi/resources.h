// ACPI resource descriptors (ACPI 6.4 §6.4), the byte format of a _CRS
// "resource template", and the AML Buffer that carries them.
#pragma once

#include <cstdint>

#include "firmware/acpi/aml.h"

namespace berth::acpi::resources {

// §6.4.3.5.3 Word Address Space Descriptor for a bus-number range the
// device produces (a host bridge's bus range).
aml::Bytes word_bus_number(uint16_t first, uint16_t last);
// §6.4.3.5.3 Word Address Space Descriptor for an I/O window the device
// produces (decodes and forwards to its children).
aml::Bytes word_io(uint16_t first, uint16_t last);
// §6.4.3.5.2 DWord Address Space Descriptor for a memory window the device
// produces; non-cacheable, read/write (MMIO BARs live there).
aml::Bytes dword_memory(uint32_t first, uint32_t last);
// §6.4.2.5 I/O Port Descriptor with 16-bit decode, for ports the device
// itself consumes (the host bridge's 0xCF8 configuration ports).
aml::Bytes io_port(uint16_t port, uint8_t length);

// The descriptors followed by the End Tag (§6.4.2.9), wrapped in an AML
// Buffer (§20.2.5.4 DefBuffer), ready to be a _CRS value.
aml::Bytes resource_template(const std::vector<aml::Bytes>& descriptors);

}  // namespace berth::acpi::resources
