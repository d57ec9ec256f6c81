// MSI-X as a transport uses it: a function with the table and PBA in BAR 0,
// driven the way Linux's PCI core and msi code drive it, through the type-1
// configuration ports and the MMIO bus.
#include <linux/pci_regs.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "devices/pci/config_ports.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_bus.h"
#include "tests/unit/pci/pci_test_helpers.h"

namespace berth::pci {
namespace {

using testing::device_read;
using testing::device_write;
using testing::from_bytes;
using testing::to_bytes;

class RecordingMsiSink final : public MsiSink {
public:
    void send_msi(uint64_t address, uint32_t data) override { sent.push_back({address, data}); }
    std::vector<std::pair<uint64_t, uint32_t>> sent;
};

// A function with four MSI-X vectors: the table at BAR 0 + 0, the PBA at
// BAR 0 + 0x800, and a register at 0x1000 that is the device's own.
class MsixFunction final : public PciDevice {
public:
    explicit MsixFunction(std::shared_ptr<MsiSink> sink)
        : config_(ConfigSpace::Identity{0x1af4, 0x1044, 0xff0000}), msix_(4, std::move(sink)) {
        config_.add_bar(0, {BarKind::kMemory32, 0x2000, false});
        msix_.add_capability(config_, {0, 0, 0, 0x800});
    }
    std::string_view name() const override { return "msix-function"; }
    ConfigSpace& config_space() override { return config_; }
    void config_write(uint16_t offset, std::span<const uint8_t> data) override {
        PciDevice::config_write(offset, data);
        msix_.control_written(config_);
    }
    void bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) override {
        if (!msix_.bar_read(bar, offset, data)) {
            std::fill(data.begin(), data.end(), 0x77);  // the device's own register
        }
    }
    void bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) override {
        msix_.bar_write(bar, offset, data);
    }
    Msix& msix() { return msix_; }

private:
    ConfigSpace config_;
    Msix msix_;
};

class MsixDeviceTest : public ::testing::Test {
protected:
    MsixDeviceTest() { slot_ = bus_->add_device(function_); }

    uint32_t conf_read(unsigned offset, unsigned size) {
        device_write(ports_, ConfigPorts::kConfigAddress, 4,
                     0x8000'0000 | (slot_ << 11) | (offset & 0xfc));
        return device_read(ports_, ConfigPorts::kConfigData + (offset & 3), size);
    }
    void conf_write(unsigned offset, unsigned size, uint32_t value) {
        device_write(ports_, ConfigPorts::kConfigAddress, 4,
                     0x8000'0000 | (slot_ << 11) | (offset & 0xfc));
        device_write(ports_, ConfigPorts::kConfigData + (offset & 3), size, value);
    }
    uint32_t mmio_read32(uint64_t address) {
        std::array<uint8_t, 4> bytes{};
        mmio_.read(address, bytes);
        return from_bytes(bytes);
    }
    void mmio_write32(uint64_t address, uint32_t value) { mmio_.write(address, to_bytes(value)); }

    // pci_find_capability(dev, PCI_CAP_ID_MSIX)
    unsigned find_msix() {
        unsigned position = conf_read(PCI_CAPABILITY_LIST, 1);
        for (int ttl = 48; ttl > 0 && position >= 0x40; --ttl) {
            position &= ~3u;
            if (conf_read(position + PCI_CAP_LIST_ID, 1) == PCI_CAP_ID_MSIX) {
                return position;
            }
            position = conf_read(position + PCI_CAP_LIST_NEXT, 1);
        }
        return 0;
    }

    devices::Bus mmio_{"mmio"};
    devices::Bus io_{"io"};
    std::shared_ptr<PciBus> bus_ = std::make_shared<PciBus>(
        mmio_, io_, PciWindows{{0xe000'0000, 0x1e00'0000}, {0xc000, 0x4000}});
    ConfigPorts ports_{bus_};
    std::shared_ptr<RecordingMsiSink> sink_ = std::make_shared<RecordingMsiSink>();
    std::shared_ptr<MsixFunction> function_ = std::make_shared<MsixFunction>(sink_);
    unsigned slot_ = 0;
};

TEST_F(MsixDeviceTest, LinuxStyleSetUpThenInterrupts) {
    // pci_enable_device: memory decoding on; the BAR is where Berth put it.
    conf_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    const uint64_t bar = conf_read(PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
    ASSERT_EQ(bus_->bar_mapping(slot_, 0), bar);

    // msix_capability_init: find the capability, read table and PBA places.
    const unsigned cap = find_msix();
    ASSERT_NE(cap, 0u);
    EXPECT_EQ((conf_read(cap + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1, 4u);
    const uint32_t table_register = conf_read(cap + PCI_MSIX_TABLE, 4);
    const uint32_t pba_register = conf_read(cap + PCI_MSIX_PBA, 4);
    EXPECT_EQ(table_register & PCI_MSIX_TABLE_BIR, 0u);
    const uint64_t table = bar + (table_register & PCI_MSIX_TABLE_OFFSET);
    const uint64_t pba = bar + (pba_register & PCI_MSIX_PBA_OFFSET);

    // Enable with the function masked, program each entry, unmask.
    conf_write(cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    for (uint32_t vector = 0; vector < 4; ++vector) {
        const uint64_t entry = table + vector * PCI_MSIX_ENTRY_SIZE;
        mmio_write32(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee0'0000);
        mmio_write32(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
        mmio_write32(entry + PCI_MSIX_ENTRY_DATA, 0x4020 + vector);
        mmio_write32(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
        EXPECT_EQ(mmio_read32(entry + PCI_MSIX_ENTRY_DATA), 0x4020 + vector);
    }
    EXPECT_EQ(function_->msix().notify(2), Msix::Delivery::kPending);
    EXPECT_EQ(mmio_read32(pba), 0b100u);
    conf_write(cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    EXPECT_EQ(sink_->sent, (std::vector<std::pair<uint64_t, uint32_t>>{{0xfee0'0000, 0x4022}}));
    EXPECT_EQ(mmio_read32(pba), 0u);

    EXPECT_EQ(function_->msix().notify(3), Msix::Delivery::kSent);
    EXPECT_EQ(sink_->sent.back(), (std::pair<uint64_t, uint32_t>{0xfee0'0000, 0x4023}));
    EXPECT_EQ(mmio_read32(bar + 0x1000), 0x7777'7777u);  // the device's own register

    // With MSI-X disabled again, the transport is told to fall back.
    conf_write(cap + PCI_MSIX_FLAGS, 2, 0);
    EXPECT_EQ(function_->msix().notify(3), Msix::Delivery::kDisabled);
    EXPECT_EQ(sink_->sent.size(), 2u);
}

}  // namespace
}  // namespace berth::pci
