#include "devices/pci/pci_bus.h"

#include <linux/pci_regs.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "tests/unit/pci/fake_pci_device.h"
#include "tests/unit/pci/pci_test_helpers.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"

namespace berth::pci {
namespace {

using testing::FakePciDevice;
using testing::from_bytes;
using testing::to_bytes;
using Mapping = FakePciDevice::Mapping;

constexpr AddressWindow kMmioWindow{layout::kPciMmioStart.value(), layout::kPciMmioSize};
constexpr AddressWindow kIoWindow{layout::kPciIoStart, layout::kPciIoSize};

class PciBusTest : public ::testing::Test {
protected:
    uint32_t config_read(unsigned slot, unsigned offset, unsigned size) {
        std::array<uint8_t, 4> bytes{};
        bus_.config_read(0, static_cast<uint8_t>(slot), 0, static_cast<uint16_t>(offset),
                         std::span(bytes.data(), size));
        return from_bytes(std::span(bytes.data(), size));
    }
    void config_write(unsigned slot, unsigned offset, unsigned size, uint32_t value) {
        const auto bytes = to_bytes(value);
        bus_.config_write(0, static_cast<uint8_t>(slot), 0, static_cast<uint16_t>(offset),
                          std::span(bytes.data(), size));
    }
    // The BAR register's address, as the guest reads it.
    uint64_t bar_register(unsigned slot, unsigned bar) {
        return config_read(slot, PCI_BASE_ADDRESS_0 + 4 * bar, 4) & ~0xfu;
    }
    bool mmio_decodes(uint64_t address, const PciDevice& device) {
        const auto match = mmio_.find(address, 1);
        return match && match->device->name() == device.name();
    }

