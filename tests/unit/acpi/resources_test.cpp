#include "firmware/acpi/resources.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "firmware/acpi/acpi_tables.h"
#include "tests/unit/acpi/acpi_reader.h"
#include "vmm/layout.h"

namespace berth::acpi {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::AcpiReader;

// Expected bytes worked out from ACPI 6.4 §6.4 by hand, field by field.
TEST(AcpiResources, WordBusNumber) {
    const Bytes expected = {0x88, 0x0d, 0x00,  // large item, 13 data bytes
                            0x02, 0x0c, 0x00,  // bus numbers, producer, min/max fixed
                            0x00, 0x00,        // granularity
                            0x00, 0x00,        // first bus
                            0x00, 0x00,        // last bus
                            0x00, 0x00,        // translation
                            0x01, 0x00};       // length: one bus
    EXPECT_EQ(resources::word_bus_number(0, 0), expected);
}

TEST(AcpiResources, WordIoWindow) {
    const Bytes expected = {0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0x00, 0x00,
                            0x00, 0x0d, 0xff, 0xff, 0x00, 0x00, 0x00, 0xf3};
    EXPECT_EQ(resources::word_io(0x0d00, 0xffff), expected);
}

TEST(AcpiResources, DWordMemoryWindow) {
    const Bytes expected = {0x87, 0x17, 0x00, 0x00, 0x0c, 0x01,  // memory, producer, RW
                            0x00, 0x00, 0x00, 0x00,              // granularity
                            0x00, 0x00, 0x00, 0xe0,              // minimum
                            0xff, 0xff, 0xff, 0xfd,              // maximum
                            0x00, 0x00, 0x00, 0x00,              // translation
                            0x00, 0x00, 0x00, 0x1e};             // length
    EXPECT_EQ(resources::dword_memory(0xe0000000, 0xfdffffff), expected);
}

TEST(AcpiResources, IoPort) {
    const Bytes expected = {0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08};
    EXPECT_EQ(resources::io_port(0xcf8, 8), expected);
}

TEST(AcpiResources, TemplateIsABufferEndingInAnEndTag) {
    const Bytes io = resources::io_port(0x60, 1);
    const Bytes buffer = resources::resource_template({io});
    // BufferOp, PkgLength (1 byte: itself + BufferSize (2) + 10 data bytes),
    // BufferSize as a BytePrefix constant, the descriptor, End Tag + checksum.
    Bytes expected = {0x11, 0x0d, 0x0a, 0x0a};
    expected.insert(expected.end(), io.begin(), io.end());
    expected.insert(expected.end(), {0x79, 0x00});
    EXPECT_EQ(buffer, expected);
}

TEST(AcpiTables, DsdtDescribesThePciHostBridgeWhenAsked) {
    AcpiConfig config = default_acpi_config(1);
    config.pci = AcpiConfig::PciHostBridge{0xe0000000, 0x1e000000};
    auto tables = build_acpi_tables(config, layout::kAcpiStart, layout::kAcpiSize);
    AcpiReader r(layout::kAcpiStart, tables.bytes);
    const uint64_t fadt = r.tables_by_signature(tables.rsdp.value()).at("FACP");
    const auto dsdt = r.table(r.u64(fadt + 140));
    auto contains = [&](const Bytes& needle) {
        return std::search(dsdt.begin(), dsdt.end(), needle.begin(), needle.end()) != dsdt.end();
    };
    EXPECT_TRUE(contains({'P', 'C', 'I', '0'}));
    EXPECT_TRUE(contains({'_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03}));  // EISAID PNP0A03
    EXPECT_TRUE(contains(resources::dword_memory(0xe0000000, 0xfdffffff)));
    EXPECT_TRUE(contains(resources::io_port(0xcf8, 8)));

    // Without a host bridge the DSDT holds only \_S5_.
    auto plain = build_acpi_tables(default_acpi_config(1), layout::kAcpiStart, layout::kAcpiSize);
    AcpiReader plain_reader(layout::kAcpiStart, plain.bytes);
    const uint64_t plain_fadt = plain_reader.tables_by_signature(plain.rsdp.value()).at("FACP");
    EXPECT_LT(plain_reader.table(plain_reader.u64(plain_fadt + 140)).size(), dsdt.size());
}

}  // namespace
}  // namespace berth::acpi
