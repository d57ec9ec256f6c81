// The interface one PCI function implements to sit on Berth's PCI bus: its
// configuration space (PCI Local Bus 3.0 §6) and the registers behind its
// Base Address Registers.
//
// Threads: configuration accesses arrive one at a time (PciBus serialises
// them under its lock); BAR accesses arrive on any vCPU thread, concurrently
// with each other and with configuration accesses, so a device protects the
// state its BARs reach with its own lock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "devices/pci/config_space.h"

namespace berth::pci {

class PciDevice {
public:
    virtual ~PciDevice() = default;

    // Short name for traces and the MMIO bus, e.g. "virtio-blk".
    virtual std::string_view name() const = 0;

    virtual ConfigSpace& config_space() = 0;

    // A guest configuration access, `offset` and `data.size()` already checked
    // to lie within the 256 bytes. The defaults apply ConfigSpace's masks; a
    // device that must react to a write (MSI-X's enable and function-mask
    // bits) overrides config_write, calls the default, then reacts.
    virtual void config_read(uint16_t offset, std::span<uint8_t> data) {
        config_space().read(offset, data);
    }
    virtual void config_write(uint16_t offset, std::span<const uint8_t> data) {
        config_space().write(offset, data);
    }

    // An access to BAR `bar` at `offset` inside it; `data.size()` is the
    // access width (1, 2, 4 or 8). A read fills every byte.
    virtual void bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) = 0;

    // The bus started decoding BAR `bar` at `address`, or stopped (nullopt):
    // the guest toggled decoding in the Command register or moved the BAR.
    // A device that registered something by address for the BAR (a virtio
    // notify ioeventfd) moves it here. Called under the bus's configuration
    // lock: it must not call back into the bus.
    virtual void bar_mapped(unsigned bar, std::optional<uint64_t> address) {
        (void)bar;
        (void)address;
    }
};

}  // namespace berth::pci
