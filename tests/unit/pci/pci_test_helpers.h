// Helpers shared by the PCI tests: little-endian accesses of 1, 2 or 4 bytes,
// as the guest would make them.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "devices/bus_device.h"
#include "devices/pci/config_space.h"

namespace berth::pci::testing {

inline uint32_t from_bytes(std::span<const uint8_t> bytes) {
    uint32_t value = 0;
    for (size_t i = 0; i < bytes.size() && i < 4; ++i) {
        value |= uint32_t{bytes[i]} << (8 * i);
    }
    return value;
}

inline std::array<uint8_t, 4> to_bytes(uint32_t value) {
    return {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
            static_cast<uint8_t>(value >> 16), static_cast<uint8_t>(value >> 24)};
}

inline uint32_t guest_read(const ConfigSpace& config, unsigned offset, unsigned size) {
    std::array<uint8_t, 4> bytes{};
    config.read(static_cast<uint16_t>(offset), std::span(bytes.data(), size));
    return from_bytes(std::span(bytes.data(), size));
}

inline void guest_write(ConfigSpace& config, unsigned offset, unsigned size, uint32_t value) {
    const auto bytes = to_bytes(value);
    config.write(static_cast<uint16_t>(offset), std::span(bytes.data(), size));
}

// An access to a device on a bus (the configuration ports, a BAR).
inline uint32_t device_read(devices::BusDevice& device, uint64_t offset, unsigned size) {
    std::array<uint8_t, 4> bytes{};
    device.read(offset, std::span(bytes.data(), size));
    return from_bytes(std::span(bytes.data(), size));
}

inline void device_write(devices::BusDevice& device, uint64_t offset, unsigned size,
                         uint32_t value) {
    const auto bytes = to_bytes(value);
    device.write(offset, std::span(bytes.data(), size));
}

}  // namespace berth::pci::testing