    devices::Bus mmio_{"mmio"};
    devices::Bus io_{"io"};
    PciBus bus_{mmio_, io_, PciWindows{kMmioWindow, kIoWindow}};
};

TEST_F(PciBusTest, PlacesBarsAlignedInsideTheWindowWithoutOverlap) {
    struct Placed {
        uint64_t address;
        uint64_t size;
    };
    std::vector<Placed> placed;
    const std::vector<std::vector<std::pair<unsigned, BarSpec>>> devices{
        {{0, {BarKind::kMemory32, 0x1000, false}}, {2, {BarKind::kMemory64, 0x4000, true}}},
        {{0, {BarKind::kMemory32, 0x10, false}}, {1, {BarKind::kMemory32, 0x10'0000, false}}},
        {{4, {BarKind::kMemory64, 0x200'0000, false}}, {1, {BarKind::kIo, 0x40, false}}},
        {{5, {BarKind::kMemory32, 0x2000, false}}, {0, {BarKind::kIo, 0x20, false}}},
    };
    for (const auto& bars : devices) {
        auto device = std::make_shared<FakePciDevice>(bars);
        const unsigned slot = bus_.add_device(device);
        for (const auto& [index, spec] : bars) {
            const uint64_t address = device->config_space().bar_address(index);
            EXPECT_EQ(address % spec.size, 0u) << "slot " << slot << " BAR " << index;
            const AddressWindow window = spec.kind == BarKind::kIo ? kIoWindow : kMmioWindow;
            EXPECT_TRUE(bar_fits(address, spec.size, window)) << std::hex << address;
            if (spec.kind != BarKind::kIo) {
                EXPECT_EQ(bar_register(slot, index), address & 0xffff'fff0);
                placed.push_back({address, spec.size});
            }
        }
    }
    for (size_t i = 0; i < placed.size(); ++i) {
        for (size_t j = i + 1; j < placed.size(); ++j) {
            const bool apart = placed[i].address + placed[i].size <= placed[j].address ||
                               placed[j].address + placed[j].size <= placed[i].address;
            EXPECT_TRUE(apart) << std::hex << placed[i].address << " and " << placed[j].address;
        }
    }
}

TEST_F(PciBusTest, BarsAreDecodedOnlyWhileTheCommandRegisterSaysSo) {
    auto device = std::make_shared<FakePciDevice>(std::vector<std::pair<unsigned, BarSpec>>{
        {0, {BarKind::kMemory32, 0x1000, false}}, {1, {BarKind::kIo, 0x20, false}}});
    const unsigned slot = bus_.add_device(device);
    const uint64_t mmio = device->config_space().bar_address(0);
    const uint64_t io = device->config_space().bar_address(1);
    EXPECT_FALSE(bus_.bar_mapping(slot, 0).has_value());  // Command resets to 0
    EXPECT_FALSE(mmio_.find(mmio, 1).has_value());
    EXPECT_TRUE(device->mappings.empty());

    config_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    EXPECT_EQ(bus_.bar_mapping(slot, 0), mmio);
    EXPECT_TRUE(mmio_decodes(mmio, *device));
    EXPECT_FALSE(io_.find(io, 1).has_value());

    // An access through the MMIO bus reaches the device with BAR and offset.
    std::array<uint8_t, 4> bytes{};
    EXPECT_TRUE(mmio_.read(mmio + 0x10, bytes));
    EXPECT_EQ(bytes[0], 0);  // BAR 0
    EXPECT_TRUE(mmio_.write(mmio + 0xffc, bytes));
    EXPECT_EQ(device->accesses,
              (std::vector<FakePciDevice::Access>{{0, 0x10, 4, false}, {0, 0xffc, 4, true}}));
    EXPECT_FALSE(mmio_.read(mmio + 0x1000, bytes));  // just past the BAR

    config_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    EXPECT_TRUE(io_.find(io, 1).has_value());
    EXPECT_TRUE(io_.read(io + 0x1f, std::span(bytes.data(), 1)));
    EXPECT_EQ(bytes[0], 1);  // BAR 1

    config_write(slot, PCI_COMMAND, 2, 0);
    EXPECT_FALSE(mmio_.find(mmio, 1).has_value());
    EXPECT_FALSE(io_.find(io, 1).has_value());
    EXPECT_EQ(device->mappings, (std::vector<Mapping>{{0, mmio}, {1, io}, {0, {}}, {1, {}}}));
}

TEST_F(PciBusTest, MovingABarMovesItOnTheMmioBus) {
    auto device = std::make_shared<FakePciDevice>(std::vector<std::pair<unsigned, BarSpec>>{
        {0, {BarKind::kMemory32, 0x1000, false}}, {2, {BarKind::kMemory64, 0x4000, false}}});
    const unsigned slot = bus_.add_device(device);
    const uint64_t old32 = device->config_space().bar_address(0);
    const uint64_t old64 = device->config_space().bar_address(2);
    config_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);

    const uint64_t new32 = 0xf000'0000;
    config_write(slot, PCI_BASE_ADDRESS_0, 4, static_cast<uint32_t>(new32));
    EXPECT_EQ(bus_.bar_mapping(slot, 0), new32);
    EXPECT_FALSE(mmio_.find(old32, 1).has_value());
    EXPECT_TRUE(mmio_decodes(new32, *device));
    EXPECT_TRUE(mmio_decodes(new32 + 0xfff, *device));

    // A 64-bit BAR moved the way Linux does it: decoding off, low, high, on.
    const uint64_t new64 = 0xf800'0000;
    config_write(slot, PCI_COMMAND, 2, 0);
    config_write(slot, PCI_BASE_ADDRESS_2, 4, static_cast<uint32_t>(new64));
    config_write(slot, PCI_BASE_ADDRESS_3, 4, 0);
    config_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    EXPECT_EQ(bus_.bar_mapping(slot, 2), new64);
    EXPECT_FALSE(mmio_.find(old64, 1).has_value());
    EXPECT_TRUE(mmio_decodes(new64 + 0x3fff, *device));
    EXPECT_EQ(bus_.refused_bar_placements(), 0u);

    EXPECT_EQ(device->mappings,
              (std::vector<Mapping>{
                  {0, old32}, {2, old64}, {0, new32}, {0, {}}, {2, {}}, {0, new32}, {2, new64}}));
}

TEST_F(PciBusTest, BarsOutsideTheWindowOrOnOtherBarsAreNotDecoded) {
    auto device = std::make_shared<FakePciDevice>(std::vector<std::pair<unsigned, BarSpec>>{
        {0, {BarKind::kMemory32, 0x1000, false}}, {2, {BarKind::kMemory64, 0x1000, false}}});
    auto other = std::make_shared<FakePciDevice>(
        std::vector<std::pair<unsigned, BarSpec>>{{0, {BarKind::kMemory32, 0x2000, false}}},
        "other");
    const unsigned slot = bus_.add_device(device);
    const unsigned other_slot = bus_.add_device(other);
    config_write(other_slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    config_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    const uint64_t home = device->config_space().bar_address(0);
    const uint64_t other_bar = other->config_space().bar_address(0);

    const std::vector<uint32_t> refused{
        0x0010'0000,                                              // RAM below the hole
        static_cast<uint32_t>(layout::kBootMarkerStart.value()),  // below the window
        static_cast<uint32_t>(layout::kIoapicStart.value()),      // the IOAPIC
        static_cast<uint32_t>(layout::kLapicStart.value()),       // the LAPIC
        static_cast<uint32_t>(other_bar + 0x1000),                // inside another BAR
        0xffff'f000,                                              // what sizing leaves
    };
    for (uint32_t address : refused) {
        config_write(slot, PCI_BASE_ADDRESS_0, 4, address);
        EXPECT_FALSE(bus_.bar_mapping(slot, 0).has_value()) << std::hex << address;
        EXPECT_FALSE(mmio_decodes(address, *device)) << std::hex << address;
        EXPECT_EQ(bar_register(slot, 0), address);  // the register keeps the guest's value
    }
    EXPECT_EQ(bus_.refused_bar_placements(), refused.size());
    EXPECT_TRUE(mmio_decodes(other_bar + 0x1000, *other));  // the other device is untouched
    config_write(slot, PCI_INTERRUPT_LINE, 1, 5);           // unrelated writes do not count again
    EXPECT_EQ(bus_.refused_bar_placements(), refused.size());

    // A 64-bit BAR whose upper half points above 4 GiB, onto high RAM.
    config_write(slot, PCI_BASE_ADDRESS_3, 4, 1);
    EXPECT_FALSE(bus_.bar_mapping(slot, 2).has_value());
    config_write(slot, PCI_BASE_ADDRESS_3, 4, 0);
    EXPECT_TRUE(bus_.bar_mapping(slot, 2).has_value());

    // Back home, it decodes again.
    config_write(slot, PCI_BASE_ADDRESS_0, 4, static_cast<uint32_t>(home));
    EXPECT_EQ(bus_.bar_mapping(slot, 0), home);
    EXPECT_TRUE(mmio_decodes(home, *device));
}

TEST_F(PciBusTest, SizingWithDecodingOnUnmapsAndRestoringMapsAgain) {
    auto device = std::make_shared<FakePciDevice>(
        std::vector<std::pair<unsigned, BarSpec>>{{0, {BarKind::kMemory32, 0x4000, false}}});
    const unsigned slot = bus_.add_device(device);
    config_write(slot, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    const uint32_t saved = config_read(slot, PCI_BASE_ADDRESS_0, 4);
    config_write(slot, PCI_BASE_ADDRESS_0, 4, 0xffff'ffff);
    EXPECT_EQ(config_read(slot, PCI_BASE_ADDRESS_0, 4), 0xffff'c000u);
    EXPECT_FALSE(bus_.bar_mapping(slot, 0).has_value());
    config_write(slot, PCI_BASE_ADDRESS_0, 4, saved);
    EXPECT_EQ(bus_.bar_mapping(slot, 0), uint64_t{saved});
    EXPECT_TRUE(mmio_decodes(saved, *device));
}

TEST_F(PciBusTest, AOverlapIsDecodedOnceTheOtherBarMovesAway) {
    auto first = std::make_shared<FakePciDevice>(
        std::vector<std::pair<unsigned, BarSpec>>{{0, {BarKind::kMemory32, 0x1000, false}}});
    auto second = std::make_shared<FakePciDevice>(
        std::vector<std::pair<unsigned, BarSpec>>{{0, {BarKind::kMemory32, 0x1000, false}}},
        "second");
    const unsigned a = bus_.add_device(first);
    const unsigned b = bus_.add_device(second);
    config_write(a, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    config_write(b, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    const uint64_t place = first->config_space().bar_address(0);
    config_write(b, PCI_BASE_ADDRESS_0, 4, static_cast<uint32_t>(place));
    EXPECT_FALSE(bus_.bar_mapping(b, 0).has_value());
    config_write(a, PCI_BASE_ADDRESS_0, 4, 0xf000'0000);  // the first moves away
    config_write(b, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);  // any write re-evaluates
    EXPECT_EQ(bus_.bar_mapping(b, 0), place);
    EXPECT_TRUE(mmio_decodes(place, *second));
}

TEST_F(PciBusTest, RefusesDevicesBeyondTheSlotsOrTheWindow) {
    EXPECT_THROW(bus_.add_device(nullptr), std::invalid_argument);
    for (unsigned i = 1; i < PciBus::kSlots; ++i) {
        EXPECT_EQ(bus_.add_device(std::make_shared<FakePciDevice>()), i);
    }
    EXPECT_THROW(bus_.add_device(std::make_shared<FakePciDevice>()), UserError);

    devices::Bus mmio("mmio");
    devices::Bus io("io");
    PciBus small(mmio, io, PciWindows{{0xe000'0000, 0x3000}, {}});
    const std::vector<std::pair<unsigned, BarSpec>> page{{0, {BarKind::kMemory32, 0x1000, false}}};
    const std::vector<std::pair<unsigned, BarSpec>> two{{0, {BarKind::kMemory32, 0x2000, false}}};
    EXPECT_NO_THROW(small.add_device(std::make_shared<FakePciDevice>(page)));  // 0xe000_0000
    EXPECT_THROW(small.add_device(std::make_shared<FakePciDevice>(two)),
                 UserError);                                                   // 0x2000 + 0x2000
    EXPECT_NO_THROW(small.add_device(std::make_shared<FakePciDevice>(page)));  // 0xe000_1000
    const std::vector<std::pair<unsigned, BarSpec>> io_bar{{0, {BarKind::kIo, 0x10, false}}};
    EXPECT_THROW(small.add_device(std::make_shared<FakePciDevice>(io_bar)), UserError);
}

TEST(PciBus, DestructionTakesItsBarsOffTheBuses) {
    devices::Bus mmio("mmio");
    devices::Bus io("io");
    auto device = std::make_shared<FakePciDevice>(std::vector<std::pair<unsigned, BarSpec>>{
        {0, {BarKind::kMemory32, 0x1000, false}}, {1, {BarKind::kIo, 0x10, false}}});
    {
        PciBus bus(mmio, io, PciWindows{kMmioWindow, kIoWindow});
        const unsigned slot = bus.add_device(device);
        const std::array<uint8_t, 2> command{PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 0};
        bus.config_write(0, static_cast<uint8_t>(slot), 0, PCI_COMMAND, command);
        ASSERT_TRUE(mmio.find(kMmioWindow.start, 1).has_value());
        ASSERT_TRUE(io.find(kIoWindow.start, 1).has_value());
    }
    EXPECT_FALSE(mmio.find(kMmioWindow.start, 1).has_value());
    EXPECT_FALSE(io.find(kIoWindow.start, 1).has_value());
    EXPECT_EQ(device.use_count(), 1);  // nothing holds the device any more
}

TEST_F(PciBusTest, ConfigAccessesPastTheHeaderOrToEmptySlotsAreHarmless) {
    EXPECT_EQ(config_read(0, 0xfe, 4), 0xffff'ffffu);
    EXPECT_EQ(config_read(0, 0x100, 4), 0xffff'ffffu);
    EXPECT_EQ(config_read(7, PCI_VENDOR_ID, 4), 0xffff'ffffu);
    config_write(7, PCI_COMMAND, 2, 0xffff);
    std::array<uint8_t, 4> bytes{};
    bus_.config_read(0, 40, 0, 0, bytes);  // a device number past 31
    EXPECT_EQ(from_bytes(bytes), 0xffff'ffffu);
    EXPECT_FALSE(bus_.bar_mapping(40, 0).has_value());
    EXPECT_FALSE(bus_.bar_mapping(0, 6).has_value());
}

}  // namespace
}  // namespace berth::pci
