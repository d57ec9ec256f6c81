// Test doubles shared by the device tests.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <vector>

#include "devices/bus_device.h"
#include "devices/irq_line.h"

namespace berth::devices::testing {

// Records every set_level() call, so tests can check both the level and that
// the device only reports changes.
class FakeIrqLine final : public IrqLine {
public:
    void set_level(bool high) override {
        std::lock_guard lock(mutex_);
        changes_.push_back(high);
    }
    std::vector<bool> changes() const {
        std::lock_guard lock(mutex_);
        return changes_;
    }
    bool level() const {
        std::lock_guard lock(mutex_);
        return !changes_.empty() && changes_.back();
    }

private:
    mutable std::mutex mutex_;
    std::vector<bool> changes_;
};

// One-byte register accesses, as the bus would make them.
inline uint8_t read8(BusDevice& device, uint64_t offset) {
    uint8_t value = 0;
    device.read(offset, std::span<uint8_t>(&value, 1));
    return value;
}

inline void write8(BusDevice& device, uint64_t offset, uint8_t value) {
    device.write(offset, std::span<const uint8_t>(&value, 1));
}

}  // namespace berth::devices::testing
