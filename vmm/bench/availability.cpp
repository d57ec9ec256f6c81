#include "vmm/bench/availability.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vmm/bench/launch.h"
#include "vmm/bench/process_runner.h"
#include "vmm/common/unique_fd.h"

namespace berth::bench {
namespace {

std::optional<std::string> check_kvm() {
    UniqueFd kvm(::open("/dev/kvm", O_RDWR | O_CLOEXEC));
    if (!kvm.valid()) {
        return std::string("/dev/kvm: ") + std::strerror(errno) +
               " (no KVM here: run the bench through scripts/kvm-sandbox)";
    }
    if (::ioctl(kvm.get(), KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        return std::string("/dev/kvm does not speak KVM API version 12");
    }
    // As scripts/kvm-sandbox decides: a /dev/kvm without vmx or svm (such as
    // kvm_pvm) runs a stock kernel thousands of times slower.
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.starts_with("flags")) {
            std::istringstream flags(line);
            std::string flag;
            while (flags >> flag) {
                if (flag == "vmx" || flag == "svm") {
                    return std::nullopt;
                }
            }
            break;
        }
    }
    return std::string(
        "/dev/kvm has no hardware virtualisation behind it (no vmx or svm CPU flag): run the "
        "bench through scripts/kvm-sandbox");
}

}  // namespace

std::optional<std::string> find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        return ::access(name.c_str(), X_OK) == 0 ? std::optional(name) : std::nullopt;
    }
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
    }
    return std::nullopt;
}

HostFacts probe_host(const std::vector<SystemKind>& wanted) {
    HostFacts facts;
    facts.kvm_problem = check_kvm();
    facts.qemu = find_program("qemu-system-x86_64").has_value();
    facts.runc = find_program("runc").has_value();
    facts.crun = find_program("crun").has_value();
    facts.docker = find_program("docker").has_value();
    facts.root = ::geteuid() == 0;
    facts.cgroups = cgroup_mode();
    bool docker_wanted = false;
    for (SystemKind system : wanted) {
        docker_wanted = docker_wanted || system == SystemKind::kDocker;
    }
    if (facts.docker && docker_wanted) {
        using std::chrono::seconds;
        facts.docker_daemon =
            capture_stdout({"docker", "version", "--format", "{{.Server.Version}}"}, seconds(15))
                .has_value();
        facts.docker_image =
            facts.docker_daemon &&
            capture_stdout({"docker", "image", "inspect", std::string(kDockerImage)}, seconds(15))
                .has_value();
    }
    return facts;
}

std::optional<std::string> skip_reason(SystemKind system, const HostFacts& facts) {
    switch (system) {
        case SystemKind::kBerth:
        case SystemKind::kBerthStats:
        case SystemKind::kBerthVmlinux:
            return facts.kvm_problem;
        case SystemKind::kQemuMicrovm:
        case SystemKind::kQemuPc:
            if (facts.kvm_problem) {
                return facts.kvm_problem;
            }
            if (!facts.qemu) {
                return std::string(
                    "qemu-system-x86_64 is not installed (apt-get install "
                    "qemu-system-x86)");
            }
            return std::nullopt;
        case SystemKind::kRunc:
        case SystemKind::kCrun: {
            const bool installed = system == SystemKind::kRunc ? facts.runc : facts.crun;
            const std::string name(system_name(system));
            if (!installed) {
                return name + " is not installed (apt-get install " + name + ")";
            }
            if (!facts.root) {
                return name + " needs root here: the workload's bundle is not rootless";
            }
            if (facts.cgroups == CgroupMode::kNone) {
                return std::string(
                    "no cgroup file system at /sys/fs/cgroup (mount -t cgroup2 none "
                    "/sys/fs/cgroup)");
            }
            if (system == SystemKind::kCrun && facts.cgroups == CgroupMode::kHybrid) {
                return std::string(
                    "cgroups in hybrid mode here (v1 controllers beside a v2 hierarchy), which "
                    "crun refuses; it runs where cgroup v2 or v1 alone is mounted");
            }
            return std::nullopt;
        }
        case SystemKind::kDocker:
            if (!facts.docker) {
                return std::string("docker is not installed");
            }
            if (!facts.docker_daemon) {
                return std::string("no Docker daemon answers (docker version fails)");
            }
            if (!facts.docker_image) {
                return "no image " + std::string(kDockerImage) +
                       " (guest/build-workload imports it while a daemon runs)";
            }
            return std::nullopt;
    }
    return std::nullopt;
}

}  // namespace berth::bench
