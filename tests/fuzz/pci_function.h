// A PCI function for tests/fuzz/fuzz_pci_config.cpp: the BARs it is given,
// MSI-X (table and PBA where it is told), and a plain register file behind
// every other BAR byte. It checks on every BAR access that the bus handed it
// an access of 1, 2, 4 or 8 bytes lying wholly inside one of its BARs, and
// records the last access and every bar_mapped() call for the target to
// compare with what the bus should have done.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "devices/pci/config_space.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_device.h"
#include "tests/fuzz/check.h"

namespace berth::pci::fuzz {

class PciFunction final : public PciDevice {
public:
    struct Access {
        unsigned bar = 0;
        uint64_t offset = 0;
        size_t size = 0;
        bool write = false;
        bool operator==(const Access&) const = default;
    };

    PciFunction(std::string name, const std::vector<std::pair<unsigned, BarSpec>>& bars,
                uint16_t vectors, const Msix::Placement& placement, std::shared_ptr<MsiSink> sink)
        : name_(std::move(name)),
          config_(ConfigSpace::Identity{.vendor_id = 0x1af4,
                                        .device_id = 0x10ff,
                                        .class_code = 0xff0000,
                                        .subsystem_vendor_id = 0x1af4,
                                        .subsystem_id = 0x10ff,
                                        .interrupt_pin = 1}),
          msix_(vectors, std::move(sink)) {
        for (const auto& [index, spec] : bars) {
            config_.add_bar(index, spec);
            registers_[index].resize(spec.size);
        }
        msix_.add_capability(config_, placement);
    }

    std::string_view name() const override { return name_; }
    ConfigSpace& config_space() override { return config_; }
    Msix& msix() { return msix_; }

    void config_write(uint16_t offset, std::span<const uint8_t> data) override {
        PciDevice::config_write(offset, data);
        msix_.control_written(config_);
    }

    void bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) override {
        std::span<uint8_t> registers = accept(bar, offset, data.size(), false);
        if (!msix_.bar_read(bar, offset, data)) {
            std::copy_n(registers.begin(), data.size(), data.begin());
        }
    }
    void bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) override {
        std::span<uint8_t> registers = accept(bar, offset, data.size(), true);
        if (!msix_.bar_write(bar, offset, data)) {
            std::copy(data.begin(), data.end(), registers.begin());
        }
    }
    void bar_mapped(unsigned bar, std::optional<uint64_t> address) override {
        CHECK(config_.bar(bar).has_value());
        mapped_[bar] = address;
    }

    uint64_t accesses() const { return accesses_; }
    const Access& last_access() const { return last_access_; }
    std::optional<uint64_t> notified_mapping(unsigned bar) const { return mapped_[bar]; }

private:
    std::span<uint8_t> accept(unsigned bar, uint64_t offset, size_t size, bool write) {
        CHECK(size == 1 || size == 2 || size == 4 || size == 8);
        CHECK(bar < registers_.size());
        const std::optional<BarSpec> spec = config_.bar(bar);
        CHECK(spec.has_value() && mapped_[bar].has_value());
        CHECK(offset < spec->size && size <= spec->size - offset);
        ++accesses_;
        last_access_ = {bar, offset, size, write};
        return std::span(registers_[bar]).subspan(offset, size);
    }

    const std::string name_;
    ConfigSpace config_;
    Msix msix_;
    std::array<std::vector<uint8_t>, 6> registers_;
    std::array<std::optional<uint64_t>, 6> mapped_{};
    uint64_t accesses_ = 0;
    Access last_access_;
};

}  // namespace berth::pci::fuzz
