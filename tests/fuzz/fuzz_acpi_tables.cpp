// libFuzzer target: the ACPI table builder (firmware/acpi, build_acpi_tables)
// on every input it takes: the board facts of AcpiConfig (CPU count, IOAPIC,
// PM ports, SCI, S5 sleep type, reset register, the PCI host bridge's
// window), the image's base address and the size of its reserved region.
//
// A configuration acpi_tables.h documents as out of range must be refused
// with std::invalid_argument, and only such a one (anything else thrown is a
// crash). For an image that is built, read the way an OS reads it (through
// tests/unit/acpi/acpi_reader.h, from the RSDP, which throws on any address
// outside the image), it checks:
//   - the image fits its reserved region [base, base + max_size), below 4 GiB;
//   - both RSDP checksums and its length; every table's Length field lies
//     inside the image, its bytes sum to 0, and no two tables overlap;
//   - the XSDT and RSDT list the same tables, the FADT and the MADT once each,
//     8-byte aligned; the FADT points at a 64-byte aligned FACS and at the
//     DSDT, and carries the configured SCI, PM1 and reset registers;
//   - the MADT's structures exactly fill its length: one Local APIC per CPU
//     (APIC ids and UIDs 0..n-1), the IOAPIC, the SCI's override, the NMI;
//   - the DSDT's AML terms exactly fill it (every PkgLength inside its
//     parent), \_S5_ carries the sleep type, and the host bridge's _CRS
//     memory window is the configured one, with minimum <= maximum and
//     length = maximum - minimum + 1.
//
// Input: a 32-byte record, little-endian (missing bytes read as zero):
//   [0..1]   CPU count, modulo 300 (0 and 255..299 must be refused)
//   [2]      bit 0: a PCI host bridge; bit 1: IOAPIC address above 4 GiB;
//            bits 4-7: added to the base (misaligned when not a multiple of 16)
//   [3]      IOAPIC id          [4..7]   IOAPIC address
//   [8..9]   PM1a_EVT port      [10..11] PM1a_CNT port
//   [12]     SCI IRQ            [13]     S5 sleep type
//   [14..15] reset port         [16]     reset value
//   [17..20] PCI window start   [21..24] PCI window size
//   [25..28] base / 16, below 4 GiB (then plus byte 2's bits 4-7)
//   [29..31] max_size
//
// tests/fuzz/make_seeds.py writes the seeds in tests/fuzz/corpus/acpi_tables.
//
// fuzz-sources: firmware/acpi/*.cpp

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "firmware/acpi/acpi_tables.h"
#include "firmware/acpi/aml.h"
#include "firmware/acpi/facs.h"
#include "firmware/acpi/fadt.h"
#include "firmware/acpi/madt.h"
#include "firmware/acpi/root_tables.h"
#include "firmware/acpi/sdt.h"
#include "tests/fuzz/check.h"
#include "tests/unit/acpi/acpi_reader.h"

using berth::GuestAddress;
using namespace berth::acpi;
using berth::acpi::testing::AcpiReader;

namespace {

constexpr size_t kRecordSize = 32;
constexpr uint64_t k4GiB = 1ull << 32;

struct Input {
    AcpiConfig config;
    GuestAddress base;
    uint64_t max_size = 0;
};

uint64_t le(const std::array<uint8_t, kRecordSize>& record, size_t at, size_t size) {
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i) {
        value |= uint64_t{record[at + i]} << (8 * i);
    }
    return value;
}

