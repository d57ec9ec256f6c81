// The virtio-pci transport (virtio 1.2 §4.1) with virtio-rng behind it,
// driven the way Linux's virtio_pci_modern driver drives it: configuration
// cycles through the type-1 ports, register accesses through the MMIO bus at
// the address the BAR was given, rings laid out in guest memory by the fake
// driver, and MSI messages caught by a recording sink.
#include "devices/virtio/pci/virtio_pci_device.h"

#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "devices/bus.h"
#include "devices/pci/config_ports.h"
#include "devices/pci/pci_bus.h"
#include "devices/virtio/rng/virtio_rng.h"
#include "tests/unit/pci/pci_test_helpers.h"
#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio {
namespace {

using pci::testing::device_read;
using pci::testing::device_write;
using testing::FakeDriver;
using testing::writable;

constexpr uint64_t bit(unsigned n) {
    return uint64_t{1} << n;
}
constexpr uint64_t kVersion1 = bit(VIRTIO_F_VERSION_1);
constexpr uint64_t kEventIdx = bit(VIRTIO_RING_F_EVENT_IDX);
constexpr uint64_t kIndirectDesc = bit(VIRTIO_RING_F_INDIRECT_DESC);

constexpr uint8_t kAck = VIRTIO_CONFIG_S_ACKNOWLEDGE;
constexpr uint8_t kDriver = VIRTIO_CONFIG_S_DRIVER;
constexpr uint8_t kFeaturesOk = VIRTIO_CONFIG_S_FEATURES_OK;
constexpr uint8_t kDriverOk = VIRTIO_CONFIG_S_DRIVER_OK;
constexpr uint8_t kNeedsReset = VIRTIO_CONFIG_S_NEEDS_RESET;

constexpr uint64_t kMsiAddress = 0xfee0'0000;
constexpr uint32_t kConfigVectorData = 0x4041;
constexpr uint32_t kQueueVectorData = 0x4042;

class RecordingMsiSink final : public pci::MsiSink {
public:
    void send_msi(uint64_t address, uint32_t data) override { sent.push_back({address, data}); }
    std::vector<std::pair<uint64_t, uint32_t>> sent;
};

// The rng's "entropy": byte n of the stream is n % 251.
std::vector<uint8_t> counted(uint64_t from, size_t count) {
    std::vector<uint8_t> bytes(count);
    for (size_t i = 0; i < count; ++i) {
        bytes[i] = static_cast<uint8_t>((from + i) % 251);
    }
    return bytes;
}

// What Linux's virtio_pci_find_capability() learns from one capability.
struct VirtioCap {
    unsigned position = 0;  // in configuration space
    uint8_t bar = 0;
    uint32_t offset = 0;
    uint32_t length = 0;
};

// A guest: the buses, the PCI bus with the device plugged in, and helpers
// that do what the Linux driver does.
class VirtioPciTest : public ::testing::Test {
protected:
    explicit VirtioPciTest(std::shared_ptr<VirtioDevice> device = nullptr)
        : device_(device ? std::move(device)
                         : std::make_shared<VirtioRng>([this](std::span<uint8_t> out) {
                               for (uint8_t& byte : out) {
                                   byte = static_cast<uint8_t>(entropy_next_++ % 251);
                               }
                               return true;
                           })) {}

    void SetUp() override {
        transport_ = std::make_shared<VirtioPciDevice>(device_, driver_.memory(), sink_);
        transport_->set_bar_observer(
            [this](std::optional<uint64_t> address) { observed_.push_back(address); });
        slot_ = bus_->add_device(transport_);
    }

