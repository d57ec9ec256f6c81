#include "vmm/bench/oci_bundle.h"

#include <sstream>

#include <fmt/format.h>

#include "vmm/common/error.h"

namespace berth::bench {
namespace {

constexpr std::string_view kRootPath = R"("path": "../rootfs")";
constexpr std::string_view kLinux = R"("linux": {)";

// JSON string contents: the paths here are ours, but a quote or backslash
// in a folder name must not break the file.
std::string json_escape(std::string_view text) {
    std::string escaped;
    for (char c : text) {
        if (c == '"' || c == '\\') {
            escaped += '\\';
        }
        escaped += c;
    }
    return escaped;
}

}  // namespace

std::string adapt_oci_config(std::string_view config, std::string_view rootfs,
                             const std::optional<std::string>& cgroups_path) {
    const size_t root_at = config.find(kRootPath);
    const size_t linux_at = config.find(kLinux);
    if (root_at == std::string_view::npos || linux_at == std::string_view::npos ||
        config.find(kRootPath, root_at + 1) != std::string_view::npos) {
        throw UserError(
            "the workload's bundle/config.json is not the one guest/build-workload writes (no "
            "\"path\": \"../rootfs\" or no \"linux\" section); run guest/build-workload again");
    }
    std::string adapted;
    adapted.reserve(config.size() + 200);
    // Both edits, in file order (the root comes before "linux" in the spec).
    const size_t first = std::min(root_at, linux_at);
    const size_t second = std::max(root_at, linux_at);
    auto edit = [&](size_t at) {
        if (at == root_at) {
            adapted += fmt::format(R"("path": "{}")", json_escape(rootfs));
            return kRootPath.size();
        }
        adapted += kLinux;
        if (cgroups_path) {
            adapted += fmt::format(R"( "cgroupsPath": "{}",)", json_escape(*cgroups_path));
        }
        return kLinux.size();
    };
    adapted += config.substr(0, first);
    const size_t after_first = first + edit(first);
    adapted += config.substr(after_first, second - after_first);
    const size_t after_second = second + edit(second);
    adapted += config.substr(after_second);
    return adapted;
}

bool root_is_initramfs(std::string_view proc_mounts) {
    // The last mount on "/" is the one in use; the initial one has type
    // "rootfs" (even when the kernel made it a tmpfs).
    std::istringstream lines{std::string(proc_mounts)};
    std::string line;
    bool initramfs = false;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string source;
        std::string target;
        std::string type;
        if (fields >> source >> target >> type && target == "/") {
            initramfs = type == "rootfs";
        }
    }
    return initramfs;
}

}  // namespace berth::bench
