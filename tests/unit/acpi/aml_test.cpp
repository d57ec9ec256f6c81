#include "firmware/acpi/aml.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace berth::acpi::aml {
namespace {

// Expected byte sequences below are what the ASL compiler (iasl) emits for
// the ASL in each comment, worked out from the grammar in ACPI 6.4 §20.2.

TEST(AmlPkgLength, OneByteUpTo63) {
    EXPECT_EQ(pkg_length(0), Bytes({0x01}));
    EXPECT_EQ(pkg_length(62), Bytes({0x3f}));  // 62 + itself = 63, the one-byte maximum
}

TEST(AmlPkgLength, TwoBytesFrom64To4095) {
    // 63 + 1 = 64 does not fit one byte; with two bytes the length is 65.
    EXPECT_EQ(pkg_length(63), Bytes({0x41, 0x04}));
    EXPECT_EQ(pkg_length(4093), Bytes({0x4f, 0xff}));  // 4095, the two-byte maximum
}

TEST(AmlPkgLength, ThreeAndFourBytesBeyond) {
    EXPECT_EQ(pkg_length(4094), Bytes({0x81, 0x00, 0x01}));           // 4097
    EXPECT_EQ(pkg_length(0xffffc), Bytes({0x8f, 0xff, 0xff}));        // 0xfffff
    EXPECT_EQ(pkg_length(0xffffd), Bytes({0xc1, 0x00, 0x00, 0x01}));  // 0x100001
    EXPECT_EQ(pkg_length(0xffffffb), Bytes({0xcf, 0xff, 0xff, 0xff}));
    EXPECT_THROW(pkg_length(0xffffffc), std::invalid_argument);
    EXPECT_THROW(pkg_length(UINT64_MAX), std::invalid_argument);
}

TEST(AmlInteger, UsesTheSmallestEncoding) {
    EXPECT_EQ(integer(0), Bytes({ZeroOp}));
    EXPECT_EQ(integer(1), Bytes({OneOp}));
    EXPECT_EQ(integer(2), Bytes({0x0a, 0x02}));
    EXPECT_EQ(integer(0xff), Bytes({0x0a, 0xff}));
    EXPECT_EQ(integer(0x100), Bytes({0x0b, 0x00, 0x01}));
    EXPECT_EQ(integer(0xffff), Bytes({0x0b, 0xff, 0xff}));
    EXPECT_EQ(integer(0x10000), Bytes({0x0c, 0x00, 0x00, 0x01, 0x00}));
    EXPECT_EQ(integer(0xffffffff), Bytes({0x0c, 0xff, 0xff, 0xff, 0xff}));
    EXPECT_EQ(integer(1ull << 32), Bytes({0x0e, 0, 0, 0, 0, 0x01, 0, 0, 0}));
    EXPECT_EQ(integer(0x0123456789abcdef),
              Bytes({0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01}));
}

TEST(AmlNameString, PadsSegmentsAndUsesPrefixes) {
    EXPECT_EQ(name_string("_S5"), Bytes({'_', 'S', '5', '_'}));
    EXPECT_EQ(name_string("PCI0"), Bytes({'P', 'C', 'I', '0'}));
    EXPECT_EQ(name_string("\\_SB"), Bytes({0x5c, '_', 'S', 'B', '_'}));
    EXPECT_EQ(name_string("\\_SB.PCI0"),
              Bytes({0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'}));
    EXPECT_EQ(name_string("^^A.B.C"), Bytes({0x5e, 0x5e, 0x2f, 3, 'A', '_', '_', '_', 'B', '_', '_',
                                             '_', 'C', '_', '_', '_'}));
    EXPECT_EQ(name_string("\\"), Bytes({0x5c, 0x00}));
}

TEST(AmlNameString, RefusesWhatTheGrammarCannotSay) {
    EXPECT_THROW(name_string(""), std::invalid_argument);
    EXPECT_THROW(name_string("TOOLONG"), std::invalid_argument);
    EXPECT_THROW(name_string("0ABC"), std::invalid_argument);  // leading digit
    EXPECT_THROW(name_string("ab"), std::invalid_argument);    // lower case
    EXPECT_THROW(name_string("A..B"), std::invalid_argument);
    EXPECT_THROW(name_string("A."), std::invalid_argument);
    EXPECT_THROW(name_string("\\^A"), std::invalid_argument);
}

TEST(AmlName, S5PackageMatchesIasl) {
    // Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })
    const Bytes s5 = name("_S5_", package({integer(5), integer(5), integer(0), integer(0)}));
    EXPECT_EQ(s5, Bytes({0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00,
                         0x00}));
}

TEST(AmlPackage, SwitchesToTwoBytePkgLengthPastSixtyThree) {
    // 61 ZeroOp elements: NumElements + 61 = 62 body bytes, PkgLength 63 in one byte.
    const Bytes small = package(std::vector<Bytes>(61, integer(0)));
    ASSERT_EQ(small.size(), 1u + 1 + 62);
    EXPECT_EQ(small[1], 0x3f);
    EXPECT_EQ(small[2], 61);
    // One more element: 63 body bytes, so PkgLength takes two bytes (65).
    const Bytes big = package(std::vector<Bytes>(62, integer(0)));
    ASSERT_EQ(big.size(), 1u + 2 + 63);
    EXPECT_EQ(big[1], 0x41);
    EXPECT_EQ(big[2], 0x04);
    EXPECT_EQ(big[3], 62);
    EXPECT_THROW(package(std::vector<Bytes>(256, integer(0))), std::invalid_argument);
}

TEST(AmlString, IsNullTerminatedAscii) {
    EXPECT_EQ(string("PCI"), Bytes({0x0d, 'P', 'C', 'I', 0x00}));
    EXPECT_EQ(string(""), Bytes({0x0d, 0x00}));
    EXPECT_THROW(string(std::string_view("a\0b", 3)), std::invalid_argument);
    EXPECT_THROW(string("\xc3\xa9"), std::invalid_argument);
}

TEST(AmlEisaId, CompressesLikeTheAslMacro) {
    // EisaId ("PNP0A08") == 0x080AD041; EisaId ("PNP0A03") == 0x030AD041
    EXPECT_EQ(eisa_id("PNP0A08"), Bytes({0x0c, 0x41, 0xd0, 0x0a, 0x08}));
    EXPECT_EQ(eisa_id("PNP0A03"), integer(0x030ad041));
    EXPECT_THROW(eisa_id("PNP0A0"), std::invalid_argument);
    EXPECT_THROW(eisa_id("pnp0a08"), std::invalid_argument);
    EXPECT_THROW(eisa_id("PNP0G08"), std::invalid_argument);
}

TEST(AmlDevice, DeviceWithHidMatchesIasl) {
    // Device (PCI0) { Name (_HID, EisaId ("PNP0A08")) }
    const Bytes dev = device("PCI0", {name("_HID", eisa_id("PNP0A08"))});
    EXPECT_EQ(dev, Bytes({0x5b, 0x82, 0x0f, 'P', 'C', 'I', '0', 0x08, '_', 'H', 'I', 'D', 0x0c,
                          0x41, 0xd0, 0x0a, 0x08}));
}

TEST(AmlMethod, StaMethodMatchesIasl) {
    // Method (_STA, 0, NotSerialized) { Return (0x0F) }
    EXPECT_EQ(method("_STA", 0, false, {return_value(integer(0x0f))}),
              Bytes({0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f}));
    // Method (_CRS, 2, Serialized) { Return (Zero) }
    EXPECT_EQ(method("_CRS", 2, true, {return_value(integer(0))}),
              Bytes({0x14, 0x08, '_', 'C', 'R', 'S', 0x0a, 0xa4, 0x00}));
    EXPECT_THROW(method("_CRS", 8, false, {}), std::invalid_argument);
}

TEST(AmlScope, WrapsTermsUnderAPath) {
    // Scope (\_SB) { Device (PCI0) { } }
    EXPECT_EQ(scope("\\_SB", {device("PCI0", {})}),
              Bytes({0x10, 0x0d, 0x5c, '_', 'S', 'B', '_', 0x5b, 0x82, 0x05, 'P', 'C', 'I', '0'}));
}

}  // namespace
}  // namespace berth::acpi::aml
