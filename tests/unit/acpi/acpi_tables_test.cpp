#include "firmware/acpi/acpi_tables.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "tests/unit/acpi/acpi_reader.h"
#include "vmm/layout.h"

namespace berth::acpi {
namespace {

using testing::AcpiReader;

// Spec values the tests check against, written out independently of the
// builder's constants (ACPI 6.4 Tables 5.10, 5.11, 5.21, 5.26).
constexpr uint32_t kWbinvd = 1u << 0;
constexpr uint32_t kPwrButton = 1u << 4;
constexpr uint32_t kSlpButton = 1u << 5;
constexpr uint32_t kResetRegSup = 1u << 10;
constexpr uint32_t kHwReducedAcpi = 1u << 20;
constexpr uint16_t kLegacyDevices = 1u << 0;
constexpr uint16_t k8042 = 1u << 1;
constexpr uint16_t kVgaNotPresent = 1u << 2;
constexpr uint16_t kCmosRtcNotPresent = 1u << 5;

// A built image plus a reader over it (the reader refers to `tables`).
struct Built {
    explicit Built(uint32_t cpus, GuestAddress at = layout::kAcpiStart)
        : base(at),
          tables(build_acpi_tables(default_acpi_config(cpus), base, layout::kAcpiSize)),
          reader(base, tables.bytes) {}
    GuestAddress base;
    AcpiTables tables;
    AcpiReader reader;
    uint64_t rsdp() const { return tables.rsdp.value(); }
    uint64_t table(const std::string& signature) const {
        auto found = reader.tables_by_signature(rsdp());
        auto it = found.find(signature);
        if (it == found.end()) {
            throw std::runtime_error("no " + signature + " in the XSDT");
        }
        return it->second;
    }
};

TEST(AcpiTables, RsdpComesFirstWithBothChecksums) {
    Built built(1);
    const auto& r = built.reader;
    const uint64_t rsdp = built.rsdp();
    EXPECT_EQ(rsdp, layout::kAcpiStart.value());  // first thing at base
    EXPECT_EQ(rsdp % 16, 0u);
    EXPECT_GE(rsdp, 0xe0000u);  // where a BIOS-area scan looks
    EXPECT_LE(rsdp + 36, 0x100000u);
    EXPECT_EQ(r.text(rsdp, 8), "RSD PTR ");
    EXPECT_EQ(r.text(rsdp + 9, 6), "BERTH ");
    EXPECT_EQ(r.u8(rsdp + 15), 2);     // revision
    EXPECT_EQ(r.u32(rsdp + 20), 36u);  // length
    EXPECT_EQ(AcpiReader::sum(r.at(rsdp, 20)), 0);
    EXPECT_EQ(AcpiReader::sum(r.at(rsdp, 36)), 0);
    EXPECT_NE(r.u8(rsdp + 8), 0);  // the checksum byte is really used here
}

TEST(AcpiTables, EveryTableHasAValidHeaderAndChecksum) {
    Built built(4);
    const auto& r = built.reader;
    const uint64_t fadt = built.table("FACP");
    std::vector<uint64_t> all = r.entries(r.xsdt(built.rsdp()), 8);
    all.push_back(r.xsdt(built.rsdp()));
    all.push_back(r.rsdt(built.rsdp()));
    all.push_back(r.u64(fadt + 140));  // X_DSDT
    ASSERT_EQ(all.size(), 5u);
    for (uint64_t table : all) {
        SCOPED_TRACE(r.signature(table));
        EXPECT_GE(r.u32(table + 4), 36u);
        EXPECT_EQ(AcpiReader::sum(r.table(table)), 0);
        EXPECT_EQ(r.text(table + 10, 6), "BERTH ");
        EXPECT_EQ(r.text(table + 16, 8), "BERTHVM ");
        EXPECT_EQ(r.text(table + 28, 4), "BRTH");
    }
}

TEST(AcpiTables, XsdtAndRsdtListTheFadtAndMadt) {
    Built built(2);
    const auto& r = built.reader;
    const uint64_t xsdt = r.xsdt(built.rsdp());
    const uint64_t rsdt = r.rsdt(built.rsdp());
    EXPECT_EQ(r.signature(xsdt), "XSDT");
    EXPECT_EQ(r.u8(xsdt + 8), 1);  // revision
    EXPECT_EQ(r.signature(rsdt), "RSDT");
    EXPECT_EQ(r.u8(rsdt + 8), 1);

    const auto x_entries = r.entries(xsdt, 8);
    const auto r_entries = r.entries(rsdt, 4);
    EXPECT_EQ(r.u32(xsdt + 4), 36u + 8 * x_entries.size());  // no stray bytes
    EXPECT_EQ(x_entries, r_entries);
    std::set<std::string> signatures;
    for (uint64_t entry : x_entries) {
        signatures.insert(r.signature(entry));
        EXPECT_NO_THROW(r.table(entry));  // the whole table lies inside the image
    }
    EXPECT_EQ(signatures, (std::set<std::string>{"APIC", "FACP"}));
}

TEST(AcpiTables, FadtDescribesPmRegistersSciAndReset) {
    Built built(1);
    const auto& r = built.reader;
    const uint64_t fadt = built.table("FACP");
    EXPECT_EQ(r.u32(fadt + 4), 276u);
    EXPECT_EQ(r.u8(fadt + 8), 6);    // revision
    EXPECT_EQ(r.u8(fadt + 131), 4);  // minor version: ACPI 6.4
    EXPECT_EQ(r.text(fadt + 268, 8), "BERTH   ");

    // DSDT and FACS, through both the 32-bit and the 64-bit pointers.
    const uint64_t dsdt = r.u64(fadt + 140);
    EXPECT_EQ(r.u32(fadt + 40), dsdt);
    EXPECT_EQ(r.signature(dsdt), "DSDT");
    const uint64_t facs = r.u64(fadt + 132);
    EXPECT_EQ(r.u32(fadt + 36), 0u);  // FIRMWARE_CTRL must be 0 when X_FIRMWARE_CTRL is set
    EXPECT_EQ(r.signature(facs), "FACS");

    EXPECT_EQ(r.u16(fadt + 46), layout::kAcpiSciIrq);  // SCI_INT
    EXPECT_EQ(r.u32(fadt + 48), 0u);                   // SMI_CMD: already in ACPI mode
    EXPECT_EQ(r.u8(fadt + 52), 0);                     // ACPI_ENABLE
    EXPECT_EQ(r.u8(fadt + 53), 0);                     // ACPI_DISABLE

    EXPECT_EQ(r.u32(fadt + 56), layout::kAcpiPm1aEvtPort);  // PM1a_EVT_BLK
    EXPECT_EQ(r.u32(fadt + 60), 0u);                        // PM1b_EVT_BLK
    EXPECT_EQ(r.u32(fadt + 64), layout::kAcpiPm1aCntPort);  // PM1a_CNT_BLK
    EXPECT_EQ(r.u32(fadt + 68), 0u);                        // PM1b_CNT_BLK
    EXPECT_EQ(r.u32(fadt + 76), 0u);                        // PM_TMR_BLK: none
    EXPECT_EQ(r.u32(fadt + 80), 0u);                        // GPE0_BLK: none
    EXPECT_EQ(r.u32(fadt + 84), 0u);                        // GPE1_BLK: none
    EXPECT_EQ(r.u8(fadt + 88), 4);                          // PM1_EVT_LEN
    EXPECT_EQ(r.u8(fadt + 89), 2);                          // PM1_CNT_LEN
    EXPECT_EQ(r.u8(fadt + 91), 0);                          // PM_TMR_LEN
    EXPECT_EQ(r.u8(fadt + 92), 0);                          // GPE0_BLK_LEN
    EXPECT_EQ(r.u8(fadt + 93), 0);                          // GPE1_BLK_LEN

    // X_PM1a_EVT_BLK and X_PM1a_CNT_BLK: I/O space, 32 and 16 bits wide.
    EXPECT_EQ(r.u8(fadt + 148), 1);
    EXPECT_EQ(r.u8(fadt + 149), 32);
    EXPECT_EQ(r.u64(fadt + 152), layout::kAcpiPm1aEvtPort);
    EXPECT_EQ(r.u8(fadt + 172), 1);
    EXPECT_EQ(r.u8(fadt + 173), 16);
    EXPECT_EQ(r.u64(fadt + 176), layout::kAcpiPm1aCntPort);
    EXPECT_EQ(r.u64(fadt + 208 + 4), 0u);  // X_PM_TMR_BLK
    EXPECT_EQ(r.u64(fadt + 220 + 4), 0u);  // X_GPE0_BLK

    EXPECT_EQ(r.u16(fadt + 109), kLegacyDevices | kVgaNotPresent);
    EXPECT_EQ(r.u16(fadt + 109) & k8042, 0);  // no 8042 bit: Linux would probe PS/2 for seconds
    EXPECT_EQ(r.u8(fadt + 108), 0x32);        // CENTURY: CMOS register of the century
    EXPECT_EQ(r.u16(fadt + 109) & kCmosRtcNotPresent, 0);

    const uint32_t flags = r.u32(fadt + 112);
    EXPECT_TRUE(flags & kWbinvd);
    EXPECT_TRUE(flags & kPwrButton);
    EXPECT_TRUE(flags & kSlpButton);
    EXPECT_TRUE(flags & kResetRegSup);
    EXPECT_FALSE(flags & kHwReducedAcpi);

    // RESET_REG: an 8-bit I/O register at the i8042 command port, value 0xFE.
    EXPECT_EQ(r.u8(fadt + 116), 1);
    EXPECT_EQ(r.u8(fadt + 117), 8);
    EXPECT_EQ(r.u8(fadt + 118), 0);
    EXPECT_EQ(r.u64(fadt + 120), 0x64u);
    EXPECT_EQ(r.u8(fadt + 128), 0xfe);
}

TEST(AcpiTables, FacsIsAlignedWithoutChecksum) {
    Built built(1);
    const auto& r = built.reader;
    const uint64_t facs = r.u64(built.table("FACP") + 132);
    EXPECT_EQ(facs % 64, 0u);
    EXPECT_EQ(r.signature(facs), "FACS");
    EXPECT_EQ(r.u32(facs + 4), 64u);
    EXPECT_EQ(r.u8(facs + 32), 2);    // version
    EXPECT_EQ(r.u32(facs + 12), 0u);  // no firmware waking vector
    EXPECT_NO_THROW(r.at(facs, 64));
}

TEST(AcpiTables, DsdtDeclaresS5) {
    Built built(1);
    const auto& r = built.reader;
    const uint64_t dsdt = r.u64(built.table("FACP") + 140);
    EXPECT_EQ(r.u8(dsdt + 8), 2);  // revision 2: 64-bit AML integers
    const auto table = r.table(dsdt);
    const std::vector<uint8_t> aml(table.begin() + 36, table.end());
    static_assert(layout::kS5SleepType == 5);
    // Name(_S5_, Package(4){5, 5, 0, 0}), as iasl encodes it.
    const std::vector<uint8_t> s5 = {0x08, '_',  'S',  '5',  '_',  0x12, 0x08,
                                     0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00};
    EXPECT_EQ(aml, s5);
}

TEST(AcpiTables, DsdtUsesTheConfiguredSleepType) {
    AcpiConfig config = default_acpi_config(1);
    config.s5_sleep_type = 0;
    auto tables = build_acpi_tables(config, layout::kAcpiStart, layout::kAcpiSize);
    AcpiReader r(layout::kAcpiStart, tables.bytes);
    const uint64_t fadt = r.tables_by_signature(tables.rsdp.value()).at("FACP");
    const auto table = r.table(r.u64(fadt + 140));
    const std::vector<uint8_t> aml(table.begin() + 36, table.end());
    const std::vector<uint8_t> s5 = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0};
    EXPECT_EQ(aml, s5);
}

// The MADT's interrupt controller structures, decoded (§5.2.12).
struct Madt {
    uint32_t local_apic_address = 0;
    uint32_t flags = 0;
    std::vector<std::pair<uint8_t, uint8_t>> lapics;  // (uid, apic id) of enabled ones
    size_t disabled_lapics = 0;
    struct IoApic {
        uint8_t id;
        uint32_t address, gsi_base;
    };
    std::vector<IoApic> ioapics;
    struct Override {
        uint8_t bus, source;
        uint32_t gsi;
        uint16_t flags;
    };
    std::vector<Override> overrides;
    struct Nmi {
        uint8_t uid;
        uint16_t flags;
        uint8_t lint;
    };
    std::vector<Nmi> nmis;
    size_t unknown = 0;
};

Madt parse_madt(const AcpiReader& r, uint64_t madt) {
    Madt result;
    result.local_apic_address = r.u32(madt + 36);
    result.flags = r.u32(madt + 40);
    const uint64_t end = madt + r.u32(madt + 4);
    uint64_t entry = madt + 44;
    while (entry < end) {
        const uint8_t type = r.u8(entry);
        const uint8_t length = r.u8(entry + 1);
        if (length < 2 || entry + length > end) {
            throw std::runtime_error("MADT entry overruns the table");
        }
        switch (type) {
            case 0:
                EXPECT_EQ(length, 8);
                if (r.u32(entry + 4) & 1) {
                    result.lapics.emplace_back(r.u8(entry + 2), r.u8(entry + 3));
                } else {
                    ++result.disabled_lapics;
                }
                break;
            case 1:
                EXPECT_EQ(length, 12);
                result.ioapics.push_back({r.u8(entry + 2), r.u32(entry + 4), r.u32(entry + 8)});
                break;
            case 2:
                EXPECT_EQ(length, 10);
                result.overrides.push_back(
                    {r.u8(entry + 2), r.u8(entry + 3), r.u32(entry + 4), r.u16(entry + 8)});
                break;
            case 4:
                EXPECT_EQ(length, 6);
                result.nmis.push_back({r.u8(entry + 2), r.u16(entry + 3), r.u8(entry + 5)});
                break;
            default:
                ++result.unknown;
        }
        entry += length;
    }
    EXPECT_EQ(entry, end);  // the entries fill the table exactly
    return result;
}

void expect_madt_for(uint32_t cpus) {
    SCOPED_TRACE(std::to_string(cpus) + " CPUs");
    Built built(cpus);
    const uint64_t address = built.table("APIC");
    EXPECT_EQ(built.reader.u8(address + 8), 5);  // revision (ACPI 6.3/6.4)
    const Madt madt = parse_madt(built.reader, address);

    EXPECT_EQ(madt.local_apic_address, 0xfee00000u);
    EXPECT_EQ(madt.flags & 1, 1u);  // PCAT_COMPAT
    ASSERT_EQ(madt.lapics.size(), cpus);
    EXPECT_EQ(madt.disabled_lapics, 0u);
    std::set<uint8_t> ids;
    for (uint32_t i = 0; i < cpus; ++i) {
        EXPECT_EQ(madt.lapics[i].first, i);   // UID
        EXPECT_EQ(madt.lapics[i].second, i);  // APIC id; CPU 0 (the BSP) first
        ids.insert(madt.lapics[i].second);
    }

    ASSERT_EQ(madt.ioapics.size(), 1u);
    EXPECT_EQ(madt.ioapics[0].address, layout::kIoapicStart.value());
    EXPECT_EQ(madt.ioapics[0].gsi_base, 0u);
    EXPECT_EQ(madt.ioapics[0].id, cpus);
    EXPECT_FALSE(ids.contains(madt.ioapics[0].id));

    // Only the SCI is overridden (level, active high); IRQ 0 is not.
    ASSERT_EQ(madt.overrides.size(), 1u);
    EXPECT_EQ(madt.overrides[0].bus, 0);
    EXPECT_EQ(madt.overrides[0].source, layout::kAcpiSciIrq);
    EXPECT_EQ(madt.overrides[0].gsi, layout::kAcpiSciIrq);
    EXPECT_EQ(madt.overrides[0].flags, 0b11'01);  // trigger = level (11), polarity = high (01)

    ASSERT_EQ(madt.nmis.size(), 1u);
    EXPECT_EQ(madt.nmis[0].uid, 0xff);  // all processors
    EXPECT_EQ(madt.nmis[0].lint, 1);
    EXPECT_EQ(madt.unknown, 0u);
}

TEST(AcpiTables, MadtForOneCpu) {
    expect_madt_for(1);
}
TEST(AcpiTables, MadtFor32Cpus) {
    expect_madt_for(32);
}
TEST(AcpiTables, MadtFor254CpusFitsTheBiosArea) {
    expect_madt_for(254);
}

TEST(AcpiTables, PointersFollowTheBase) {
    // Built for another address, every pointer moves with it.
    Built built(8, GuestAddress(0x10000));
    EXPECT_EQ(built.rsdp(), 0x10000u);
    const uint64_t fadt = built.table("FACP");
    EXPECT_GE(fadt, 0x10000u);
    EXPECT_EQ(built.reader.signature(built.reader.u64(fadt + 140)), "DSDT");
    EXPECT_EQ(parse_madt(built.reader, built.table("APIC")).lapics.size(), 8u);
}

TEST(AcpiTables, RefusesCpuCountsOutsideXapicRange) {
    auto build = [](uint32_t cpus) {
        return build_acpi_tables(default_acpi_config(cpus), layout::kAcpiStart, layout::kAcpiSize);
    };
    EXPECT_THROW(build(0), std::invalid_argument);
    EXPECT_THROW(build(255), std::invalid_argument);
    EXPECT_THROW(build(1000), std::invalid_argument);
    EXPECT_NO_THROW(build(254));
}

TEST(AcpiTables, RefusesAnImageLargerThanMaxSize) {
    const auto config = default_acpi_config(16);
    const auto size = build_acpi_tables(config, layout::kAcpiStart, layout::kAcpiSize).bytes.size();
    EXPECT_NO_THROW(build_acpi_tables(config, layout::kAcpiStart, size));
    EXPECT_THROW(build_acpi_tables(config, layout::kAcpiStart, size - 1), std::invalid_argument);
    EXPECT_THROW(build_acpi_tables(config, layout::kAcpiStart, 0), std::invalid_argument);
}

TEST(AcpiTables, RefusesBadPlacementAndFields) {
    const auto config = default_acpi_config(1);
    EXPECT_THROW(build_acpi_tables(config, GuestAddress(0xe0008), 0x1000), std::invalid_argument);
    EXPECT_THROW(build_acpi_tables(config, GuestAddress(0xffff'f000), 0x2000),
                 std::invalid_argument);  // would reach past 4 GiB
    EXPECT_THROW(build_acpi_tables(config, GuestAddress(0xe0000), UINT64_MAX),
                 std::invalid_argument);  // base + size wraps
    auto bad_sci = config;
    bad_sci.sci_irq = 16;
    EXPECT_THROW(build_acpi_tables(bad_sci, layout::kAcpiStart, layout::kAcpiSize),
                 std::invalid_argument);
    auto bad_sleep = config;
    bad_sleep.s5_sleep_type = 8;
    EXPECT_THROW(build_acpi_tables(bad_sleep, layout::kAcpiStart, layout::kAcpiSize),
                 std::invalid_argument);
}

// Found by tests/fuzz/fuzz_acpi_tables: a PCI window that is empty or runs
// past 4 GiB gave a _CRS descriptor whose maximum lay below its minimum.
TEST(AcpiTables, RefusesAnEmptyOrWrappingPciWindow) {
    auto build = [](uint32_t start, uint32_t size) {
        auto config = default_acpi_config(1);
        config.pci = AcpiConfig::PciHostBridge{start, size};
        return build_acpi_tables(config, layout::kAcpiStart, layout::kAcpiSize);
    };
    EXPECT_THROW(build(0xe000'0000, 0), std::invalid_argument);
    EXPECT_THROW(build(0xfe00, 0xffff'2002), std::invalid_argument);
    EXPECT_THROW(build(0xf000'0000, 0x1000'0001), std::invalid_argument);
    EXPECT_NO_THROW(build(0xf000'0000, 0x1000'0000));  // ends at 4 GiB exactly
}

}  // namespace
}  // namespace berth::acpi
