// Which systems can run here, and for those that cannot, why: each skipped
// system is listed with its reason, never silently dropped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vmm/bench/cgroup.h"
#include "vmm/bench/system.h"

namespace berth::bench {

// What the checks found on this host.
struct HostFacts {
    std::optional<std::string> kvm_problem;  // why the VMs cannot run; none: /dev/kvm works
    bool qemu = false;                       // qemu-system-x86_64 on PATH
    bool runc = false;
    bool crun = false;
    bool docker = false;  // the client
    bool docker_daemon = false;
    bool docker_image = false;  // kDockerImage is there
    bool root = false;
    CgroupMode cgroups = CgroupMode::kNone;
};

// Looks around: /dev/kvm, PATH, the Docker daemon (only when docker is among
// `wanted`: asking it can take seconds), privileges, cgroups.
HostFacts probe_host(const std::vector<SystemKind>& wanted);

// Why `system` cannot run on a host with these facts, or nothing.
std::optional<std::string> skip_reason(SystemKind system, const HostFacts& facts);

// The absolute path `name` runs from, searched on PATH as execvp() does.
std::optional<std::string> find_program(const std::string& name);

}  // namespace berth::bench