    // --- Configuration space, through the ports ---------------------------
    uint32_t conf_read(unsigned offset, unsigned size) {
        device_write(ports_, pci::ConfigPorts::kConfigAddress, 4,
                     0x8000'0000 | (slot_ << 11) | (offset & 0xfc));
        return device_read(ports_, pci::ConfigPorts::kConfigData + (offset & 3), size);
    }
    void conf_write(unsigned offset, unsigned size, uint32_t value) {
        device_write(ports_, pci::ConfigPorts::kConfigAddress, 4,
                     0x8000'0000 | (slot_ << 11) | (offset & 0xfc));
        device_write(ports_, pci::ConfigPorts::kConfigData + (offset & 3), size, value);
    }

    // --- MMIO --------------------------------------------------------------
    uint32_t mmio_read(uint64_t address, unsigned size) {
        std::array<uint8_t, 8> bytes{};
        mmio_.read(address, std::span(bytes.data(), size));
        return pci::testing::from_bytes(std::span(bytes.data(), std::min(size, 4u)));
    }
    void mmio_write(uint64_t address, unsigned size, uint32_t value) {
        std::array<uint8_t, 8> bytes{};
        const auto low = pci::testing::to_bytes(value);
        std::copy(low.begin(), low.end(), bytes.begin());
        mmio_.write(address, std::span(bytes.data(), size));
    }

    // --- What virtio_pci_modern_probe() does ------------------------------
    // pci_enable_device(), then every vendor-specific capability by type.
    void probe() {
        conf_write(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
        bar_ = conf_read(PCI_BASE_ADDRESS_0, 4) & PCI_BASE_ADDRESS_MEM_MASK;
        unsigned position = conf_read(PCI_CAPABILITY_LIST, 1);
        for (int ttl = 48; ttl > 0 && position >= 0x40; --ttl) {
            position &= ~3u;
            const uint32_t id = conf_read(position + PCI_CAP_LIST_ID, 1);
            if (id == PCI_CAP_ID_MSIX) {
                msix_cap_ = position;
            } else if (id == PCI_CAP_ID_VNDR) {
                const uint8_t type = conf_read(position + VIRTIO_PCI_CAP_CFG_TYPE, 1);
                // The first of each type wins, as in Linux.
                caps_.emplace(
                    type,
                    VirtioCap{position,
                              static_cast<uint8_t>(conf_read(position + VIRTIO_PCI_CAP_BAR, 1)),
                              conf_read(position + VIRTIO_PCI_CAP_OFFSET, 4),
                              conf_read(position + VIRTIO_PCI_CAP_LENGTH, 4)});
            }
            position = conf_read(position + PCI_CAP_LIST_NEXT, 1);
        }
        ASSERT_TRUE(caps_.count(VIRTIO_PCI_CAP_COMMON_CFG));
        ASSERT_TRUE(caps_.count(VIRTIO_PCI_CAP_ISR_CFG));
        ASSERT_TRUE(caps_.count(VIRTIO_PCI_CAP_NOTIFY_CFG));
        notify_multiplier_ =
            conf_read(caps_[VIRTIO_PCI_CAP_NOTIFY_CFG].position + VIRTIO_PCI_NOTIFY_CAP_MULT, 4);
    }
    uint64_t common(unsigned field) const {
        return bar_ + caps_.at(VIRTIO_PCI_CAP_COMMON_CFG).offset + field;
    }
    uint64_t isr() const { return bar_ + caps_.at(VIRTIO_PCI_CAP_ISR_CFG).offset; }
    uint64_t notify_address(uint16_t queue) {
        mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, queue);
        const uint32_t off = mmio_read(common(VIRTIO_PCI_COMMON_Q_NOFF), 2);
        return bar_ + caps_.at(VIRTIO_PCI_CAP_NOTIFY_CFG).offset + off * notify_multiplier_;
    }
    uint8_t status() {
        return static_cast<uint8_t>(mmio_read(common(VIRTIO_PCI_COMMON_STATUS), 1));
    }
    void set_status(uint8_t value) { mmio_write(common(VIRTIO_PCI_COMMON_STATUS), 1, value); }
    void add_status(uint8_t bits) { set_status(status() | bits); }  // virtio_add_status()

    uint64_t device_features() {
        mmio_write(common(VIRTIO_PCI_COMMON_DFSELECT), 4, 0);
        uint64_t features = mmio_read(common(VIRTIO_PCI_COMMON_DF), 4);
        mmio_write(common(VIRTIO_PCI_COMMON_DFSELECT), 4, 1);
        return features | uint64_t{mmio_read(common(VIRTIO_PCI_COMMON_DF), 4)} << 32;
    }
    void set_driver_features(uint64_t features) {
        mmio_write(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 0);
        mmio_write(common(VIRTIO_PCI_COMMON_GF), 4, static_cast<uint32_t>(features));
        mmio_write(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
        mmio_write(common(VIRTIO_PCI_COMMON_GF), 4, static_cast<uint32_t>(features >> 32));
    }
    uint64_t driver_features() {
        mmio_write(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 0);
        uint64_t features = mmio_read(common(VIRTIO_PCI_COMMON_GF), 4);
        mmio_write(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 1);
        return features | uint64_t{mmio_read(common(VIRTIO_PCI_COMMON_GF), 4)} << 32;
    }

    // vp_reset(), then virtio_dev_probe() up to the features.
    void reset_and_negotiate(uint64_t features) {
        set_status(0);
        ASSERT_EQ(status(), 0);
        add_status(kAck);
        add_status(kDriver);
        set_driver_features(device_features() & features);
        add_status(kFeaturesOk);
        ASSERT_TRUE(status() & kFeaturesOk);
    }

    // vp_request_msix_vectors(): enable MSI-X, program vectors 0 (config) and
    // 1 (queue 0), unmask them.
    void enable_msix() {
        ASSERT_NE(msix_cap_, 0u);
        conf_write(msix_cap_ + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
        const uint64_t table =
            bar_ + (conf_read(msix_cap_ + PCI_MSIX_TABLE, 4) & PCI_MSIX_TABLE_OFFSET);
        for (uint32_t vector = 0; vector < 2; ++vector) {
            const uint64_t entry = table + vector * PCI_MSIX_ENTRY_SIZE;
            mmio_write(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 4, kMsiAddress);
            mmio_write(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 4, 0);
            mmio_write(entry + PCI_MSIX_ENTRY_DATA, 4,
                       vector == 0 ? kConfigVectorData : kQueueVectorData);
            mmio_write(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 4, 0);
        }
    }

    // setup_vq() for queue 0 with the fake driver's rings, then
    // vp_modern_set_queue_enable().
    void setup_queue(uint16_t msix_vector, bool enable = true) {
        mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
        ASSERT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), VirtioRng::kQueueSize);
        ASSERT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0u);
        mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, driver_.size());
        write_rings(FakeDriver::kDescTable.value(), FakeDriver::kAvailRing.value(),
                    FakeDriver::kUsedRing.value());
        mmio_write(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, msix_vector);
        ASSERT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), msix_vector);
        if (enable) {
            mmio_write(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
        }
    }
    void write_rings(uint64_t desc, uint64_t avail, uint64_t used) {
        const auto write64 = [this](unsigned lo, uint64_t value) {  // vp_iowrite64_twopart()
            mmio_write(common(lo), 4, static_cast<uint32_t>(value));
            mmio_write(common(lo + 4), 4, static_cast<uint32_t>(value >> 32));
        };
        write64(VIRTIO_PCI_COMMON_Q_DESCLO, desc);
        write64(VIRTIO_PCI_COMMON_Q_AVAILLO, avail);
        write64(VIRTIO_PCI_COMMON_Q_USEDLO, used);
    }

