#include "devices/pci/config_space.h"

#include <linux/pci_regs.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "tests/unit/pci/pci_test_helpers.h"

namespace berth::pci {
namespace {

using testing::guest_read;
using testing::guest_write;

ConfigSpace::Identity test_identity() {
    ConfigSpace::Identity identity;
    identity.vendor_id = 0x1af4;
    identity.device_id = 0x1042;
    identity.class_code = 0x018000;
    identity.revision_id = 0x01;
    identity.subsystem_vendor_id = 0x1af4;
    identity.subsystem_id = 0x0040;
    identity.interrupt_pin = 1;
    return identity;
}

TEST(PciConfigSpace, ResetValues) {
    const ConfigSpace config(test_identity());
    EXPECT_EQ(guest_read(config, PCI_VENDOR_ID, 2), 0x1af4u);
    EXPECT_EQ(guest_read(config, PCI_DEVICE_ID, 2), 0x1042u);
    EXPECT_EQ(guest_read(config, PCI_COMMAND, 2), 0u);
    EXPECT_EQ(guest_read(config, PCI_STATUS, 2), 0u);  // no capability list yet
    EXPECT_EQ(guest_read(config, PCI_REVISION_ID, 1), 0x01u);
    EXPECT_EQ(guest_read(config, PCI_CLASS_PROG, 1), 0x00u);
    EXPECT_EQ(guest_read(config, PCI_CLASS_DEVICE, 2), 0x0180u);
    EXPECT_EQ(guest_read(config, PCI_CLASS_REVISION, 4), 0x0180'0001u);
    EXPECT_EQ(guest_read(config, PCI_HEADER_TYPE, 1), unsigned{PCI_HEADER_TYPE_NORMAL});
    EXPECT_EQ(guest_read(config, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4u);
    EXPECT_EQ(guest_read(config, PCI_SUBSYSTEM_ID, 2), 0x0040u);
    EXPECT_EQ(guest_read(config, PCI_CAPABILITY_LIST, 1), 0u);
    EXPECT_EQ(guest_read(config, PCI_INTERRUPT_PIN, 1), 1u);
    EXPECT_EQ(guest_read(config, PCI_INTERRUPT_LINE, 1), 0u);
    for (unsigned bar = 0; bar < PCI_STD_NUM_BARS; ++bar) {
        EXPECT_EQ(guest_read(config, static_cast<uint16_t>(PCI_BASE_ADDRESS_0 + 4 * bar), 4), 0u);
    }
}

TEST(PciConfigSpace, IdentificationRegistersAreReadOnly) {
    ConfigSpace config(test_identity());
    guest_write(config, PCI_VENDOR_ID, 4, 0xffff'ffff);
    guest_write(config, PCI_CLASS_REVISION, 4, 0);
    guest_write(config, PCI_HEADER_TYPE, 1, 0x80);
    guest_write(config, PCI_SUBSYSTEM_VENDOR_ID, 4, 0);
    guest_write(config, PCI_INTERRUPT_PIN, 1, 4);
    guest_write(config, PCI_CAPABILITY_LIST, 1, 0x40);
    guest_write(config, PCI_ROM_ADDRESS, 4, 0xffff'ffff);
    EXPECT_EQ(guest_read(config, PCI_VENDOR_ID, 4), 0x1042'1af4u);
    EXPECT_EQ(guest_read(config, PCI_CLASS_REVISION, 4), 0x0180'0001u);
    EXPECT_EQ(guest_read(config, PCI_HEADER_TYPE, 1), 0u);
    EXPECT_EQ(guest_read(config, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x0040'1af4u);
    EXPECT_EQ(guest_read(config, PCI_INTERRUPT_PIN, 1), 1u);
    EXPECT_EQ(guest_read(config, PCI_CAPABILITY_LIST, 1), 0u);
    EXPECT_EQ(guest_read(config, PCI_ROM_ADDRESS, 4), 0u);  // sizing reads 0: no ROM
}

TEST(PciConfigSpace, CommandKeepsOnlyTheImplementedBits) {
    ConfigSpace config(test_identity());
    guest_write(config, PCI_COMMAND, 2, 0xffff);
    const unsigned implemented = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                                 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE;
    EXPECT_EQ(guest_read(config, PCI_COMMAND, 2), implemented);
    EXPECT_EQ(config.command(), implemented);
    guest_write(config, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    EXPECT_EQ(config.command(), PCI_COMMAND_MEMORY);
    // A byte write to the upper half changes only that half.
    guest_write(config, PCI_COMMAND + 1, 1, PCI_COMMAND_INTX_DISABLE >> 8);
    EXPECT_EQ(config.command(), PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
    // A dword write at 0x04 reaches Command and Status at once; Status stays 0.
    guest_write(config, PCI_COMMAND, 4, 0xffff'0000 | PCI_COMMAND_MASTER);
    EXPECT_EQ(guest_read(config, PCI_COMMAND, 4), unsigned{PCI_COMMAND_MASTER});
}

TEST(PciConfigSpace, StatusErrorBitsAreWriteOneToClear) {
    ConfigSpace config(test_identity());
    const uint16_t errors = PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY |
                            PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_PARITY;
    config.set_u16(PCI_STATUS, errors | PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT);

    guest_write(config, PCI_STATUS, 2, 0);  // writing 0 clears nothing
    EXPECT_EQ(guest_read(config, PCI_STATUS, 2),
              unsigned{errors | PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT});
    guest_write(config, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
    EXPECT_EQ(guest_read(config, PCI_STATUS, 2),
              unsigned{(errors & ~PCI_STATUS_REC_MASTER_ABORT) | PCI_STATUS_CAP_LIST |
                       PCI_STATUS_INTERRUPT});
    // Writing all ones clears every error bit but not the read-only ones.
    guest_write(config, PCI_STATUS, 2, 0xffff);
    EXPECT_EQ(guest_read(config, PCI_STATUS, 2),
              unsigned{PCI_STATUS_CAP_LIST | PCI_STATUS_INTERRUPT});
    // Writing Command as a dword with zeros in the Status half clears nothing.
    config.set_u16(PCI_STATUS, PCI_STATUS_SIG_TARGET_ABORT);
    guest_write(config, PCI_COMMAND, 4, PCI_COMMAND_IO);
    EXPECT_EQ(guest_read(config, PCI_STATUS, 2), unsigned{PCI_STATUS_SIG_TARGET_ABORT});
}

TEST(PciConfigSpace, ScratchRegistersAreWritable) {
    ConfigSpace config(test_identity());
    guest_write(config, PCI_INTERRUPT_LINE, 1, 11);
    guest_write(config, PCI_CACHE_LINE_SIZE, 1, 0x10);
    EXPECT_EQ(guest_read(config, PCI_INTERRUPT_LINE, 1), 11u);
    EXPECT_EQ(guest_read(config, PCI_CACHE_LINE_SIZE, 1), 0x10u);
}

TEST(PciConfigSpace, AccessesPastTheEndReadOnesAndWriteNothing) {
    ConfigSpace config(test_identity());
    EXPECT_EQ(guest_read(config, 0xfe, 4), 0xffff'ffffu);  // straddles the end
    EXPECT_EQ(guest_read(config, 0x100, 4), 0xffff'ffffu);
    EXPECT_EQ(guest_read(config, 0xffff, 1), 0xffu);
    config.set_write_mask(0xfc, 4, 0xffff'ffff);
    guest_write(config, 0xfe, 4, 0x1234'5678);
    EXPECT_EQ(guest_read(config, 0xfc, 4), 0u);
    guest_write(config, 0xfc, 4, 0x1234'5678);  // inside: accepted
    EXPECT_EQ(guest_read(config, 0xfc, 4), 0x1234'5678u);
}

TEST(PciConfigSpace, SizesA32BitMemoryBar) {
    ConfigSpace config(test_identity());
    config.add_bar(0, {BarKind::kMemory32, 0x1000, false});
    config.add_bar(1, {BarKind::kMemory32, 0x10'0000, true});
    config.set_bar_address(0, 0xe000'0000);
    config.set_bar_address(1, 0xe010'0000);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_0, 4), 0xe000'0000u);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_1, 4),
              0xe010'0000u | PCI_BASE_ADDRESS_MEM_PREFETCH);

    // Linux's __pci_read_base: save, write ~0, read the size mask, restore.
    guest_write(config, PCI_BASE_ADDRESS_0, 4, 0xffff'ffff);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_0, 4), 0xffff'f000u);
    EXPECT_EQ(config.bar_address(0), 0xffff'f000u);
    guest_write(config, PCI_BASE_ADDRESS_1, 4, 0xffff'ffff);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_1, 4),
              0xfff0'0000u | PCI_BASE_ADDRESS_MEM_PREFETCH);
    guest_write(config, PCI_BASE_ADDRESS_0, 4, 0xe000'0000);
    EXPECT_EQ(config.bar_address(0), 0xe000'0000u);
    // Address bits below the size are read-only zero.
    guest_write(config, PCI_BASE_ADDRESS_0, 4, 0xe000'0abc);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_0, 4), 0xe000'0000u);

    // Unused registers stay zero when sized: no BAR there.
    guest_write(config, PCI_BASE_ADDRESS_2, 4, 0xffff'ffff);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_2, 4), 0u);
    EXPECT_FALSE(config.bar(2).has_value());
}

TEST(PciConfigSpace, SizesA64BitMemoryBar) {
    ConfigSpace config(test_identity());
    config.add_bar(2, {BarKind::kMemory64, 0x4000, false});
    config.set_bar_address(2, 0xe000'4000);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_2, 4),
              0xe000'4000u | PCI_BASE_ADDRESS_MEM_TYPE_64);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_3, 4), 0u);
    ASSERT_TRUE(config.bar(2).has_value());
    EXPECT_EQ(config.bar(2)->kind, BarKind::kMemory64);
    EXPECT_FALSE(config.bar(3).has_value());  // the upper half is not a BAR of its own

    guest_write(config, PCI_BASE_ADDRESS_2, 4, 0xffff'ffff);
    guest_write(config, PCI_BASE_ADDRESS_3, 4, 0xffff'ffff);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_2, 4),
              0xffff'c000u | PCI_BASE_ADDRESS_MEM_TYPE_64);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_3, 4), 0xffff'ffffu);
    EXPECT_EQ(config.bar_address(2), 0xffff'ffff'ffff'c000u);

    guest_write(config, PCI_BASE_ADDRESS_2, 4, 0x8000'0000);
    guest_write(config, PCI_BASE_ADDRESS_3, 4, 0x2);
    EXPECT_EQ(config.bar_address(2), 0x2'8000'0000u);
}

TEST(PciConfigSpace, SizesA64BitBarLargerThan4GiB) {
    ConfigSpace config(test_identity());
    config.add_bar(0, {BarKind::kMemory64, 8ull << 30, true});
    guest_write(config, PCI_BASE_ADDRESS_0, 4, 0xffff'ffff);
    guest_write(config, PCI_BASE_ADDRESS_1, 4, 0xffff'ffff);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_0, 4),
              unsigned{PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH});
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_1, 4), 0xffff'fffeu);
}

TEST(PciConfigSpace, SizesAnIoBar) {
    ConfigSpace config(test_identity());
    config.add_bar(4, {BarKind::kIo, 0x20, false});
    config.set_bar_address(4, 0xc040);
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_4, 4), 0xc040u | PCI_BASE_ADDRESS_SPACE_IO);
    guest_write(config, PCI_BASE_ADDRESS_4, 4, 0xffff'ffff);
    // x86 I/O space has 16 address bits; the upper half reads as zero.
    EXPECT_EQ(guest_read(config, PCI_BASE_ADDRESS_4, 4), 0xffe0u | PCI_BASE_ADDRESS_SPACE_IO);
}

TEST(PciConfigSpace, RefusesBadBarDescriptions) {
    ConfigSpace config(test_identity());
    EXPECT_THROW(config.add_bar(0, {BarKind::kMemory32, 0x1800, false}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(0, {BarKind::kMemory32, 8, false}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(0, {BarKind::kMemory32, 4ull << 30, false}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(0, {BarKind::kIo, 0x200, false}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(0, {BarKind::kIo, 0x10, true}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(6, {BarKind::kMemory32, 0x1000, false}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(5, {BarKind::kMemory64, 0x1000, false}), std::invalid_argument);

    config.add_bar(1, {BarKind::kMemory64, 0x1000, false});
    EXPECT_THROW(config.add_bar(1, {BarKind::kMemory32, 0x1000, false}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(2, {BarKind::kMemory32, 0x1000, false}), std::invalid_argument);
    EXPECT_THROW(config.add_bar(0, {BarKind::kMemory64, 0x1000, false}), std::invalid_argument);
    EXPECT_NO_THROW(config.add_bar(0, {BarKind::kMemory32, 0x1000, false}));
    EXPECT_NO_THROW(config.add_bar(3, {BarKind::kMemory32, 0x1000, false}));

    EXPECT_THROW(config.set_bar_address(1, 0xe000'0800), std::invalid_argument);    // unaligned
    EXPECT_THROW(config.set_bar_address(0, 0x1'0000'0000), std::invalid_argument);  // 32-bit BAR
    EXPECT_THROW(config.set_bar_address(5, 0xe000'0000), std::invalid_argument);    // no BAR
}

TEST(PciConfigSpace, DecodingFollowsTheCommandRegister) {
    ConfigSpace config(test_identity());
    config.add_bar(0, {BarKind::kMemory32, 0x1000, false});
    config.add_bar(1, {BarKind::kIo, 0x10, false});
    EXPECT_FALSE(config.bar_decoding_enabled(0));
    EXPECT_FALSE(config.bar_decoding_enabled(1));
    guest_write(config, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    EXPECT_TRUE(config.bar_decoding_enabled(0));
    EXPECT_FALSE(config.bar_decoding_enabled(1));
    guest_write(config, PCI_COMMAND, 2, PCI_COMMAND_IO);
    EXPECT_FALSE(config.bar_decoding_enabled(0));
    EXPECT_TRUE(config.bar_decoding_enabled(1));
    EXPECT_FALSE(config.bar_decoding_enabled(2));  // no BAR
}

TEST(PciConfigSpace, BarFitsOnlyWhollyInsideTheWindow) {
    const AddressWindow window{0xe000'0000, 0x1e00'0000};
    EXPECT_TRUE(bar_fits(0xe000'0000, 0x1000, window));
    EXPECT_TRUE(bar_fits(0xfdff'f000, 0x1000, window));  // last page
    EXPECT_FALSE(bar_fits(0xfe00'0000, 0x1000, window));
    EXPECT_FALSE(bar_fits(0xfdff'f800, 0x1000, window));  // straddles the end
    EXPECT_FALSE(bar_fits(0xdfff'f000, 0x1000, window));  // below: RAM or other devices
    EXPECT_FALSE(bar_fits(0x1000, 0x1000, window));
    EXPECT_FALSE(bar_fits(0xffff'ffff'ffff'f000, 0x2000, window));  // wraps
    EXPECT_FALSE(bar_fits(0xe000'0000, 0, window));
    EXPECT_FALSE(bar_fits(0xe000'0000, 0x1000, {UINT64_MAX, 2}));  // a wrapping window
}

// Walks the capability list the way Linux's __pci_find_next_cap_ttl does:
// start at PCI_CAPABILITY_LIST, mask the low two bits, stop at 0 or after 48
// steps (the most that fit), and check PCI_STATUS_CAP_LIST first.
std::vector<std::pair<uint8_t, uint8_t>> walk_capabilities(const ConfigSpace& config) {
    std::vector<std::pair<uint8_t, uint8_t>> found;  // (offset, id)
    if (!(guest_read(config, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST)) {
        return found;
    }
    auto position = static_cast<uint8_t>(guest_read(config, PCI_CAPABILITY_LIST, 1));
    for (int ttl = 48; ttl > 0 && position >= 0x40; --ttl) {
        position &= ~3;
        const auto id = static_cast<uint8_t>(guest_read(config, position + PCI_CAP_LIST_ID, 1));
        if (id == 0xff) {
            break;
        }
        found.emplace_back(position, id);
        position = static_cast<uint8_t>(guest_read(config, position + PCI_CAP_LIST_NEXT, 1));
    }
    return found;
}

TEST(PciConfigSpace, CapabilityListWalksLikeLinux) {
    ConfigSpace config(test_identity());
    EXPECT_TRUE(walk_capabilities(config).empty());

    const std::array<uint8_t, 14> vendor_body{14 + 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
    const std::array<uint8_t, 1> odd_body{0x42};  // 3 bytes in all: the next one is realigned
    const std::array<uint8_t, 10> msix_body{};
    const uint8_t first = config.add_capability(PCI_CAP_ID_VNDR, vendor_body);
    const uint8_t second = config.add_capability(PCI_CAP_ID_VNDR, odd_body);
    const uint8_t third = config.add_capability(PCI_CAP_ID_MSIX, msix_body);
    EXPECT_EQ(first, 0x40);
    EXPECT_EQ(second, 0x50);
    EXPECT_EQ(third, 0x54);

    EXPECT_NE(guest_read(config, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0u);
    const auto list = walk_capabilities(config);
    const std::vector<std::pair<uint8_t, uint8_t>> expected{
        {first, PCI_CAP_ID_VNDR}, {second, PCI_CAP_ID_VNDR}, {third, PCI_CAP_ID_MSIX}};
    EXPECT_EQ(list, expected);
    EXPECT_EQ(guest_read(config, third + PCI_CAP_LIST_NEXT, 1), 0u);  // the list ends
    EXPECT_EQ(guest_read(config, first + 2, 1), 16u);                 // the body follows
    EXPECT_EQ(guest_read(config, first + 15, 1), 13u);
    EXPECT_EQ(guest_read(config, second + 2, 1), 0x42u);
}

TEST(PciConfigSpace, CapabilityBodiesFollowTheirWriteMask) {
    ConfigSpace config(test_identity());
    const std::array<uint8_t, 2> body{0x11, 0x22};
    const std::array<uint8_t, 2> mask{0x00, 0xf0};
    const uint8_t offset = config.add_capability(PCI_CAP_ID_VNDR, body, mask);
    guest_write(config, offset, 4, 0xffff'ffff);
    // ID and next pointer are read-only; only the high nibble of byte 3 moves.
    EXPECT_EQ(guest_read(config, offset, 4), 0xf211'0000u | PCI_CAP_ID_VNDR);
    EXPECT_THROW(config.add_capability(PCI_CAP_ID_VNDR, body, std::array<uint8_t, 1>{}),
                 std::invalid_argument);
}

TEST(PciConfigSpace, CapabilitiesThatDoNotFitAreRefused) {
    ConfigSpace config(test_identity());
    const std::vector<uint8_t> big(190, 0);  // 0x40 + 192 = 0x100: exactly full
    EXPECT_EQ(config.add_capability(PCI_CAP_ID_VNDR, big), 0x40);
    EXPECT_THROW(config.add_capability(PCI_CAP_ID_VNDR, {}), std::length_error);
    EXPECT_EQ(walk_capabilities(config).size(), 1u);
}

}  // namespace
}  // namespace berth::pci
