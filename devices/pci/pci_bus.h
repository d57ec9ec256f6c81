// PCI bus 0 of Berth's machine: up to 32 single-function devices, the host
// bridge at 00:00.0, BAR placement and decoding (PCI Local Bus 3.0 §6.2.5).
//
// Berth acts as the firmware: add_device() assigns every BAR of a new device
// from the windows, naturally aligned to its size, before the guest runs.
// Linux keeps firmware-assigned BARs that lie inside the host bridge's _CRS
// windows, so normally nothing moves. Decoding follows the guest: a BAR is
// registered on the MMIO (or I/O port) devices::Bus while the Command register
// enables its space and its address is acceptable, and unregistered otherwise.
//
// Policy for guest-written BAR addresses: a BAR is decoded only where its
// whole range lies inside the window for its kind (bar_fits()) and overlaps no
// other range on the bus. Anything else (RAM below the hole, the IOAPIC or
// LAPIC, another device's BAR, an address that wraps, a 64-bit BAR above 4 GiB)
// leaves the BAR undecoded: the register keeps the guest's value, accesses to
// it reach nothing (reads all ones), and refused_bar_placements() counts it.
//
// Threads: configuration accesses (from any vCPU, through ConfigPorts) are
// serialised by one mutex, which also covers the decoding state; BAR accesses
// go straight from the devices::Bus to the device without it.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>

#include "devices/bus.h"
#include "devices/pci/config_space.h"
#include "devices/pci/pci_device.h"

namespace berth::pci {

// The address ranges BARs are placed in and may be decoded in.
struct PciWindows {
    AddressWindow mmio;  // memory BARs, 32- and (for now) 64-bit, on the MMIO bus
    AddressWindow io;    // I/O BARs, on the port bus; size 0 for none
};

class PciBus {
public:
    static constexpr unsigned kSlots = 32;  // device numbers on one bus
    static constexpr unsigned kHostBridgeSlot = 0;

    // The buses BARs are registered on must outlive this object. Places the
    // host bridge at 00:00.0.
    PciBus(devices::Bus& mmio_bus, devices::Bus& io_bus, PciWindows windows);
    // Takes every decoded BAR off the buses.
    ~PciBus();
    PciBus(const PciBus&) = delete;
    PciBus& operator=(const PciBus&) = delete;

    // Plugs `device` into the lowest free slot as function 0 and assigns its
    // BARs; returns the slot. Throws UserError when all slots are taken or a
    // window has no room left, std::invalid_argument for a null device.
    unsigned add_device(std::shared_ptr<PciDevice> device);

    // A configuration access to bus/device/function/offset. Only bus 0,
    // function 0 of an occupied slot exists: anything else reads all ones and
    // ignores writes, which is how the guest learns a slot is empty. So do
    // accesses that do not lie wholly inside the 256 bytes.
    void config_read(uint8_t bus, uint8_t device, uint8_t function, uint16_t offset,
                     std::span<uint8_t> data);
    void config_write(uint8_t bus, uint8_t device, uint8_t function, uint16_t offset,
                      std::span<const uint8_t> data);

    // Where BAR `bar` of the device in `slot` is decoded now, if it is.
    std::optional<uint64_t> bar_mapping(unsigned slot, unsigned bar) const;
    // How often the guest gave a BAR, with decoding on, an address where it
    // could not be decoded (each address counted once).
    uint64_t refused_bar_placements() const;
    const PciWindows& windows() const { return windows_; }

private:
    struct Slot {
        std::shared_ptr<PciDevice> device;
        std::array<std::optional<uint64_t>, 6> mapped{};   // per BAR, where it is decoded
        std::array<std::optional<uint64_t>, 6> refused{};  // per BAR, an address last refused
    };

    PciDevice* function_locked(uint8_t bus, uint8_t device, uint8_t function) const;
    void assign_bars_locked(PciDevice& device);
    void update_decoding_locked(unsigned slot);
    devices::Bus& bus_for(BarKind kind) const;
    const AddressWindow& window_for(BarKind kind) const;

    devices::Bus& mmio_bus_;
    devices::Bus& io_bus_;
    const PciWindows windows_;

    mutable std::mutex mutex_;  // protects everything below
    std::array<Slot, kSlots> slots_{};
    uint64_t next_mmio_ = 0;  // placement cursors, from the start of each window
    uint64_t next_io_ = 0;
    uint64_t refused_ = 0;
};

}  // namespace berth::pci
