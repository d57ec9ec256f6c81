#include "devices/pci/config_ports.h"

#include <linux/pci_regs.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <set>

#include "devices/pci/host_bridge.h"
#include "tests/unit/pci/fake_pci_device.h"
#include "tests/unit/pci/pci_test_helpers.h"

namespace berth::pci {
namespace {

using testing::device_read;
using testing::device_write;
using testing::FakePciDevice;

constexpr uint32_t kEnable = 0x8000'0000;
constexpr uint64_t kAddress = ConfigPorts::kConfigAddress;  // 0xCF8
constexpr uint64_t kData = ConfigPorts::kConfigData;        // 0xCFC

uint32_t address_of(unsigned bus, unsigned device, unsigned function, unsigned offset) {
    return kEnable | (bus << 16) | (device << 11) | (function << 8) | (offset & 0xfc);
}

class ConfigPortsTest : public ::testing::Test {
protected:
    ConfigPortsTest() { slot_ = bus_->add_device(device_); }

    // Linux's pci_conf1_read: select the dword, access CONFIG_DATA at the
    // register's offset within it.
    uint32_t conf1_read(unsigned device, unsigned offset, unsigned size, unsigned function = 0) {
        device_write(ports_, kAddress, 4, address_of(0, device, function, offset));
        return device_read(ports_, kData + (offset & 3), size);
    }
    void conf1_write(unsigned device, unsigned offset, unsigned size, uint32_t value) {
        device_write(ports_, kAddress, 4, address_of(0, device, 0, offset));
        device_write(ports_, kData + (offset & 3), size, value);
    }

