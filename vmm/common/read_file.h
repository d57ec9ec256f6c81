#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth {

// Reads a whole regular file. `what` names it for the user ("kernel",
// "initrd"); any failure is a UserError naming the path and the reason.
std::vector<uint8_t> read_file(const std::string& path, const std::string& what);

}  // namespace berth
