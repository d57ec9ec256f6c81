#include "firmware/acpi/dsdt.h"

#include "firmware/acpi/aml.h"
#include "firmware/acpi/sdt.h"

namespace berth::acpi {

std::vector<uint8_t> build_dsdt(const AcpiConfig& config) {
    // Name(_S5, Package(4){SLP_TYPa, SLP_TYPb, reserved, reserved}): PM1a and
    // PM1b take the same value (there is no PM1b block).
    const aml::Bytes s5 = aml::name("_S5_", aml::package({aml::integer(config.s5_sleep_type),
                                                          aml::integer(config.s5_sleep_type),
                                                          aml::integer(0), aml::integer(0)}));

    std::vector<uint8_t> table;
    append_struct(table, make_sdt_header("DSDT", kDsdtRevision));
    table.insert(table.end(), s5.begin(), s5.end());
    finish_table(table);
    return table;
}

}  // namespace berth::acpi
