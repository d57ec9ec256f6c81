// The host bridge at 00:00.0: the function that tells the guest's PCI code
// this is a PCI host (PCI Local Bus 3.0 §6.2.1, class 06h/00h "Host bridge").
// Linux's type-1 sanity check (arch/x86/pci/direct.c) looks for a host bridge
// or VGA class on bus 0 before trusting configuration mechanism #1.
//
// It has no BARs and no capabilities. The identity is Red Hat's generic "QEMU
// PCIe host bridge" (1b36:0008), which carries no chipset quirks in Linux.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "devices/pci/pci_device.h"

namespace berth::pci {

class HostBridge final : public PciDevice {
public:
    static constexpr uint16_t kVendorId = 0x1b36;  // Red Hat, Inc.
    static constexpr uint16_t kDeviceId = 0x0008;  // PCIe host bridge
    // PCI Code and ID Assignment 1.x: base class 06h (bridge), sub-class 00h (host).
    static constexpr uint32_t kClassCode = 0x060000;

    HostBridge();

    std::string_view name() const override { return "pci-host-bridge"; }
    ConfigSpace& config_space() override { return config_; }
    void bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) override;
    void bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) override;

private:
    ConfigSpace config_;
};

}  // namespace berth::pci
