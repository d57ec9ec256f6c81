// Differentiated System Description Table (ACPI 6.4 §5.2.11.1), signature
// "DSDT": a table header followed by AML, the definition block the OS loads
// into its namespace first.
#pragma once

#include <cstdint>
#include <vector>

#include "firmware/acpi/acpi_tables.h"

namespace berth::acpi {

// Revision 2: integers in this definition block are 64 bits wide (§5.2.11.1).
inline constexpr uint8_t kDsdtRevision = 2;

// The DSDT for `config`. Today it holds \_S5_ (§7.4.2.4, §16.1.7): the value
// the OS writes to PM1a_CNT.SLP_TYP, with SLP_EN, to enter soft-off.
std::vector<uint8_t> build_dsdt(const AcpiConfig& config);

}  // namespace berth::acpi
