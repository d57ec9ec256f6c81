#include "firmware/acpi/facs.h"

#include <cstring>

#include "firmware/acpi/sdt.h"

namespace berth::acpi {

std::vector<uint8_t> build_facs() {
    Facs facs{};
    std::memcpy(facs.signature, "FACS", 4);
    facs.length = sizeof(Facs);
    facs.version = kFacsVersion;
    std::vector<uint8_t> bytes;
    append_struct(bytes, facs);
    return bytes;
}

}  // namespace berth::acpi
