#include "devices/pci/msix.h"

#include <linux/pci_regs.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "tests/unit/pci/pci_test_helpers.h"

namespace berth::pci {
namespace {

using testing::from_bytes;
using testing::guest_read;
using testing::guest_write;
using testing::to_bytes;

struct Message {
    uint64_t address;
    uint32_t data;
    bool operator==(const Message&) const = default;
};

class RecordingMsiSink final : public MsiSink {
public:
    void send_msi(uint64_t address, uint32_t data) override { sent.push_back({address, data}); }
    std::vector<Message> sent;
};

constexpr unsigned kBar = 1;
constexpr uint32_t kTableOffset = 0x1000;
constexpr uint32_t kPbaOffset = 0x3000;
constexpr uint64_t kApicAddress = 0xfee0'0000;

// A function with MSI-X in BAR 1: the table at 0x1000, the PBA at 0x3000.
class MsixTest : public ::testing::Test {
protected:
    static constexpr uint16_t kVectors = 70;  // the PBA needs a second qword

    MsixTest() {
        config_.add_bar(kBar, {BarKind::kMemory32, 0x4000, false});
        capability_ = msix_.add_capability(config_, {kBar, kTableOffset, kBar, kPbaOffset});
    }

    uint32_t table_read(uint64_t offset, unsigned size = 4) {
        std::array<uint8_t, 8> bytes{};
        EXPECT_TRUE(msix_.bar_read(kBar, kTableOffset + offset, std::span(bytes.data(), size)));
        return from_bytes(std::span(bytes.data(), std::min(size, 4u)));
    }
    void table_write(uint64_t offset, uint32_t value, unsigned size = 4) {
        std::array<uint8_t, 8> bytes{};
        const auto low = to_bytes(value);
        std::copy(low.begin(), low.end(), bytes.begin());
        EXPECT_TRUE(msix_.bar_write(kBar, kTableOffset + offset, std::span(bytes.data(), size)));
    }
    uint64_t pba_read(uint64_t offset) {
        std::array<uint8_t, 8> bytes{};
        EXPECT_TRUE(msix_.bar_read(kBar, kPbaOffset + offset, bytes));
        uint64_t value = 0;
        for (size_t i = 0; i < 8; ++i) {
            value |= uint64_t{bytes[i]} << (8 * i);
        }
        return value;
    }
    uint32_t pba_read32(uint64_t offset) {
        std::array<uint8_t, 4> bytes{};
        EXPECT_TRUE(msix_.bar_read(kBar, kPbaOffset + offset, bytes));
        return from_bytes(bytes);
    }
    // Programs vector `index` the way Linux's msi_write_msg / pci_msix_unmask do.
    void program(uint16_t index, uint32_t data, bool masked = false) {
        const uint64_t entry = uint64_t{index} * PCI_MSIX_ENTRY_SIZE;
        table_write(entry + PCI_MSIX_ENTRY_LOWER_ADDR, kApicAddress);
        table_write(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
        table_write(entry + PCI_MSIX_ENTRY_DATA, data);
        table_write(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0);
    }
    void set_control(uint16_t flags) {
        guest_write(config_, capability_ + PCI_MSIX_FLAGS, 2, flags);
        msix_.control_written(config_);
    }

    std::shared_ptr<RecordingMsiSink> sink_ = std::make_shared<RecordingMsiSink>();
    ConfigSpace config_{ConfigSpace::Identity{0x1af4, 0x1041, 0x020000}};
    Msix msix_{kVectors, sink_};
    uint8_t capability_ = 0;
};

TEST_F(MsixTest, CapabilityDescribesTableAndPba) {
    EXPECT_EQ(guest_read(config_, PCI_CAPABILITY_LIST, 1), capability_);
    EXPECT_EQ(guest_read(config_, capability_ + PCI_CAP_LIST_ID, 1), unsigned{PCI_CAP_ID_MSIX});
    EXPECT_EQ(guest_read(config_, capability_ + PCI_CAP_LIST_NEXT, 1), 0u);
    EXPECT_EQ(guest_read(config_, capability_ + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE,
              kVectors - 1u);
    EXPECT_EQ(guest_read(config_, capability_ + PCI_MSIX_TABLE, 4), kTableOffset | kBar);
    EXPECT_EQ(guest_read(config_, capability_ + PCI_MSIX_PBA, 4), kPbaOffset | kBar);
    EXPECT_EQ(msix_.table_size(), kVectors * 16u);
    EXPECT_EQ(msix_.pba_size(), 16u);

    // Only Enable and Function Mask are writable.
    guest_write(config_, capability_ + PCI_MSIX_FLAGS, 2, 0xffff);
    guest_write(config_, capability_ + PCI_MSIX_TABLE, 4, 0);
    guest_write(config_, capability_ + PCI_MSIX_PBA, 4, 0);
    EXPECT_EQ(guest_read(config_, capability_ + PCI_MSIX_FLAGS, 2),
              PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | (kVectors - 1u));
    EXPECT_EQ(guest_read(config_, capability_ + PCI_MSIX_TABLE, 4), kTableOffset | kBar);
    EXPECT_EQ(guest_read(config_, capability_ + PCI_MSIX_PBA, 4), kPbaOffset | kBar);
}

TEST_F(MsixTest, ConfigurationChangesReachTheModelOnlyThroughControlWritten) {
    EXPECT_FALSE(msix_.enabled());
    guest_write(config_, capability_ + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
    EXPECT_FALSE(msix_.enabled());
    msix_.control_written(config_);
    EXPECT_TRUE(msix_.enabled());
    EXPECT_FALSE(msix_.function_masked());
    set_control(PCI_MSIX_FLAGS_MASKALL);
    EXPECT_FALSE(msix_.enabled());
    EXPECT_TRUE(msix_.function_masked());
}

TEST(Msix, RefusesBadSetUp) {
    auto sink = std::make_shared<RecordingMsiSink>();
    EXPECT_THROW(Msix(0, sink), std::invalid_argument);
    EXPECT_THROW(Msix(Msix::kMaxVectors + 1, sink), std::invalid_argument);
    EXPECT_THROW(Msix(1, nullptr), std::invalid_argument);

    ConfigSpace config(ConfigSpace::Identity{0x1af4, 0x1041, 0x020000});
    config.add_bar(0, {BarKind::kMemory32, 0x1000, false});
    config.add_bar(1, {BarKind::kIo, 0x20, false});
    Msix msix(64, sink);  // a 1 KiB table and an 8-byte PBA
    EXPECT_THROW(msix.add_capability(config, {2, 0, 0, 0x800}), std::invalid_argument);  // no BAR
    EXPECT_THROW(msix.add_capability(config, {1, 0, 0, 0x800}), std::invalid_argument);  // I/O
    EXPECT_THROW(msix.add_capability(config, {0, 0xc04, 0, 0}), std::invalid_argument);  // past
    EXPECT_THROW(msix.add_capability(config, {0, 4, 0, 0x800}), std::invalid_argument);  // align
    EXPECT_THROW(msix.add_capability(config, {0, 0, 0, 0x3f8}), std::invalid_argument);  // overlap
    EXPECT_EQ(guest_read(config, PCI_CAPABILITY_LIST, 1), 0u);  // nothing was added
    EXPECT_NO_THROW(msix.add_capability(config, {0, 0, 0, 0x400}));
}

TEST_F(MsixTest, TableResetsMaskedAndIsReadWritable) {
    for (uint16_t index = 0; index < kVectors; ++index) {
        const uint64_t entry = uint64_t{index} * PCI_MSIX_ENTRY_SIZE;
        EXPECT_EQ(table_read(entry + PCI_MSIX_ENTRY_LOWER_ADDR), 0u);
        EXPECT_EQ(table_read(entry + PCI_MSIX_ENTRY_DATA), 0u);
        EXPECT_EQ(table_read(entry + PCI_MSIX_ENTRY_VECTOR_CTRL),
                  unsigned{PCI_MSIX_ENTRY_CTRL_MASKBIT});
    }
    EXPECT_EQ(pba_read(0), 0u);

    const uint64_t entry = 3 * PCI_MSIX_ENTRY_SIZE;
    table_write(entry + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee0'100f);  // bits 1:0 read as 0
    table_write(entry + PCI_MSIX_ENTRY_UPPER_ADDR, 0x1234);
    table_write(entry + PCI_MSIX_ENTRY_DATA, 0xdead'0041);
    table_write(entry + PCI_MSIX_ENTRY_VECTOR_CTRL, 0xffff'fffe);  // reserved bits stay 0
    EXPECT_EQ(table_read(entry + PCI_MSIX_ENTRY_LOWER_ADDR), 0xfee0'100cu);
    EXPECT_EQ(table_read(entry + PCI_MSIX_ENTRY_UPPER_ADDR), 0x1234u);
    EXPECT_EQ(table_read(entry + PCI_MSIX_ENTRY_DATA), 0xdead'0041u);
    EXPECT_EQ(table_read(entry + PCI_MSIX_ENTRY_VECTOR_CTRL), 0u);
    EXPECT_EQ(msix_.vector(3), (MsixVector{0x1234'fee0'100c, 0xdead'0041, false, false}));
    EXPECT_EQ(msix_.vector(2), (MsixVector{0, 0, true, false}));
    EXPECT_FALSE(msix_.vector(kVectors).has_value());
}

TEST_F(MsixTest, QwordAccessesAreTwoDwords) {
    const uint64_t entry = 5 * PCI_MSIX_ENTRY_SIZE;
    const std::array<uint8_t, 8> address{0x00, 0x20, 0xe0, 0xfe, 0x01, 0x00, 0x00, 0x00};
    EXPECT_TRUE(msix_.bar_write(kBar, kTableOffset + entry, address));
    EXPECT_EQ(msix_.vector(5)->address, 0x1'fee0'2000u);
    const std::array<uint8_t, 8> data_and_control{0x31, 0, 0, 0, 0, 0, 0, 0};
    EXPECT_TRUE(msix_.bar_write(kBar, kTableOffset + entry + 8, data_and_control));
    EXPECT_EQ(msix_.vector(5), (MsixVector{0x1'fee0'2000, 0x31, false, false}));
    std::array<uint8_t, 8> read{};
    EXPECT_TRUE(msix_.bar_read(kBar, kTableOffset + entry, read));
    EXPECT_EQ(read, address);
}

TEST_F(MsixTest, OnlyAlignedDwordAndQwordAccessesAreHonoured) {
    const uint64_t data = PCI_MSIX_ENTRY_DATA;
    table_write(data, 0x1111'1111);
    table_write(data, 0x22, 1);
    table_write(data, 0x2222, 2);
    table_write(data + 2, 0x2222'2222);     // misaligned dword
    table_write(data - 4, 0x2222'2222, 8);  // qword at offset 4: misaligned
    EXPECT_EQ(table_read(data), 0x1111'1111u);
    EXPECT_EQ(table_read(data - 4), 0u);
    EXPECT_EQ(table_read(data, 1), 0xffu);  // ignored reads give all ones
    EXPECT_EQ(table_read(data, 2), 0xffffu);
    EXPECT_EQ(table_read(data + 1), 0xffff'ffffu);
    EXPECT_EQ(msix_.ignored_accesses(), 7u);
}

TEST_F(MsixTest, AccessesElsewhereInTheBarAreLeftToTheDevice) {
    std::array<uint8_t, 4> bytes{0x12, 0x34, 0x56, 0x78};
    EXPECT_FALSE(msix_.bar_read(kBar, 0, bytes));
    EXPECT_EQ(bytes[0], 0x12);  // untouched
    EXPECT_FALSE(msix_.bar_write(kBar, kTableOffset - 4, bytes));
    EXPECT_FALSE(msix_.bar_read(kBar, kTableOffset + kVectors * 16, bytes));  // just past
    EXPECT_FALSE(msix_.bar_read(kBar, kPbaOffset + 16, bytes));
    EXPECT_FALSE(msix_.bar_read(0, kTableOffset, bytes));                        // another BAR
    EXPECT_TRUE(msix_.bar_read(kBar, kTableOffset + kVectors * 16 - 4, bytes));  // last dword
    EXPECT_TRUE(msix_.bar_read(kBar, kPbaOffset + 12, bytes));
}

TEST_F(MsixTest, NothingIsSentWhileMsixIsDisabled) {
    program(0, 0x41);
    EXPECT_EQ(msix_.notify(0), Msix::Delivery::kDisabled);
    EXPECT_TRUE(sink_->sent.empty());
    EXPECT_FALSE(msix_.vector(0)->pending);  // not a masked vector: no Pending bit
}

TEST_F(MsixTest, UnmaskedVectorsSendTheirMessage) {
    set_control(PCI_MSIX_FLAGS_ENABLE);
    program(0, 0x41);
    program(7, 0x4007);
    EXPECT_EQ(msix_.notify(7), Msix::Delivery::kSent);
    EXPECT_EQ(msix_.notify(0), Msix::Delivery::kSent);
    EXPECT_EQ(msix_.notify(7), Msix::Delivery::kSent);
    EXPECT_EQ(sink_->sent,
              (std::vector<Message>{
                  {kApicAddress, 0x4007}, {kApicAddress, 0x41}, {kApicAddress, 0x4007}}));
    EXPECT_EQ(msix_.notify(kVectors), Msix::Delivery::kNoSuchVector);
    EXPECT_EQ(msix_.notify(0xffff), Msix::Delivery::kNoSuchVector);  // VIRTIO_MSI_NO_VECTOR
    EXPECT_EQ(sink_->sent.size(), 3u);
}

TEST_F(MsixTest, AMaskedVectorIsPendingAndDeliveredOnUnmask) {
    set_control(PCI_MSIX_FLAGS_ENABLE);
    program(67, 0x4067, /*masked=*/true);
    program(35, 0x4035, /*masked=*/true);
    EXPECT_EQ(msix_.notify(67), Msix::Delivery::kPending);
    EXPECT_EQ(msix_.notify(67), Msix::Delivery::kPending);  // still one pending message
    EXPECT_EQ(msix_.notify(35), Msix::Delivery::kPending);
    EXPECT_TRUE(sink_->sent.empty());
    EXPECT_TRUE(msix_.vector(67)->pending);
    EXPECT_EQ(pba_read(0), uint64_t{1} << 35);
    EXPECT_EQ(pba_read(8), uint64_t{1} << (67 - 64));  // second qword, bit 3
    EXPECT_EQ(pba_read32(4), 1u << (35 - 32));         // vector 35 through a dword read

    // The PBA is read-only.
    const std::array<uint8_t, 8> zeros{};
    EXPECT_TRUE(msix_.bar_write(kBar, kPbaOffset + 8, zeros));
    EXPECT_EQ(pba_read(8), uint64_t{1} << 3);

    table_write(67 * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);  // unmask
    EXPECT_EQ(sink_->sent, (std::vector<Message>{{kApicAddress, 0x4067}}));
    EXPECT_FALSE(msix_.vector(67)->pending);
    EXPECT_EQ(pba_read(8), 0u);
    EXPECT_EQ(pba_read(0), uint64_t{1} << 35);  // still masked
    // Masking and unmasking again sends nothing more: nothing was pending.
    table_write(67 * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 1);
    table_write(67 * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    EXPECT_EQ(sink_->sent.size(), 1u);
}

TEST_F(MsixTest, TheFunctionMaskHoldsEveryVector) {
    // Linux's msix_capability_init: enable with all vectors masked, program,
    // then clear the function mask.
    set_control(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    program(1, 0x51);
    program(2, 0x52);
    program(3, 0x53, /*masked=*/true);
    EXPECT_EQ(msix_.notify(1), Msix::Delivery::kPending);
    EXPECT_EQ(msix_.notify(3), Msix::Delivery::kPending);
    EXPECT_TRUE(sink_->sent.empty());
    EXPECT_EQ(pba_read(0), 0b1010u);

    set_control(PCI_MSIX_FLAGS_ENABLE);
    // Vector 1 goes out; vector 3 is still masked by its own bit.
    EXPECT_EQ(sink_->sent, (std::vector<Message>{{kApicAddress, 0x51}}));
    EXPECT_EQ(pba_read(0), 0b1000u);
    EXPECT_EQ(msix_.notify(2), Msix::Delivery::kSent);
    EXPECT_EQ(sink_->sent.size(), 2u);
}

TEST_F(MsixTest, DisablingKeepsPendingMessagesUntilReenabled) {
    set_control(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    program(4, 0x44);
    EXPECT_EQ(msix_.notify(4), Msix::Delivery::kPending);
    set_control(0);  // disabled and unmasked: still nothing may go out
    EXPECT_TRUE(sink_->sent.empty());
    set_control(PCI_MSIX_FLAGS_ENABLE);
    EXPECT_EQ(sink_->sent, (std::vector<Message>{{kApicAddress, 0x44}}));
}

TEST_F(MsixTest, MessagesToAddressesOutsideTheMsiWindowAreDropped) {
    set_control(PCI_MSIX_FLAGS_ENABLE);
    program(0, 0x41);
    table_write(PCI_MSIX_ENTRY_LOWER_ADDR, 0x0010'0000);  // RAM: a DMA write, not an interrupt
    EXPECT_EQ(msix_.notify(0), Msix::Delivery::kBadAddress);
    table_write(PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee0'0000);
    table_write(PCI_MSIX_ENTRY_UPPER_ADDR, 1);  // reserved upper dword
    EXPECT_EQ(msix_.notify(0), Msix::Delivery::kBadAddress);
    table_write(PCI_MSIX_ENTRY_LOWER_ADDR, 0xfef0'0000);  // just above the window
    table_write(PCI_MSIX_ENTRY_UPPER_ADDR, 0);
    EXPECT_EQ(msix_.notify(0), Msix::Delivery::kBadAddress);
    EXPECT_TRUE(sink_->sent.empty());
    EXPECT_EQ(msix_.dropped_messages(), 3u);
    table_write(PCI_MSIX_ENTRY_LOWER_ADDR, 0xfeef'f00c);  // top of the window: fine
    EXPECT_EQ(msix_.notify(0), Msix::Delivery::kSent);
}

TEST_F(MsixTest, TheObserverSeesEveryChangeThatMattersToRouting) {
    struct Seen {
        uint16_t index;
        MsixVector vector;
        bool deliverable;
    };
    std::vector<Seen> seen;
    msix_.set_vector_observer([&](uint16_t index, const MsixVector& vector, bool deliverable) {
        seen.push_back({index, vector, deliverable});
    });
    table_write(2 * 16 + PCI_MSIX_ENTRY_DATA, 0x42);
    ASSERT_EQ(seen.size(), 1u);
    EXPECT_EQ(seen[0].index, 2);
    EXPECT_EQ(seen[0].vector.data, 0x42u);
    EXPECT_FALSE(seen[0].deliverable);                // masked, and MSI-X is off
    table_write(2 * 16 + PCI_MSIX_ENTRY_DATA, 0x42);  // no change, no call
    EXPECT_EQ(seen.size(), 1u);

    table_write(2 * 16 + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
    ASSERT_EQ(seen.size(), 2u);
    EXPECT_FALSE(seen[1].vector.masked);
    EXPECT_FALSE(seen[1].deliverable);  // still disabled

    seen.clear();
    set_control(PCI_MSIX_FLAGS_ENABLE);  // every vector is told
    ASSERT_EQ(seen.size(), kVectors);
    EXPECT_TRUE(seen[2].deliverable);
    EXPECT_FALSE(seen[3].deliverable);
    seen.clear();
    set_control(PCI_MSIX_FLAGS_ENABLE);  // no change
    EXPECT_TRUE(seen.empty());
}

}  // namespace
}  // namespace berth::pci