    // The whole of probe with MSI-X: the device is running afterwards.
    void bring_up(uint64_t features = kVersion1) {
        probe();
        reset_and_negotiate(features);
        enable_msix();
        mmio_write(common(VIRTIO_PCI_COMMON_MSIX), 2, 0);
        ASSERT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_MSIX), 2), 0u);
        setup_queue(1);
        add_status(kDriverOk);
        ASSERT_EQ(status(), kAck | kDriver | kFeaturesOk | kDriverOk);
    }

    FakeDriver driver_{16};  // outlives the transport, which uses its memory
    devices::Bus mmio_{"mmio"};
    devices::Bus io_{"io"};
    std::shared_ptr<pci::PciBus> bus_ = std::make_shared<pci::PciBus>(
        mmio_, io_, pci::PciWindows{{0xe000'0000, 0x1e00'0000}, {0xc000, 0x4000}});
    pci::ConfigPorts ports_{bus_};
    std::shared_ptr<RecordingMsiSink> sink_ = std::make_shared<RecordingMsiSink>();
    uint64_t entropy_next_ = 0;
    std::shared_ptr<VirtioDevice> device_;
    std::shared_ptr<VirtioPciDevice> transport_;
    std::vector<std::optional<uint64_t>> observed_;
    unsigned slot_ = 0;

    uint64_t bar_ = 0;
    std::map<uint8_t, VirtioCap> caps_;
    unsigned msix_cap_ = 0;
    uint32_t notify_multiplier_ = 0;
};

// --- Discovery (§4.1.2, §4.1.4) ----------------------------------------------

TEST_F(VirtioPciTest, IdentifiesAsAModernVirtioDevice) {
    EXPECT_EQ(conf_read(PCI_VENDOR_ID, 2), 0x1af4u);
    EXPECT_EQ(conf_read(PCI_DEVICE_ID, 2), 0x1040u + VIRTIO_ID_RNG);
    EXPECT_EQ(conf_read(PCI_REVISION_ID, 1), 1u);
    EXPECT_EQ(conf_read(PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4u);
    EXPECT_GE(conf_read(PCI_SUBSYSTEM_ID, 2), 0x40u);
    EXPECT_EQ(conf_read(PCI_CLASS_REVISION, 4) >> 8, 0xff0000u);
    // BAR 0: 32 KiB of 32-bit memory; no other BAR (no legacy I/O BAR).
    conf_write(PCI_BASE_ADDRESS_0, 4, 0xffff'ffff);
    EXPECT_EQ(conf_read(PCI_BASE_ADDRESS_0, 4), ~uint32_t{0x8000 - 1});
    for (unsigned bar = PCI_BASE_ADDRESS_1; bar <= PCI_BASE_ADDRESS_5; bar += 4) {
        EXPECT_EQ(conf_read(bar, 4), 0u) << bar;
    }
    EXPECT_EQ(transport_->name(), "virtio-rng");
}

TEST_F(VirtioPciTest, CapabilitiesDescribeEveryStructureInsideBarZero) {
    probe();
    const VirtioCap common_cap = caps_[VIRTIO_PCI_CAP_COMMON_CFG];
    EXPECT_EQ(common_cap.bar, 0);
    EXPECT_GE(common_cap.length, sizeof(virtio_pci_common_cfg));  // what Linux requires
    EXPECT_EQ(common_cap.offset % 4, 0u);
    EXPECT_EQ(conf_read(common_cap.position + VIRTIO_PCI_CAP_LEN, 1), sizeof(virtio_pci_cap));

    const VirtioCap isr = caps_[VIRTIO_PCI_CAP_ISR_CFG];
    EXPECT_EQ(isr.bar, 0);
    EXPECT_EQ(isr.length, 1u);

    const VirtioCap notify = caps_[VIRTIO_PCI_CAP_NOTIFY_CFG];
    EXPECT_EQ(notify.bar, 0);
    EXPECT_EQ(conf_read(notify.position + VIRTIO_PCI_CAP_LEN, 1), sizeof(virtio_pci_notify_cap));
    EXPECT_EQ(notify_multiplier_, 4u);
    // Linux: queue_notify_off * multiplier + 2 must lie inside the structure.
    EXPECT_GE(notify.length, 2u);

    // §4.1.4.9: a PCI configuration access capability is required; a device
    // configuration capability is not, for a device without configuration.
    EXPECT_TRUE(caps_.count(VIRTIO_PCI_CAP_PCI_CFG));
    EXPECT_FALSE(caps_.count(VIRTIO_PCI_CAP_DEVICE_CFG));

    // No two structures overlap, and all lie inside the BAR.
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& [type, cap] : caps_) {
        if (type != VIRTIO_PCI_CAP_PCI_CFG) {
            EXPECT_LE(uint64_t{cap.offset} + cap.length, VirtioPciDevice::kBarSize);
            ranges.emplace_back(cap.offset, cap.offset + cap.length);
        }
    }
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i) {
        EXPECT_LE(ranges[i - 1].second, ranges[i].first);
    }

    // MSI-X: one vector per queue plus one for configuration changes.
    ASSERT_NE(msix_cap_, 0u);
    EXPECT_EQ((conf_read(msix_cap_ + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE) + 1, 2u);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_NUMQ), 2), 1u);
}

