#include "firmware/acpi/dsdt.h"

#include "firmware/acpi/aml.h"
#include "firmware/acpi/resources.h"
#include "firmware/acpi/sdt.h"

namespace berth::acpi {
namespace {

// Scope(\_SB) { Device(PCI0) { ... } }: a conventional PCI host bridge
// (PNP0A03; PNP0A08 would promise PCIe and _OSC) for segment 0, bus 0. Its
// _CRS lists what it decodes: bus 0, its own configuration ports, every
// other I/O port (QEMU's layout: 0-0xCF7 and 0xD00-0xFFFF) and the MMIO
// window Berth places BARs in. Linux refuses BARs outside these windows.
aml::Bytes pci_host_bridge(const AcpiConfig::PciHostBridge& bridge) {
    namespace res = resources;
    const uint32_t mmio_last = bridge.mmio_start + bridge.mmio_size - 1;
    const aml::Bytes crs = res::resource_template({
        res::word_bus_number(0, 0),
        res::io_port(0xcf8, 8),
        res::word_io(0x0000, 0x0cf7),
        res::word_io(0x0d00, 0xffff),
        res::dword_memory(bridge.mmio_start, mmio_last),
    });
    return aml::scope("\\_SB", {aml::device("PCI0", {
                                                        aml::name("_HID", aml::eisa_id("PNP0A03")),
                                                        aml::name("_UID", aml::integer(0)),
                                                        aml::name("_SEG", aml::integer(0)),
                                                        aml::name("_BBN", aml::integer(0)),
                                                        aml::name("_CRS", crs),
                                                    })});
}

}  // namespace

std::vector<uint8_t> build_dsdt(const AcpiConfig& config) {
    // Name(_S5, Package(4){SLP_TYPa, SLP_TYPb, reserved, reserved}): PM1a and
    // PM1b take the same value (there is no PM1b block).
    const aml::Bytes s5 = aml::name("_S5_", aml::package({aml::integer(config.s5_sleep_type),
                                                          aml::integer(config.s5_sleep_type),
                                                          aml::integer(0), aml::integer(0)}));

    std::vector<uint8_t> table;
    append_struct(table, make_sdt_header("DSDT", kDsdtRevision));
    table.insert(table.end(), s5.begin(), s5.end());
    if (config.pci) {
        const aml::Bytes pci = pci_host_bridge(*config.pci);
        table.insert(table.end(), pci.begin(), pci.end());
    }
    finish_table(table);
    return table;
}

}  // namespace berth::acpi
