#include "vmm/bench/startup_options.h"

#include <algorithm>

#include <fmt/format.h>

#include "vmm/cli/size.h"
#include "vmm/common/error.h"

namespace berth::bench {
namespace {

std::string valid_names() {
    std::string names;
    for (SystemKind kind : all_systems()) {
        names += names.empty() ? "" : ",";
        names += system_name(kind);
    }
    return names;
}

}  // namespace

std::vector<SystemKind> parse_systems(std::string_view text) {
    std::vector<SystemKind> chosen;
    size_t start = 0;
    while (true) {
        const size_t comma = text.find(',', start);
        const std::string_view item =
            text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
        if (item.empty()) {
            throw UserError(
                fmt::format("--systems '{}': an empty name; list some of {} separated by commas",
                            text, valid_names()));
        }
        const auto kind = system_from_name(item);
        if (!kind) {
            throw UserError(fmt::format("--systems: unknown system '{}'; the systems are {}", item,
                                        valid_names()));
        }
        if (std::find(chosen.begin(), chosen.end(), *kind) != chosen.end()) {
            throw UserError(fmt::format("--systems: '{}' is listed twice", item));
        }
        chosen.push_back(*kind);
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    // Tables list Berth first and the rest in a fixed order, whatever the
    // order typed.
    std::vector<SystemKind> ordered;
    for (SystemKind kind : all_systems()) {
        if (std::find(chosen.begin(), chosen.end(), kind) != chosen.end()) {
            ordered.push_back(kind);
        }
    }
    return ordered;
}

uint64_t parse_memory_option(std::string_view text) {
    const auto bytes = cli::parse_size(text);
    constexpr uint64_t kMiB = 1ull << 20;
    if (!bytes || *bytes == 0 || *bytes % kMiB != 0) {
        throw UserError(
            fmt::format("--memory {}: not a size in whole MiB; write e.g. 256M, 512M or 2G", text));
    }
    return *bytes;
}

void check_startup_options(const StartupOptions& options) {
    if (options.runs < 1) {
        throw UserError("--runs must be at least 1");
    }
    if (options.warmup < 0) {
        throw UserError("--warmup must be 0 or more");
    }
    if (options.cpus < 1 || options.cpus > 254) {
        throw UserError("--cpus must be between 1 and 254");
    }
    if (options.run_timeout_minutes < 1) {
        throw UserError("--run-timeout must be at least 1 (minutes)");
    }
    if (options.systems.empty()) {
        throw UserError("--systems: no system to measure");
    }
}

}  // namespace berth::bench