// --- The Linux probe, end to end ------------------------------------------------

TEST_F(VirtioPciTest, LinuxProbeThenAKickFillsTheBufferAndSendsTheQueueVector) {
    bring_up(kVersion1 | kEventIdx | kIndirectDesc);
    EXPECT_EQ(transport_->driver_features(), kVersion1 | kEventIdx | kIndirectDesc);
    EXPECT_TRUE(transport_->activated());
    EXPECT_TRUE(sink_->sent.empty());

    const uint16_t head = driver_.offer({writable(64)});
    mmio_write(notify_address(0), 2, 0);  // vp_notify(): iowrite16(queue index)

    ASSERT_EQ(driver_.used_idx(), 1);
    EXPECT_EQ(driver_.used_element(0).id, head);
    EXPECT_EQ(driver_.used_element(0).len, 64u);
    EXPECT_EQ(driver_.read_bytes(FakeDriver::kDataArea, 64), counted(0, 64));
    EXPECT_EQ(sink_->sent,
              (std::vector<std::pair<uint64_t, uint32_t>>{{kMsiAddress, kQueueVectorData}}));
    EXPECT_EQ(transport_->ignored_accesses(), 0u);
}

TEST_F(VirtioPciTest, TheIoeventfdPathReachesTheDeviceToo) {
    // PciBus decoded BAR 0 when the device was added? Not before the guest
    // enabled memory decoding; the observer hears of it then.
    EXPECT_TRUE(observed_.empty());
    bring_up();
    ASSERT_EQ(observed_.size(), 1u);
    EXPECT_EQ(observed_[0], bar_);
    EXPECT_EQ(transport_->bar_address(), bar_);
    const auto offsets = transport_->notify_offsets();
    ASSERT_EQ(offsets.size(), 1u);
    EXPECT_EQ(bar_ + offsets[0].first, notify_address(0));
    EXPECT_EQ(offsets[0].second, 0);

    // KVM swallows the guest's write and signals the eventfd; the VM's
    // thread calls notify().
    driver_.offer({writable(16)});
    std::thread([this] { transport_->notify(0); }).join();
    EXPECT_EQ(driver_.used_idx(), 1);
    transport_->notify(7);  // no such queue: nothing happens
    EXPECT_EQ(driver_.used_idx(), 1);

    conf_write(PCI_COMMAND, 2, 0);  // decoding off: the VM removes its ioeventfds
    ASSERT_EQ(observed_.size(), 2u);
    EXPECT_EQ(observed_[1], std::nullopt);
}

TEST_F(VirtioPciTest, AKickBeforeDriverOkIsServedOnceTheDriverIsReady) {
    probe();
    reset_and_negotiate(kVersion1);
    enable_msix();
    mmio_write(common(VIRTIO_PCI_COMMON_MSIX), 2, 0);
    setup_queue(1);
    driver_.offer({writable(8)});
    mmio_write(notify_address(0), 2, 0);
    EXPECT_EQ(driver_.used_idx(), 0);  // §3.1.1: nothing is used before DRIVER_OK
    add_status(kDriverOk);
    EXPECT_EQ(driver_.used_idx(), 1);
}

// --- Features (§2.2, §6) ---------------------------------------------------------

TEST_F(VirtioPciTest, OffersVersion1AndTheRingFeaturesAndMasksWhatTheDriverAccepts) {
    probe();
    set_status(0);
    add_status(kAck);
    add_status(kDriver);
    EXPECT_EQ(device_features(), kVersion1 | kEventIdx | kIndirectDesc);
    mmio_write(common(VIRTIO_PCI_COMMON_DFSELECT), 4, 2);  // beyond 64 bits
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_DF), 4), 0u);

    set_driver_features(~uint64_t{0});
    EXPECT_EQ(driver_features(), kVersion1 | kEventIdx | kIndirectDesc);
    mmio_write(common(VIRTIO_PCI_COMMON_GFSELECT), 4, 5);
    mmio_write(common(VIRTIO_PCI_COMMON_GF), 4, 0xffff'ffff);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_GF), 4), 0u);

    add_status(kFeaturesOk);
    EXPECT_EQ(status(), kAck | kDriver | kFeaturesOk);
    // Features are fixed once FEATURES_OK is set.
    set_driver_features(kVersion1);
    EXPECT_EQ(transport_->driver_features(), kVersion1 | kEventIdx | kIndirectDesc);
}

TEST_F(VirtioPciTest, FeaturesOkIsRefusedWithoutVersion1) {
    probe();
    set_status(0);
    add_status(kAck);
    add_status(kDriver);
    set_driver_features(kEventIdx);  // a legacy driver's choice
    add_status(kFeaturesOk);
    EXPECT_EQ(status(), kAck | kDriver);  // virtio_features_ok() reads it back and gives up
    EXPECT_FALSE(status() & kNeedsReset);
}

