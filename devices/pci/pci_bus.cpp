#include "devices/pci/pci_bus.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

#include "devices/bus_device.h"
#include "devices/pci/host_bridge.h"
#include "vmm/common/error.h"

namespace berth::pci {
namespace {

// What the MMIO or port bus sees of one decoded BAR: accesses at an offset
// inside the BAR, forwarded to the device with the BAR's index.
class BarRegion final : public devices::BusDevice {
public:
    BarRegion(std::shared_ptr<PciDevice> device, unsigned bar)
        : device_(std::move(device)), bar_(bar) {}

    std::string_view name() const override { return device_->name(); }
    void read(uint64_t offset, std::span<uint8_t> data) override {
        device_->bar_read(bar_, offset, data);
    }
    void write(uint64_t offset, std::span<const uint8_t> data) override {
        device_->bar_write(bar_, offset, data);
    }

private:
    const std::shared_ptr<PciDevice> device_;
    const unsigned bar_;
};

const char* kind_name(BarKind kind) {
    return kind == BarKind::kIo ? "I/O" : "memory";
}

}  // namespace

PciBus::PciBus(devices::Bus& mmio_bus, devices::Bus& io_bus, PciWindows windows)
    : mmio_bus_(mmio_bus), io_bus_(io_bus), windows_(windows) {
    std::lock_guard lock(mutex_);
    slots_[kHostBridgeSlot].device = std::make_shared<HostBridge>();
}

PciBus::~PciBus() {
    std::lock_guard lock(mutex_);
    for (Slot& slot : slots_) {
        for (unsigned bar = 0; bar < slot.mapped.size(); ++bar) {
            if (slot.mapped[bar]) {
                bus_for(slot.device->config_space().bar(bar)->kind).remove(*slot.mapped[bar]);
            }
        }
    }
}

devices::Bus& PciBus::bus_for(BarKind kind) const {
    return kind == BarKind::kIo ? io_bus_ : mmio_bus_;
}

const AddressWindow& PciBus::window_for(BarKind kind) const {
    return kind == BarKind::kIo ? windows_.io : windows_.mmio;
}

unsigned PciBus::add_device(std::shared_ptr<PciDevice> device) {
    if (!device) {
        throw std::invalid_argument("PCI: no device");
    }
    std::lock_guard lock(mutex_);
    auto free = std::find_if(slots_.begin(), slots_.end(),
                             [](const Slot& slot) { return slot.device == nullptr; });
    if (free == slots_.end()) {
        throw UserError(fmt::format("too many PCI devices: bus 0 has {} slots, {} for devices",
                                    kSlots, kSlots - 1));
    }
    assign_bars_locked(*device);
    free->device = std::move(device);
    const auto slot = static_cast<unsigned>(free - slots_.begin());
    update_decoding_locked(slot);
    return slot;
}

void PciBus::assign_bars_locked(PciDevice& device) {
    ConfigSpace& config = device.config_space();
    for (unsigned bar = 0; bar < slots_[0].mapped.size(); ++bar) {
        const std::optional<BarSpec> spec = config.bar(bar);
        if (!spec) {
            continue;
        }
        const AddressWindow& window = window_for(spec->kind);
        uint64_t& cursor = spec->kind == BarKind::kIo ? next_io_ : next_mmio_;
        // Natural alignment (§6.2.5.1): round the first free address up to the
        // size, which add_bar() checked is a power of two.
        uint64_t first_free = 0;
        uint64_t address = 0;
        const bool overflow = __builtin_add_overflow(window.start, cursor, &first_free) ||
                              __builtin_add_overflow(first_free, spec->size - 1, &address);
        address &= ~(spec->size - 1);
        if (overflow || !bar_fits(address, spec->size, window)) {
            throw UserError(fmt::format(
                "the PCI {} window ({:#x} bytes) has no room for {}'s BAR {} of {:#x} bytes",
                kind_name(spec->kind), window.size, device.name(), bar, spec->size));
        }
        config.set_bar_address(bar, address);
        cursor = address + spec->size - window.start;
    }
}

void PciBus::update_decoding_locked(unsigned slot_index) {
    Slot& slot = slots_[slot_index];
    ConfigSpace& config = slot.device->config_space();
    const auto before = slot.mapped;

    std::array<std::optional<uint64_t>, 6> wanted{};
    for (unsigned bar = 0; bar < wanted.size(); ++bar) {
        const std::optional<BarSpec> spec = config.bar(bar);
        if (spec && config.bar_decoding_enabled(bar)) {
            wanted[bar] = config.bar_address(bar);
        }
    }
    // Take down what moved or stopped first, so that a BAR may take a place
    // another one of the same device has just left.
    for (unsigned bar = 0; bar < wanted.size(); ++bar) {
        if (slot.mapped[bar] && slot.mapped[bar] != wanted[bar]) {
            bus_for(config.bar(bar)->kind).remove(*slot.mapped[bar]);
            slot.mapped[bar].reset();
        }
    }
    for (unsigned bar = 0; bar < wanted.size(); ++bar) {
        if (!wanted[bar]) {
            slot.refused[bar].reset();
            continue;
        }
        if (slot.mapped[bar] == wanted[bar]) {
            continue;
        }
        const BarSpec spec = *config.bar(bar);
        bool placed = bar_fits(*wanted[bar], spec.size, window_for(spec.kind));
        if (placed) {
            try {
                bus_for(spec.kind).insert(*wanted[bar], spec.size,
                                          std::make_shared<BarRegion>(slot.device, bar));
            } catch (const std::invalid_argument&) {
                placed = false;  // it overlaps another range on the bus
            }
        }
        if (placed) {
            slot.mapped[bar] = wanted[bar];
            slot.refused[bar].reset();
            continue;
        }
        // Tried again on every configuration write (an overlapping BAR may
        // have moved away since), but counted once per address.
        if (slot.refused[bar] == wanted[bar]) {
            continue;
        }
        slot.refused[bar] = wanted[bar];
        if (refused_++ == 0) {
            // Once per bus: a guest that keeps trying must not flood the terminal.
            fmt::print(stderr,
                       "\r\nberth: pci: {} BAR {} moved by the guest to {:#x} (+{:#x}), outside "
                       "the PCI window or onto another device; not decoded\r\n",
                       slot.device->name(), bar, *wanted[bar], spec.size);
        }
    }
    for (unsigned bar = 0; bar < wanted.size(); ++bar) {
        if (slot.mapped[bar] != before[bar]) {
            slot.device->bar_mapped(bar, slot.mapped[bar]);
        }
    }
}

PciDevice* PciBus::function_locked(uint8_t bus, uint8_t device, uint8_t function) const {
    if (bus != 0 || device >= kSlots || function != 0) {
        return nullptr;
    }
    return slots_[device].device.get();
}

void PciBus::config_read(uint8_t bus, uint8_t device, uint8_t function, uint16_t offset,
                         std::span<uint8_t> data) {
    std::lock_guard lock(mutex_);
    PciDevice* target = function_locked(bus, device, function);
    if (!target || offset >= ConfigSpace::kSize ||
        data.size() > size_t{ConfigSpace::kSize} - offset) {
        std::fill(data.begin(), data.end(), 0xff);
        return;
    }
    target->config_read(offset, data);
}

void PciBus::config_write(uint8_t bus, uint8_t device, uint8_t function, uint16_t offset,
                          std::span<const uint8_t> data) {
    std::lock_guard lock(mutex_);
    PciDevice* target = function_locked(bus, device, function);
    if (!target || offset >= ConfigSpace::kSize ||
        data.size() > size_t{ConfigSpace::kSize} - offset) {
        return;
    }
    target->config_write(offset, data);
    // Command and BAR writes change decoding; re-deriving it after every
    // write is cheaper than reasoning about which bytes were touched.
    update_decoding_locked(device);
}

std::optional<uint64_t> PciBus::bar_mapping(unsigned slot, unsigned bar) const {
    std::lock_guard lock(mutex_);
    if (slot >= kSlots || bar >= slots_[slot].mapped.size()) {
        return std::nullopt;
    }
    return slots_[slot].mapped[bar];
}

uint64_t PciBus::refused_bar_placements() const {
    std::lock_guard lock(mutex_);
    return refused_;
}

}  // namespace berth::pci
