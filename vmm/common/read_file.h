#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vmm/common/unique_fd.h"

namespace berth {

// A regular file the user named, open read-only, and its size.
struct RegularFile {
    UniqueFd fd;
    uint64_t size = 0;
};

// Opens `path` and checks that it is a regular file. `what` names it for the
// user ("kernel", "initrd"); any failure is a UserError naming the path and
// the reason.
RegularFile open_regular_file(const std::string& path, const std::string& what);

// Reads a whole regular file (open_regular_file, then read()).
std::vector<uint8_t> read_file(const std::string& path, const std::string& what);

}  // namespace berth
