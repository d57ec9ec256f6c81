#include "vmm/bench/system.h"

#include <array>

namespace berth::bench {
namespace {

constexpr std::array kAllSystems = {
    SystemKind::kBerth,       SystemKind::kBerthStats, SystemKind::kBerthVmlinux,
    SystemKind::kQemuMicrovm, SystemKind::kQemuPc,     SystemKind::kRunc,
    SystemKind::kCrun,        SystemKind::kDocker,
};

}  // namespace

std::span<const SystemKind> all_systems() {
    return kAllSystems;
}

std::string_view system_name(SystemKind kind) {
    switch (kind) {
        case SystemKind::kBerth:
            return "berth";
        case SystemKind::kBerthStats:
            return "berth-stats";
        case SystemKind::kBerthVmlinux:
            return "berth-vmlinux";
        case SystemKind::kQemuMicrovm:
            return "qemu-microvm";
        case SystemKind::kQemuPc:
            return "qemu-pc";
        case SystemKind::kRunc:
            return "runc";
        case SystemKind::kCrun:
            return "crun";
        case SystemKind::kDocker:
            return "docker";
    }
    return "?";
}

std::optional<SystemKind> system_from_name(std::string_view name) {
    for (SystemKind kind : kAllSystems) {
        if (system_name(kind) == name) {
            return kind;
        }
    }
    return std::nullopt;
}

bool is_vm(SystemKind kind) {
    return is_berth(kind) || kind == SystemKind::kQemuMicrovm || kind == SystemKind::kQemuPc;
}

bool is_berth(SystemKind kind) {
    return kind == SystemKind::kBerth || kind == SystemKind::kBerthStats ||
           kind == SystemKind::kBerthVmlinux;
}

}  // namespace berth::bench