// --- Device status (§2.1, §3.1.1) --------------------------------------------------

TEST_F(VirtioPciTest, StatusBitsOutOfOrderAreNotTaken) {
    probe();
    set_status(kDriver);  // without ACKNOWLEDGE
    EXPECT_EQ(status(), 0);
    set_status(kAck | kFeaturesOk);  // without DRIVER
    EXPECT_EQ(status(), kAck);
    set_status(kAck | kDriver);
    set_driver_features(kVersion1);
    // DRIVER_OK without FEATURES_OK: refused, and the device needs a reset.
    set_status(kAck | kDriver | kDriverOk);
    EXPECT_EQ(status(), kAck | kDriver | kNeedsReset);
    EXPECT_FALSE(transport_->activated());
    // The driver may not clear a bit; only writing 0 resets.
    set_status(kAck);
    EXPECT_EQ(status(), kAck | kDriver | kNeedsReset);
    set_status(0);
    EXPECT_EQ(status(), 0);
    EXPECT_GT(transport_->ignored_accesses(), 0u);
}

TEST_F(VirtioPciTest, ResetForgetsTheQueuesFeaturesAndVectors) {
    bring_up(kVersion1 | kEventIdx);
    driver_.offer({writable(8)});
    mmio_write(notify_address(0), 2, 0);
    ASSERT_EQ(driver_.used_idx(), 1);

    set_status(0);  // vp_reset()
    EXPECT_EQ(status(), 0);
    EXPECT_FALSE(transport_->activated());
    EXPECT_EQ(driver_features(), 0u);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0u);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), VirtioRng::kQueueSize);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4), 0u);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_USEDLO), 4), 0u);

    // Nothing is served until the driver sets the device up again.
    driver_.offer({writable(8)});
    mmio_write(notify_address(0), 2, 0);
    transport_->notify(0);
    EXPECT_EQ(driver_.used_idx(), 1);
}

TEST_F(VirtioPciTest, QueueRegistersAreFrozenOnceEnabled) {
    bring_up();
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, 4);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4, 0x5000);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), driver_.size());
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4), FakeDriver::kDescTable.value());
    mmio_write(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 0);  // the driver MUST NOT write 0
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 1u);
    EXPECT_FALSE(status() & kNeedsReset);
}

// --- Bad queue set-up (§4.1.4.3.2) -------------------------------------------------

TEST_F(VirtioPciTest, AQueueSizeThatIsNotAPowerOfTwoOrTooLargeIsRefused) {
    probe();
    reset_and_negotiate(kVersion1);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
    for (uint32_t size : {3u, 100u, 512u, 0u}) {
        mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, size);
        EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), VirtioRng::kQueueSize) << size;
    }
    EXPECT_TRUE(status() & kNeedsReset);

    set_status(0);
    reset_and_negotiate(kVersion1);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, 64);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 64u);
    EXPECT_FALSE(status() & kNeedsReset);
}

TEST_F(VirtioPciTest, EnablingAQueueWithRingsOutsideGuestMemoryIsRefused) {
    probe();
    reset_and_negotiate(kVersion1);
    setup_queue(VIRTIO_MSI_NO_VECTOR, false);
    write_rings(FakeDriver::kRamSize - 16, FakeDriver::kAvailRing.value(),
                FakeDriver::kUsedRing.value());
    mmio_write(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0u);
    EXPECT_TRUE(status() & kNeedsReset);

    // A ring address above 4 GiB (the high half) is just as far outside.
    set_status(0);
    reset_and_negotiate(kVersion1);
    setup_queue(VIRTIO_MSI_NO_VECTOR, false);
    write_rings(FakeDriver::kDescTable.value(), FakeDriver::kAvailRing.value(),
                (uint64_t{1} << 32) | FakeDriver::kUsedRing.value());
    mmio_write(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0u);
    EXPECT_TRUE(status() & kNeedsReset);
}

TEST_F(VirtioPciTest, EnablingAQueueBeforeFeaturesOkIsRefused) {
    probe();
    set_status(0);
    add_status(kAck);
    add_status(kDriver);
    setup_queue(VIRTIO_MSI_NO_VECTOR);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2), 0u);
    EXPECT_TRUE(status() & kNeedsReset);
}

TEST_F(VirtioPciTest, ASelectedQueueThatDoesNotExistReadsZeroAndIgnoresWrites) {
    probe();
    reset_and_negotiate(kVersion1);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 1);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SELECT), 2), 1u);
    for (unsigned field : {VIRTIO_PCI_COMMON_Q_SIZE, VIRTIO_PCI_COMMON_Q_MSIX,
                           VIRTIO_PCI_COMMON_Q_ENABLE, VIRTIO_PCI_COMMON_Q_NOFF}) {
        EXPECT_EQ(mmio_read(common(field), 2), 0u) << field;
    }
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, 8);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4, 0x1000);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0xffff);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 0u);
    // Queue 0 was not touched.
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), VirtioRng::kQueueSize);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4), 0u);
    EXPECT_EQ(status(), kAck | kDriver | kFeaturesOk);
}