Input decode(const uint8_t* data, size_t size) {
    std::array<uint8_t, kRecordSize> record{};
    std::memcpy(record.data(), data, std::min(size, kRecordSize));
    Input input;
    AcpiConfig& config = input.config;
    config.cpu_count = static_cast<uint32_t>(le(record, 0, 2) % 300);
    config.ioapic_id = record[3];
    config.ioapic_address = le(record, 4, 4) | ((record[2] & 2) ? k4GiB : 0);
    config.pm1a_evt_port = static_cast<uint16_t>(le(record, 8, 2));
    config.pm1a_cnt_port = static_cast<uint16_t>(le(record, 10, 2));
    config.sci_irq = record[12];
    config.s5_sleep_type = record[13];
    config.reset_port = static_cast<uint16_t>(le(record, 14, 2));
    config.reset_value = record[16];
    if (record[2] & 1) {
        config.pci = AcpiConfig::PciHostBridge{static_cast<uint32_t>(le(record, 17, 4)),
                                               static_cast<uint32_t>(le(record, 21, 4))};
    }
    input.base = GuestAddress((le(record, 25, 4) & 0x0fff'ffff) * 16 + (record[2] >> 4));
    input.max_size = le(record, 29, 3);
    return input;
}

// What acpi_tables.h says build_acpi_tables() refuses, apart from an image
// larger than max_size.
bool out_of_range(const Input& input) {
    const AcpiConfig& config = input.config;
    const bool bad_pci =
        config.pci && (config.pci->mmio_size == 0 ||
                       uint64_t{config.pci->mmio_start} + config.pci->mmio_size > k4GiB);
    return config.cpu_count == 0 || config.cpu_count > kMaxXapicCpus || config.sci_irq > 15 ||
           config.s5_sleep_type > 7 || config.ioapic_address > UINT32_MAX || bad_pci ||
           input.base.value() % 16 != 0 || input.base.value() + input.max_size > k4GiB;
}

// A PkgLength (ACPI 6.4 §20.2.4) at `at`: the end of the package it opens.
uint64_t package_end(const AcpiReader& reader, uint64_t at) {
    const uint8_t lead = reader.u8(at);
    const unsigned follow = lead >> 6;
    uint64_t length = follow == 0 ? (lead & 0x3f) : (lead & 0x0f);
    for (unsigned i = 0; i < follow; ++i) {
        length |= uint64_t{reader.u8(at + 1 + i)} << (4 + 8 * i);
    }
    CHECK(length >= 1 + follow);
    return at + length;
}

// The DSDT's terms (§20.2.5): Name(_S5_, Package) and, with PCI, one Scope;
// each must end inside the table, and together they must fill it.
void check_dsdt(const AcpiReader& reader, uint64_t dsdt, const AcpiConfig& config) {
    const uint64_t end = dsdt + reader.u32(dsdt + 4);
    uint64_t at = dsdt + sizeof(SdtHeader);
    CHECK(reader.u8(at) == aml::NameOp && reader.text(at + 1, 4) == "_S5_");
    CHECK(reader.u8(at + 5) == aml::PackageOp);
    const uint64_t package = at + 6;
    at = package_end(reader, package);
    CHECK(at <= end);
    const uint64_t elements = package + (reader.u8(package) >> 6) + 1;
    CHECK(reader.u8(elements) == 4);  // NumElements
    const aml::Bytes s5 = aml::integer(config.s5_sleep_type);
    const auto first = reader.at(elements + 1, s5.size());
    CHECK(std::equal(s5.begin(), s5.end(), first.begin()));
    if (config.pci) {
        CHECK(reader.u8(at) == aml::ScopeOp);
        at = package_end(reader, at + 1);
    }
    CHECK(at == end);
}

// The host bridge's DWord memory descriptor (§6.4.3.5.2) inside the DSDT.
void check_pci_window(const AcpiReader& reader, uint64_t dsdt, const AcpiConfig& config) {
    const auto table = reader.table(dsdt);
    static constexpr std::array<uint8_t, 4> kDescriptor{0x87, 23, 0, 0};  // memory
    const auto found =
        std::search(table.begin(), table.end(), kDescriptor.begin(), kDescriptor.end());
    CHECK((found != table.end()) == config.pci.has_value());
    if (!config.pci) {
        return;
    }
    const uint64_t descriptor = dsdt + static_cast<uint64_t>(found - table.begin());
    const uint32_t minimum = reader.u32(descriptor + 10);
    const uint32_t maximum = reader.u32(descriptor + 14);
    const uint32_t length = reader.u32(descriptor + 22);
    CHECK(minimum <= maximum);
    CHECK(length == maximum - minimum + 1);
    CHECK(minimum == config.pci->mmio_start && length == config.pci->mmio_size);
}

void check_fadt(const AcpiReader& reader, uint64_t fadt, uint64_t dsdt, const AcpiConfig& config) {
    CHECK(reader.u32(fadt + 4) == sizeof(Fadt));
    CHECK(reader.u32(fadt + offsetof(Fadt, firmware_ctrl)) == 0);
    CHECK(reader.u32(fadt + offsetof(Fadt, dsdt)) == dsdt);
    CHECK(reader.u16(fadt + offsetof(Fadt, sci_int)) == config.sci_irq);
    CHECK(reader.u32(fadt + offsetof(Fadt, pm1a_evt_blk)) == config.pm1a_evt_port);
    CHECK(reader.u32(fadt + offsetof(Fadt, pm1a_cnt_blk)) == config.pm1a_cnt_port);
    CHECK(reader.u64(fadt + offsetof(Fadt, x_pm1a_evt_blk) + 4) == config.pm1a_evt_port);
    CHECK(reader.u64(fadt + offsetof(Fadt, reset_reg) + 4) == config.reset_port);
    CHECK(reader.u8(fadt + offsetof(Fadt, reset_value)) == config.reset_value);
}

void check_madt(const AcpiReader& reader, uint64_t madt, const AcpiConfig& config) {
    const uint64_t end = madt + reader.u32(madt + 4);
    std::vector<bool> cpu_seen(config.cpu_count, false);
    unsigned ioapics = 0;
    unsigned overrides = 0;
    for (uint64_t at = madt + sizeof(MadtHeader); at < end;) {
        const uint8_t type = reader.u8(at);
        const uint8_t length = reader.u8(at + 1);
        CHECK(length >= 2 && at + length <= end);
        if (type == MADT_PROCESSOR_LOCAL_APIC) {
            const uint8_t uid = reader.u8(at + 2);
            CHECK(length == sizeof(MadtLocalApic) && uid == reader.u8(at + 3));
            CHECK(uid < config.cpu_count && !cpu_seen[uid]);
            cpu_seen[uid] = true;
        } else if (type == MADT_IO_APIC) {
            CHECK(reader.u8(at + 2) == config.ioapic_id);
            CHECK(reader.u32(at + 4) == config.ioapic_address);
            ++ioapics;
        } else if (type == MADT_INTERRUPT_SOURCE_OVERRIDE) {
            CHECK(reader.u8(at + 3) == config.sci_irq);
            ++overrides;
        }
        at += length;
    }
    CHECK(std::all_of(cpu_seen.begin(), cpu_seen.end(), [](bool seen) { return seen; }));
    CHECK(ioapics == 1 && overrides == 1);
}

void check_image(const Input& input, const AcpiTables& tables) {
    const uint64_t base = input.base.value();
    CHECK(tables.rsdp == input.base);
    CHECK(tables.bytes.size() <= input.max_size && base + tables.bytes.size() <= k4GiB);
    const AcpiReader reader(input.base, tables.bytes);

    const uint64_t rsdp = base;
    CHECK(reader.text(rsdp, 8) == "RSD PTR ");
    CHECK(AcpiReader::sum(reader.at(rsdp, offsetof(Rsdp, length))) == 0);
    CHECK(reader.u32(rsdp + offsetof(Rsdp, length)) == sizeof(Rsdp));
    CHECK(AcpiReader::sum(reader.at(rsdp, sizeof(Rsdp))) == 0);

    // Every table with a header: inside the image, checksummed, apart.
    std::vector<std::pair<uint64_t, uint64_t>> extents{{rsdp, sizeof(Rsdp)}};
    const auto check_table = [&](uint64_t address, const char* signature) {
        CHECK(reader.signature(address) == signature);
        CHECK(reader.u32(address + 4) >= sizeof(SdtHeader));
        CHECK(AcpiReader::sum(reader.table(address)) == 0);
        CHECK(address % 8 == 0);
        extents.emplace_back(address, reader.u32(address + 4));
    };
    const uint64_t xsdt = reader.xsdt(rsdp);
    const uint64_t rsdt = reader.rsdt(rsdp);
    check_table(xsdt, "XSDT");
    check_table(rsdt, "RSDT");
    const std::vector<uint64_t> listed = reader.entries(xsdt, 8);
    CHECK(reader.u32(xsdt + 4) == sizeof(SdtHeader) + 8 * listed.size());
    CHECK(reader.u32(rsdt + 4) == sizeof(SdtHeader) + 4 * listed.size());
    CHECK(reader.entries(rsdt, 4) == listed);
    const auto by_signature = reader.tables_by_signature(rsdp);
    CHECK(listed.size() == 2 && by_signature.size() == 2);
    const uint64_t fadt = by_signature.at("FACP");
    const uint64_t madt = by_signature.at("APIC");
    check_table(fadt, "FACP");
    check_table(madt, "APIC");

    const uint64_t dsdt = reader.u64(fadt + offsetof(Fadt, x_dsdt));
    check_table(dsdt, "DSDT");
    const uint64_t facs = reader.u64(fadt + offsetof(Fadt, x_firmware_ctrl));
    CHECK(facs % kFacsAlignment == 0 && reader.text(facs, 4) == "FACS");
    CHECK(reader.u32(facs + 4) == sizeof(Facs));
    reader.at(facs, sizeof(Facs));  // throws when it runs out of the image
    extents.emplace_back(facs, sizeof(Facs));

    std::sort(extents.begin(), extents.end());
    for (size_t i = 1; i < extents.size(); ++i) {
        CHECK(extents[i - 1].first + extents[i - 1].second <= extents[i].first);
    }
    check_fadt(reader, fadt, dsdt, input.config);
    check_madt(reader, madt, input.config);
    check_dsdt(reader, dsdt, input.config);
    check_pci_window(reader, dsdt, input.config);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const Input input = decode(data, size);
    std::optional<AcpiTables> tables;
    try {
        tables = build_acpi_tables(input.config, input.base, input.max_size);
    } catch (const std::invalid_argument&) {
        if (out_of_range(input)) {
            return 0;
        }
        // Refused for its size only: with room, at a base that lays it out
        // the same (the largest alignment is the FACS's), it builds, and is
        // larger than max_size.
        const AcpiTables roomy = build_acpi_tables(
            input.config, GuestAddress(input.base.value() % kFacsAlignment), 1ull << 20);
        CHECK(roomy.bytes.size() > input.max_size);
        return 0;
    }
    CHECK(!out_of_range(input));
    check_image(input, *tables);
    return 0;
}
