#include "vmm/common/error.h"

#include <cstring>

namespace berth {

SystemError::SystemError(const std::string& what, int error_number)
    : std::runtime_error(what + ": " + std::strerror(error_number)), error_number_(error_number) {}

}  // namespace berth
