#include "devices/pci/config_ports.h"

#include <algorithm>
#include <stdexcept>

namespace berth::pci {
namespace {

constexpr uint32_t kEnable = 1u << 31;
// Bit 31, the extended register bits 27:24, bus, device, function, register;
// bits 30:28 are reserved and bits 1:0 hardwired to 0.
constexpr uint32_t kLatchedBits = 0x8fff'fffc;

uint32_t from_le(std::span<const uint8_t> data) {
    uint32_t value = 0;
    for (size_t i = 0; i < data.size() && i < 4; ++i) {
        value |= uint32_t{data[i]} << (8 * i);
    }
    return value;
}

}  // namespace

ConfigAddress decode_config_address(uint32_t value) {
    return ConfigAddress{
        .enabled = (value & kEnable) != 0,
        .bus = static_cast<uint8_t>(value >> 16),
        .device = static_cast<uint8_t>((value >> 11) & 0x1f),
        .function = static_cast<uint8_t>((value >> 8) & 0x7),
        .offset = static_cast<uint16_t>(((value >> 16) & 0xf00) | (value & 0xfc)),
    };
}

ConfigPorts::ConfigPorts(std::shared_ptr<PciBus> bus) : bus_(std::move(bus)) {
    if (!bus_) {
        throw std::invalid_argument("PCI configuration ports without a bus");
    }
}

void ConfigPorts::read(uint64_t offset, std::span<uint8_t> data) {
    if (offset == kConfigAddress && data.size() == 4) {
        const uint32_t value = config_address();
        for (size_t i = 0; i < 4; ++i) {
            data[i] = static_cast<uint8_t>(value >> (8 * i));
        }
        return;
    }
    const ConfigAddress address = decode_config_address(config_address());
    if (offset < kConfigData || offset >= kLength || data.size() > kLength - offset ||
        !address.enabled) {
        std::fill(data.begin(), data.end(), 0xff);
        return;
    }
    bus_->config_read(address.bus, address.device, address.function,
                      static_cast<uint16_t>(address.offset + (offset - kConfigData)), data);
}

void ConfigPorts::write(uint64_t offset, std::span<const uint8_t> data) {
    if (offset == kConfigAddress && data.size() == 4) {
        address_.store(from_le(data) & kLatchedBits, std::memory_order_relaxed);
        return;
    }
    const ConfigAddress address = decode_config_address(config_address());
    if (offset < kConfigData || offset >= kLength || data.size() > kLength - offset ||
        !address.enabled) {
        return;
    }
    bus_->config_write(address.bus, address.device, address.function,
                       static_cast<uint16_t>(address.offset + (offset - kConfigData)), data);
}

}  // namespace berth::pci
