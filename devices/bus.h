// An address space (I/O ports or MMIO) split into non-overlapping ranges, each
// owned by one device. The vCPU exit loop only asks the bus to dispatch.
//
// Ranges are registered while the VM is assembled, before any vCPU runs; after
// that the map is only read, so lookups need no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
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

    struct Match {
        BusDevice* device = nullptr;
        uint64_t offset = 0;  // of the access inside the device's range
    };
    // The device whose range contains all of [address, address + length).
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
    std::string name_;
    std::map<uint64_t, Range> ranges_;  // keyed by base address
    mutable std::atomic<uint64_t> unhandled_{0};
};

}  // namespace berth::devices
