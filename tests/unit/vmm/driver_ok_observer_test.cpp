// VirtioPciDevice's status observer, which the boot timeline uses to record
// each device's DRIVER_OK: called once per change of the device status made
// by a driver write, with the status the driver reads back, and outside the
// transport's lock.
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "devices/pci/msix.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/rng/virtio_rng.h"
#include "vmm/memory/guest_memory.h"

namespace berth::virtio {
namespace {

constexpr uint8_t kAck = VIRTIO_CONFIG_S_ACKNOWLEDGE;
constexpr uint8_t kDriver = VIRTIO_CONFIG_S_DRIVER;
constexpr uint8_t kFeaturesOk = VIRTIO_CONFIG_S_FEATURES_OK;
constexpr uint8_t kDriverOk = VIRTIO_CONFIG_S_DRIVER_OK;

class NullMsiSink final : public pci::MsiSink {
public:
    void send_msi(uint64_t, uint32_t) override {}
};

class StatusObserverTest : public ::testing::Test {
protected:
    StatusObserverTest()
        : memory_(GuestMemory::create({{GuestAddress(0), 1 << 20}})),
          device_(std::make_shared<VirtioRng>(), memory_, std::make_shared<NullMsiSink>()) {
        device_.set_status_observer([this](uint8_t status) {
            // Takes the transport's lock: would deadlock if called under it.
            read_back_.push_back(device_.device_status());
            seen_.push_back(status);
        });
    }

    void write_common(uint32_t offset, std::vector<uint8_t> bytes) {
        device_.bar_write(VirtioPciDevice::kBar, VirtioPciDevice::kCommonCfgOffset + offset, bytes);
    }
    void write_status(uint8_t status) { write_common(VIRTIO_PCI_COMMON_STATUS, {status}); }
    // Linux's virtio_pci_modern: VIRTIO_F_VERSION_1 (bit 32) and nothing else.
    void accept_version_1() {
        write_common(VIRTIO_PCI_COMMON_GFSELECT, {1, 0, 0, 0});
        write_common(VIRTIO_PCI_COMMON_GF, {1, 0, 0, 0});
    }

    GuestMemory memory_;
    VirtioPciDevice device_;
    std::vector<uint8_t> seen_;
    std::vector<uint8_t> read_back_;
};

TEST_F(StatusObserverTest, SeesEachStepOfTheDriverUpToDriverOk) {
    write_status(kAck);
    write_status(kAck | kDriver);
    accept_version_1();
    write_status(kAck | kDriver | kFeaturesOk);
    write_status(kAck | kDriver | kFeaturesOk | kDriverOk);
    EXPECT_TRUE(device_.activated());
    EXPECT_EQ(seen_, (std::vector<uint8_t>{kAck, kAck | kDriver, kAck | kDriver | kFeaturesOk,
                                           kAck | kDriver | kFeaturesOk | kDriverOk}));
    EXPECT_EQ(read_back_, seen_);
}

TEST_F(StatusObserverTest, SilentWhenTheStatusDoesNotChange) {
    write_status(0);  // a reset of a reset device
    write_status(kAck);
    write_status(kAck);                                // again
    write_status(kDriver);                             // clears ACKNOWLEDGE: refused
    write_common(VIRTIO_PCI_COMMON_Q_SELECT, {0, 0});  // another register
    EXPECT_EQ(seen_, (std::vector<uint8_t>{kAck}));
}

// DRIVER_OK without FEATURES_OK is not taken (the transport sets
// DEVICE_NEEDS_RESET instead), so the timeline never sees a device come up
// that did not.
TEST_F(StatusObserverTest, DriverOkOutOfOrderIsNotReported) {
    write_status(kAck);
    write_status(kAck | kDriver);
    write_status(kAck | kDriver | kDriverOk);
    EXPECT_EQ(seen_, (std::vector<uint8_t>{kAck, kAck | kDriver}));
    EXPECT_FALSE(device_.activated());
    EXPECT_TRUE(device_.device_status() & VIRTIO_CONFIG_S_NEEDS_RESET);
}

TEST_F(StatusObserverTest, SeesTheResetAndTheNextDriverOk) {
    write_status(kAck);
    write_status(kAck | kDriver);
    accept_version_1();
    write_status(kAck | kDriver | kFeaturesOk);
    write_status(kAck | kDriver | kFeaturesOk | kDriverOk);
    seen_.clear();
    write_status(0);
    write_status(kAck);
    EXPECT_EQ(seen_, (std::vector<uint8_t>{0, kAck}));
}

}  // namespace
}  // namespace berth::virtio