    devices::Bus mmio_{"mmio"};
    devices::Bus io_{"io"};
    std::shared_ptr<PciBus> bus_ = std::make_shared<PciBus>(
        mmio_, io_, PciWindows{{0xe000'0000, 0x1e00'0000}, {0xc000, 0x4000}});
    ConfigPorts ports_{bus_};
    std::shared_ptr<FakePciDevice> device_ = std::make_shared<FakePciDevice>();
    unsigned slot_ = 0;
};

TEST(PciConfigAddress, DecodesEveryField) {
    EXPECT_EQ(decode_config_address(0x8000'0000), (ConfigAddress{true, 0, 0, 0, 0}));
    EXPECT_EQ(decode_config_address(0x0000'0000), (ConfigAddress{false, 0, 0, 0, 0}));
    EXPECT_EQ(decode_config_address(0x80ab'cdef), (ConfigAddress{true, 0xab, 0x19, 5, 0xec}));
    // AMD's extended register number in bits 27:24.
    EXPECT_EQ(decode_config_address(0x8100'0804), (ConfigAddress{true, 0, 1, 0, 0x104}));
}

TEST_F(ConfigPortsTest, TheHostBridgeIsAt00_0) {
    EXPECT_EQ(slot_, 1u);  // the first device goes after the host bridge
    EXPECT_EQ(conf1_read(0, PCI_VENDOR_ID, 2), HostBridge::kVendorId);
    EXPECT_EQ(conf1_read(0, PCI_DEVICE_ID, 2), HostBridge::kDeviceId);
    EXPECT_EQ(conf1_read(0, PCI_VENDOR_ID, 4), 0x0008'1b36u);
    EXPECT_EQ(conf1_read(0, PCI_CLASS_REVISION, 4) >> 8, 0x060000u);
    EXPECT_EQ(conf1_read(0, PCI_CLASS_DEVICE, 2), 0x0600u);  // PCI_CLASS_BRIDGE_HOST
    EXPECT_EQ(conf1_read(0, PCI_HEADER_TYPE, 1), unsigned{PCI_HEADER_TYPE_NORMAL});
    for (unsigned bar = 0; bar < PCI_STD_NUM_BARS; ++bar) {
        conf1_write(0, PCI_BASE_ADDRESS_0 + 4 * bar, 4, 0xffff'ffff);
        EXPECT_EQ(conf1_read(0, PCI_BASE_ADDRESS_0 + 4 * bar, 4), 0u);  // no BARs
    }
}

TEST_F(ConfigPortsTest, ConfigAddressIsADwordRegister) {
    // Linux's pci_check_type1: a byte write to 0xCFB must not disturb it, and
    // 0x80000000 must read back.
    device_write(ports_, kAddress, 4, 0x8000'0804);
    device_write(ports_, 3, 1, 0x01);
    EXPECT_EQ(device_read(ports_, kAddress, 4), 0x8000'0804u);
    device_write(ports_, kAddress, 4, 0x8000'0000);
    EXPECT_EQ(device_read(ports_, kAddress, 4), 0x8000'0000u);
    // Reserved bits 30:28 and bits 1:0 read as 0.
    device_write(ports_, kAddress, 4, 0xffff'ffff);
    EXPECT_EQ(device_read(ports_, kAddress, 4), 0x8fff'fffcu);
    EXPECT_EQ(ports_.config_address(), 0x8fff'fffcu);
    // Byte and word accesses to 0xCF8..0xCFB are something else: mechanism #2
    // probing reads them back, and must not see zeros.
    device_write(ports_, 0, 1, 0x00);
    device_write(ports_, 2, 1, 0x00);
    device_write(ports_, 0, 2, 0x0000);
    EXPECT_EQ(device_read(ports_, 0, 1), 0xffu);
    EXPECT_EQ(device_read(ports_, 2, 1), 0xffu);
    EXPECT_EQ(device_read(ports_, 1, 2), 0xffffu);
    EXPECT_EQ(ports_.config_address(), 0x8fff'fffcu);
}

TEST_F(ConfigPortsTest, DataNeedsTheEnableBit) {
    device_write(ports_, kAddress, 4, address_of(0, 0, 0, 0) & ~kEnable);
    EXPECT_EQ(device_read(ports_, kData, 4), 0xffff'ffffu);
    device_write(ports_, kAddress, 4, address_of(0, slot_, 0, PCI_COMMAND) & ~kEnable);
    device_write(ports_, kData, 2, PCI_COMMAND_MASTER);
    EXPECT_EQ(conf1_read(slot_, PCI_COMMAND, 2), 0u);  // the write went nowhere
    conf1_write(slot_, PCI_COMMAND, 2, PCI_COMMAND_MASTER);
    EXPECT_EQ(conf1_read(slot_, PCI_COMMAND, 2), unsigned{PCI_COMMAND_MASTER});
}

TEST_F(ConfigPortsTest, ByteWordAndDwordAccessesToConfigData) {
    device_write(ports_, kAddress, 4, address_of(0, slot_, 0, PCI_VENDOR_ID));
    EXPECT_EQ(device_read(ports_, kData + 0, 1), 0xf4u);
    EXPECT_EQ(device_read(ports_, kData + 1, 1), 0x1au);
    EXPECT_EQ(device_read(ports_, kData + 2, 1), 0x44u);
    EXPECT_EQ(device_read(ports_, kData + 3, 1), 0x10u);
    EXPECT_EQ(device_read(ports_, kData + 2, 2), unsigned{FakePciDevice::kDeviceId});
    EXPECT_EQ(device_read(ports_, kData + 1, 2), 0x441au);  // unaligned, inside the dword
    EXPECT_EQ(device_read(ports_, kData, 4), 0x1044'1af4u);
    // Accesses that would leave the dword (the port bus refuses them too).
    EXPECT_EQ(device_read(ports_, kData + 1, 4), 0xffff'ffffu);
    EXPECT_EQ(device_read(ports_, kData + 3, 2), 0xffffu);
    EXPECT_EQ(device_read(ports_, 8, 1), 0xffu);

    // A word write to the upper half of the Command/Status dword.
    device_write(ports_, kAddress, 4, address_of(0, slot_, 0, PCI_COMMAND));
    device_write(ports_, kData + 1, 1, PCI_COMMAND_INTX_DISABLE >> 8);
    device_write(ports_, kData, 1, PCI_COMMAND_MASTER);
    EXPECT_EQ(conf1_read(slot_, PCI_COMMAND, 2),
              unsigned{PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE});
    device_write(ports_, kData + 3, 2, 0xffff);  // straddles the end: ignored
    EXPECT_EQ(conf1_read(slot_, PCI_COMMAND, 2),
              unsigned{PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE});
}

TEST_F(ConfigPortsTest, EmptySlotsFunctionsAndBusesReadAllOnes) {
    EXPECT_EQ(conf1_read(2, PCI_VENDOR_ID, 4), 0xffff'ffffu);
    EXPECT_EQ(conf1_read(31, PCI_VENDOR_ID, 2), 0xffffu);
    EXPECT_EQ(conf1_read(slot_, PCI_VENDOR_ID, 4, /*function=*/1), 0xffff'ffffu);
    EXPECT_EQ(conf1_read(0, PCI_VENDOR_ID, 4, /*function=*/7), 0xffff'ffffu);
    device_write(ports_, kAddress, 4, address_of(1, 0, 0, 0));
    EXPECT_EQ(device_read(ports_, kData, 4), 0xffff'ffffu);
    device_write(ports_, kAddress, 4, address_of(255, slot_, 0, 0));
    EXPECT_EQ(device_read(ports_, kData, 4), 0xffff'ffffu);
    // Extended registers (offset 0x100 and up) do not exist.
    device_write(ports_, kAddress, 4, address_of(0, 0, 0, 0) | (1u << 24));
    EXPECT_EQ(device_read(ports_, kData, 4), 0xffff'ffffu);
    // Writes to empty places change nothing anywhere.
    device_write(ports_, kAddress, 4, address_of(0, 2, 0, PCI_COMMAND));
    device_write(ports_, kData, 2, 0xffff);
    EXPECT_EQ(conf1_read(slot_, PCI_COMMAND, 2), 0u);
}

TEST_F(ConfigPortsTest, EnumeratesLikeLinux) {
    const unsigned second = bus_->add_device(std::make_shared<FakePciDevice>());
    std::set<unsigned> found;
    for (unsigned device = 0; device < 32; ++device) {
        const uint32_t id = conf1_read(device, PCI_VENDOR_ID, 4);
        if (id == 0xffff'ffff || id == 0 || id == 0x0000'ffff || id == 0xffff'0000) {
            continue;  // pci_bus_generic_read_dev_vendor_id's "no device" values
        }
        found.insert(device);
        // Single-function devices: Linux then skips functions 1..7.
        EXPECT_EQ(conf1_read(device, PCI_HEADER_TYPE, 1) & 0x80, 0u);
    }
    EXPECT_EQ(found, (std::set<unsigned>{0, slot_, second}));
}

TEST_F(ConfigPortsTest, RegisteredOnThePortBusAt0xcf8) {
    devices::Bus ports("io");
    ports.insert(0xcf8, ConfigPorts::kLength, std::make_shared<ConfigPorts>(bus_));
    const std::array<uint8_t, 4> select{0x00, 0x00, 0x00, 0x80};  // 0x80000000
    EXPECT_TRUE(ports.write(0xcf8, select));
    std::array<uint8_t, 4> id{};
    EXPECT_TRUE(ports.read(0xcfc, id));
    EXPECT_EQ(testing::from_bytes(id), 0x0008'1b36u);
    EXPECT_FALSE(ports.read(0xcfe, id));  // a dword at 0xCFE leaves the range
}

}  // namespace
}  // namespace berth::pci