TEST_F(VirtioPciTest, ANotificationForAQueueThatDoesNotExistIsIgnored) {
    bring_up();
    driver_.offer({writable(8)});
    const uint64_t notify = bar_ + caps_[VIRTIO_PCI_CAP_NOTIFY_CFG].offset;
    const uint64_t before = transport_->ignored_accesses();
    mmio_write(notify + 4, 2, 1);      // queue 1: past the notify structure
    mmio_write(notify + 0x800, 2, 0);  // further into the page
    mmio_write(notify + 1, 2, 0);      // not at a queue's address
    mmio_write(notify, 1, 0);          // not 16 bits wide
    EXPECT_EQ(driver_.used_idx(), 0);
    EXPECT_EQ(transport_->ignored_accesses(), before + 4);
    mmio_write(notify, 2, 0);
    EXPECT_EQ(driver_.used_idx(), 1);
}

// --- Access widths (§4.1.3.1) --------------------------------------------------------

TEST_F(VirtioPciTest, AccessesOfTheWrongWidthOrAlignmentDoNothing) {
    probe();
    reset_and_negotiate(kVersion1);
    const uint64_t before = transport_->ignored_accesses();
    // device_status is one byte: a 16- or 32-bit access to it is refused.
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_STATUS), 2), 0u);
    mmio_write(common(VIRTIO_PCI_COMMON_STATUS), 4, 0);  // would be a reset
    EXPECT_EQ(status(), kAck | kDriver | kFeaturesOk);
    // queue_size is 16 bits: a byte write, or a write one byte off, is refused.
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE), 1, 4);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE + 1), 2, 4);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), VirtioRng::kQueueSize);
    // A 64-bit access to a split register, and a write to a read-only one.
    mmio_write(common(VIRTIO_PCI_COMMON_Q_DESCLO), 8, 0x1000);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_DESCLO), 4), 0u);
    mmio_write(common(VIRTIO_PCI_COMMON_NUMQ), 2, 9);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_NUMQ), 2), 1u);
    // Past the common structure, and a read of the ISR wider than its byte.
    EXPECT_EQ(mmio_read(common(0x100), 4), 0u);
    EXPECT_EQ(mmio_read(isr(), 4), 0u);
    EXPECT_EQ(transport_->ignored_accesses(), before + 8);
    EXPECT_FALSE(status() & kNeedsReset);
}

// --- Interrupts (§4.1.4.5, §4.1.5) -----------------------------------------------------

TEST_F(VirtioPciTest, WithoutMsixTheIsrCarriesTheInterruptAndClearsWhenRead) {
    probe();
    reset_and_negotiate(kVersion1);
    setup_queue(VIRTIO_MSI_NO_VECTOR);
    add_status(kDriverOk);
    EXPECT_EQ(mmio_read(isr(), 1), 0u);

    driver_.offer({writable(8)});
    mmio_write(notify_address(0), 2, 0);
    ASSERT_EQ(driver_.used_idx(), 1);
    EXPECT_TRUE(sink_->sent.empty());
    EXPECT_EQ(mmio_read(isr(), 1), 1u);                           // the queue interrupt bit
    EXPECT_EQ(mmio_read(isr(), 1), 0u);                           // read-to-clear
    EXPECT_EQ(transport_->interrupt().lost_notifications(), 1u);  // INTx is not wired
}

TEST_F(VirtioPciTest, AVectorBeyondTheMsixTableReadsBackAsNoVector) {
    probe();
    reset_and_negotiate(kVersion1);
    enable_msix();
    mmio_write(common(VIRTIO_PCI_COMMON_MSIX), 2, 2);  // the table has vectors 0 and 1
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 0);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, 0x7ff);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), VIRTIO_MSI_NO_VECTOR);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_MSIX), 2, 1);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_MSIX), 2), 1u);
}

TEST_F(VirtioPciTest, ABrokenQueueSetsNeedsResetAndSendsTheConfigVector) {
    bring_up();
    const uint8_t generation = mmio_read(common(VIRTIO_PCI_COMMON_CFGGENERATION), 1);
    driver_.set_avail_idx(100);  // more buffers than a ring of 16 can hold
    mmio_write(notify_address(0), 2, 0);
    EXPECT_EQ(status(), kAck | kDriver | kFeaturesOk | kDriverOk | kNeedsReset);
    EXPECT_EQ(sink_->sent,
              (std::vector<std::pair<uint64_t, uint32_t>>{{kMsiAddress, kConfigVectorData}}));
    EXPECT_EQ(mmio_read(isr(), 1), VIRTIO_PCI_ISR_CONFIG);
    // The device configuration did not change.
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_CFGGENERATION), 1), generation);
    // Announced once, however often the driver kicks.
    mmio_write(notify_address(0), 2, 0);
    EXPECT_EQ(sink_->sent.size(), 1u);

    set_status(0);
    EXPECT_EQ(status(), 0);
}

