// PCI configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2): two I/O
// registers at 0xCF8, registered on the port bus with length 8.
//
//   0xCF8  CONFIG_ADDRESS, dword accesses only: bit 31 enable, 23:16 bus,
//          15:11 device, 10:8 function, 7:2 register (bits 1:0 read 0).
//          Bits 27:24 extend the register number (AMD's extended
//          configuration access, which Linux uses on AMD family 10h and later
//          CPUs); they address offsets 256 and up, which read all ones here.
//   0xCFC  CONFIG_DATA: bytes 0xCFC..0xCFF reach the selected dword; any
//          width that stays inside it is allowed.
//
// Byte and word accesses to 0xCF8..0xCFB are not CONFIG_ADDRESS: they read
// all ones and are ignored, as on a PC (Linux probes mechanism #2 and the
// 0xCF9 reset register with them). With the enable bit clear CONFIG_DATA
// reads all ones and ignores writes.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "devices/bus_device.h"
#include "devices/pci/pci_bus.h"

namespace berth::pci {

struct ConfigAddress {
    bool enabled = false;
    uint8_t bus = 0;
    uint8_t device = 0;
    uint8_t function = 0;
    uint16_t offset = 0;  // dword aligned, 0..4092
    bool operator==(const ConfigAddress&) const = default;
};

ConfigAddress decode_config_address(uint32_t value);

class ConfigPorts final : public devices::BusDevice {
public:
    static constexpr uint64_t kConfigAddress = 0;  // offsets inside the 8 ports
    static constexpr uint64_t kConfigData = 4;
    static constexpr uint64_t kLength = 8;

    explicit ConfigPorts(std::shared_ptr<PciBus> bus);

    std::string_view name() const override { return "pci-config"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

    uint32_t config_address() const { return address_.load(std::memory_order_relaxed); }

private:
    const std::shared_ptr<PciBus> bus_;
    // The latch is shared by all vCPUs, as on real hardware; the guest
    // serialises its address/data pairs (Linux's pci_config_lock).
    std::atomic<uint32_t> address_{0};
};

}  // namespace berth::pci
