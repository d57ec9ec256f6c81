// A PCI function for bus tests: BARs as given, BAR reads return the BAR's
// index in every byte, and every access and bar_mapped() call is recorded.
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "devices/pci/pci_device.h"

namespace berth::pci::testing {

class FakePciDevice final : public PciDevice {
public:
    static constexpr uint16_t kVendorId = 0x1af4;
    static constexpr uint16_t kDeviceId = 0x1044;

    explicit FakePciDevice(std::vector<std::pair<unsigned, BarSpec>> bars = {},
                           std::string name = "fake-pci")
        : name_(std::move(name)), config_(ConfigSpace::Identity{kVendorId, kDeviceId, 0x00ff00}) {
        for (const auto& [index, spec] : bars) {
            config_.add_bar(index, spec);
        }
    }

    std::string_view name() const override { return name_; }
    ConfigSpace& config_space() override { return config_; }

    void bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) override {
        std::lock_guard lock(mutex_);
        accesses.push_back({bar, offset, data.size(), false});
        std::fill(data.begin(), data.end(), static_cast<uint8_t>(bar));
    }
    void bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) override {
        std::lock_guard lock(mutex_);
        accesses.push_back({bar, offset, data.size(), true});
    }
    void bar_mapped(unsigned bar, std::optional<uint64_t> address) override {
        std::lock_guard lock(mutex_);
        mappings.push_back({bar, address});
    }

    struct Access {
        unsigned bar;
        uint64_t offset;
        size_t size;
        bool write;
        bool operator==(const Access&) const = default;
    };
    struct Mapping {
        unsigned bar;
        std::optional<uint64_t> address;
        bool operator==(const Mapping&) const = default;
    };
    std::vector<Access> accesses;
    std::vector<Mapping> mappings;

private:
    std::mutex mutex_;
    const std::string name_;
    ConfigSpace config_;
};

}  // namespace berth::pci::testing