TEST_F(VirtioPciTest, AMaskedVectorWaitsUntilTheDriverUnmasksIt) {
    bring_up();
    conf_write(msix_cap_ + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    driver_.offer({writable(8)});
    mmio_write(notify_address(0), 2, 0);
    EXPECT_TRUE(sink_->sent.empty());
    conf_write(msix_cap_ + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    EXPECT_EQ(sink_->sent,
              (std::vector<std::pair<uint64_t, uint32_t>>{{kMsiAddress, kQueueVectorData}}));
}

// --- The PCI configuration access capability (§4.1.4.9) -----------------------------------

TEST_F(VirtioPciTest, PciCfgCapabilityReachesTheBarThroughConfigurationSpace) {
    probe();
    reset_and_negotiate(kVersion1);
    const unsigned cap = caps_[VIRTIO_PCI_CAP_PCI_CFG].position;
    const unsigned data = cap + offsetof(virtio_pci_cfg_cap, pci_cfg_data);
    const auto select = [&](uint32_t offset, uint32_t length) {
        conf_write(cap + VIRTIO_PCI_CAP_BAR, 1, 0);
        conf_write(cap + VIRTIO_PCI_CAP_OFFSET, 4, offset);
        conf_write(cap + VIRTIO_PCI_CAP_LENGTH, 4, length);
    };
    const uint32_t common_offset = caps_[VIRTIO_PCI_CAP_COMMON_CFG].offset;

    select(common_offset + VIRTIO_PCI_COMMON_NUMQ, 2);
    EXPECT_EQ(conf_read(data, 4) & 0xffff, 1u);
    select(common_offset + VIRTIO_PCI_COMMON_STATUS, 1);
    EXPECT_EQ(conf_read(data, 4) & 0xff, kAck | kDriver | kFeaturesOk);

    // A write: select queue 0, set its size to 8.
    select(common_offset + VIRTIO_PCI_COMMON_Q_SIZE, 2);
    conf_write(data, 4, 8);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 8u);

    // Lengths other than 1, 2, 4, unaligned offsets and other BARs do nothing.
    const uint64_t before = transport_->ignored_accesses();
    select(common_offset + VIRTIO_PCI_COMMON_Q_SIZE, 3);
    conf_write(data, 4, 16);
    select(common_offset + VIRTIO_PCI_COMMON_Q_SIZE + 1, 2);
    conf_write(data, 4, 16);
    select(VirtioPciDevice::kBarSize - 2, 4);
    conf_write(data, 4, 16);
    conf_write(cap + VIRTIO_PCI_CAP_BAR, 1, 1);
    conf_write(data, 4, 16);
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_Q_SIZE), 2), 8u);
    EXPECT_EQ(transport_->ignored_accesses(), before + 4);
}

// --- A device with configuration space, and one that fails to start --------------------------

class ConfigDevice final : public VirtioDevice {
public:
    std::string_view name() const override { return "virtio-test"; }
    uint16_t device_type() const override { return VIRTIO_ID_CONSOLE; }
    uint64_t device_features() const override {
        // Bit 0 is the device's own; bit 34 (VIRTIO_F_RING_PACKED) is not for
        // it to offer, and neither the transport nor the queue implements it.
        return bit(0) | bit(VIRTIO_F_RING_PACKED);
    }
    std::vector<uint16_t> queue_max_sizes() const override { return {16, 16}; }
    uint32_t config_size() const override { return static_cast<uint32_t>(config.size()); }
    void read_config(uint32_t offset, std::span<uint8_t> data) override {
        std::copy_n(config.begin() + offset, data.size(), data.begin());
    }
    void write_config(uint32_t offset, std::span<const uint8_t> data) override {
        std::copy(data.begin(), data.end(), config.begin() + offset);
    }
    bool activate(const GuestMemory&, uint64_t features, std::vector<SplitQueue*> queues,
                  std::shared_ptr<Interrupt> interrupt) override {
        activated_features = features;
        queue_count = queues.size();
        interrupt_ = std::move(interrupt);
        return start;
    }
    void process_queue(uint16_t queue_index) override { processed.push_back(queue_index); }
    void reset() override {
        ++resets;
        interrupt_.reset();
    }
    void change_config() { interrupt_->signal_config_change(); }

    std::array<uint8_t, 8> config{1, 2, 3, 4, 5, 6, 7, 8};
    bool start = true;
    uint64_t activated_features = 0;
    size_t queue_count = 0;
    std::vector<uint16_t> processed;
    int resets = 0;

private:
    std::shared_ptr<Interrupt> interrupt_;
};

class VirtioPciConfigTest : public VirtioPciTest {
protected:
    VirtioPciConfigTest() : VirtioPciTest(std::make_shared<ConfigDevice>()) {}
    ConfigDevice& device() { return static_cast<ConfigDevice&>(*device_); }
};

