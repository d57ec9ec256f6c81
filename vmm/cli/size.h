// Memory sizes on the command line: "512M", "2G", "1.5G" is refused (whole
// numbers only), "512" means MiB as in QEMU and kvmtool.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::cli {

// Accepts a whole number followed by an optional unit K, M, G or T (also
// written KiB/MiB/GiB/TiB or KB/MB/GB/TB; all are powers of 1024), with no
// unit meaning MiB. Returns bytes, or nullopt for anything else, including
// values that overflow 64 bits.
std::optional<uint64_t> parse_size(std::string_view text);

}  // namespace berth::cli
