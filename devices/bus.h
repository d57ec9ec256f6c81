// An address space (I/O ports or MMIO) split into non-overlapping ranges, each
// owned by one device. The vCPU exit loop only asks the bus to dispatch.
//
// Most ranges are registered while the VM is assembled, before any vCPU runs;
// PCI BARs are also removed and re-inserted at run time when the guest moves
// them or toggles decoding. A reader-writer lock protects the map: dispatch
// takes it shared only to find the device (and a reference to it), then calls
// the device without the lock, so a device may itself change the bus.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>

#include "devices/bus_device.h"

namespace berth::devices {

class Bus {
public:
    explicit Bus(std::string name) : name_(std::move(name)) {}

    // Registers [base, base + length) for `device`. Throws std::invalid_argument
    // for an empty range, one that wraps around, one that overlaps another, or
    // a null device.
    void insert(uint64_t base, uint64_t length, std::shared_ptr<BusDevice> device);

    // Unregisters the range that starts exactly at `base`. Returns false (and
    // changes nothing) when no range starts there. An access already
    // dispatched to the device may still complete after remove() returns.
    bool remove(uint64_t base);

    struct Match {
        BusDevice* device = nullptr;
        uint64_t offset = 0;  // of the access inside the device's range
    };
    // The device whose range contains all of [address, address + length).
    // `device` stays valid while its range is registered.
    std::optional<Match> find(uint64_t address, uint64_t length) const;

    // Dispatch an access. Returns false when no device claims it: a read then
    // yields all-ones (as an empty ISA bus or PCI master abort would) and a
    // write is dropped. Either way the access is counted, never fatal.
    bool read(uint64_t address, std::span<uint8_t> data) const;
    bool write(uint64_t address, std::span<const uint8_t> data) const;

    uint64_t unhandled_accesses() const { return unhandled_.load(std::memory_order_relaxed); }
    const std::string& name() const { return name_; }

private:
    struct Range {
        uint64_t length;
        std::shared_ptr<BusDevice> device;
    };
    struct Found {
        std::shared_ptr<BusDevice> device;
        uint64_t offset = 0;
    };
    std::optional<Found> lookup(uint64_t address, uint64_t length) const;

    std::string name_;
    mutable std::shared_mutex mutex_;   // protects ranges_
    std::map<uint64_t, Range> ranges_;  // keyed by base address
    mutable std::atomic<uint64_t> unhandled_{0};
};

}  // namespace berth::devices