TEST_F(VirtioPciConfigTest, DeviceConfigurationIsReachedThroughItsCapability) {
    probe();
    EXPECT_EQ(conf_read(PCI_DEVICE_ID, 2), 0x1040u + VIRTIO_ID_CONSOLE);
    EXPECT_EQ(conf_read(PCI_CLASS_REVISION, 4) >> 8, 0x078000u);
    ASSERT_TRUE(caps_.count(VIRTIO_PCI_CAP_DEVICE_CFG));
    const VirtioCap cap = caps_[VIRTIO_PCI_CAP_DEVICE_CFG];
    EXPECT_EQ(cap.length, 8u);
    const uint64_t config = bar_ + cap.offset;
    EXPECT_EQ(mmio_read(config, 4), 0x0403'0201u);
    EXPECT_EQ(mmio_read(config + 6, 2), 0x0807u);
    mmio_write(config + 4, 2, 0xbeef);
    EXPECT_EQ(device().config[4], 0xef);
    EXPECT_EQ(device().config[5], 0xbe);
    // Accesses that leave the structure reach neither the device nor anything else.
    EXPECT_EQ(mmio_read(config + 6, 4), 0u);
    mmio_write(config + 8, 1, 0xff);
    EXPECT_EQ(device().config[7], 8);
    EXPECT_EQ(transport_->ignored_accesses(), 2u);
}

TEST_F(VirtioPciConfigTest, TheDeviceGetsOnlyFeaturesThatWereOfferedAndAccepted) {
    probe();
    EXPECT_EQ(device_features(), bit(0) | kVersion1 | kEventIdx | kIndirectDesc);
    reset_and_negotiate(kVersion1 | bit(0) | bit(VIRTIO_F_RING_PACKED));
    add_status(kDriverOk);
    EXPECT_EQ(device().activated_features, kVersion1 | bit(0));
    EXPECT_EQ(device().queue_count, 2u);
}

TEST_F(VirtioPciConfigTest, AConfigurationChangeBumpsTheGenerationAndSendsTheConfigVector) {
    probe();
    reset_and_negotiate(kVersion1);
    enable_msix();
    mmio_write(common(VIRTIO_PCI_COMMON_MSIX), 2, 0);
    add_status(kDriverOk);
    const uint8_t generation = mmio_read(common(VIRTIO_PCI_COMMON_CFGGENERATION), 1);
    device().change_config();
    EXPECT_EQ(mmio_read(common(VIRTIO_PCI_COMMON_CFGGENERATION), 1),
              static_cast<uint8_t>(generation + 1));
    EXPECT_EQ(sink_->sent,
              (std::vector<std::pair<uint64_t, uint32_t>>{{kMsiAddress, kConfigVectorData}}));
    EXPECT_EQ(mmio_read(isr(), 1), VIRTIO_PCI_ISR_CONFIG);
}

TEST_F(VirtioPciConfigTest, OnlyEnabledQueuesAreNotified) {
    probe();
    reset_and_negotiate(kVersion1);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SELECT), 2, 1);
    mmio_write(common(VIRTIO_PCI_COMMON_Q_SIZE), 2, 16);
    write_rings(FakeDriver::kDescTable.value(), FakeDriver::kAvailRing.value(),
                FakeDriver::kUsedRing.value());
    mmio_write(common(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
    add_status(kDriverOk);
    EXPECT_EQ(device().processed, std::vector<uint16_t>{1});  // the look at activation
    mmio_write(notify_address(0), 2, 0);                      // queue 0 is not enabled
    mmio_write(notify_address(1), 2, 1);
    EXPECT_EQ(device().processed, (std::vector<uint16_t>{1, 1}));
}

TEST_F(VirtioPciConfigTest, ADeviceThatCannotStartNeedsAReset) {
    device().start = false;
    probe();
    reset_and_negotiate(kVersion1);
    add_status(kDriverOk);
    EXPECT_EQ(status(), kAck | kDriver | kFeaturesOk | kDriverOk | kNeedsReset);
    EXPECT_FALSE(transport_->activated());
    transport_->notify(0);
    EXPECT_TRUE(device().processed.empty());
    const int resets = device().resets;
    set_status(0);
    EXPECT_EQ(device().resets, resets + 1);
    EXPECT_EQ(status(), 0);
}

// --- Berth's own mistakes --------------------------------------------------------------

class QueuesDevice final : public VirtioDevice {
public:
    explicit QueuesDevice(std::vector<uint16_t> sizes) : sizes_(std::move(sizes)) {}
    std::string_view name() const override { return "virtio-queues"; }
    uint16_t device_type() const override { return VIRTIO_ID_RNG; }
    uint64_t device_features() const override { return 0; }
    std::vector<uint16_t> queue_max_sizes() const override { return sizes_; }
    bool activate(const GuestMemory&, uint64_t, std::vector<SplitQueue*>,
                  std::shared_ptr<Interrupt>) override {
        return true;
    }
    void process_queue(uint16_t) override {}
    void reset() override {}

private:
    std::vector<uint16_t> sizes_;
};

TEST(VirtioPciDeviceSetUp, RefusesDevicesItCannotPresent) {
    FakeDriver driver(16);
    auto sink = std::make_shared<RecordingMsiSink>();
    const auto make = [&](std::vector<uint16_t> sizes) {
        return VirtioPciDevice(std::make_shared<QueuesDevice>(std::move(sizes)), driver.memory(),
                               sink);
    };
    EXPECT_THROW(make({}), std::invalid_argument);
    EXPECT_THROW(make(std::vector<uint16_t>(VirtioPciDevice::kMaxQueues + 1, 16)),
                 std::invalid_argument);
    EXPECT_THROW(make({16, 12}), std::invalid_argument);
    EXPECT_NO_THROW(make(std::vector<uint16_t>(VirtioPciDevice::kMaxQueues, 16)));
    EXPECT_THROW(VirtioPciDevice(nullptr, driver.memory(), sink), std::invalid_argument);
    EXPECT_THROW(VirtioPciDevice(std::make_shared<QueuesDevice>(std::vector<uint16_t>{16}),
                                 driver.memory(), nullptr),
                 std::invalid_argument);
}

}  // namespace
}  // namespace berth::virtio
