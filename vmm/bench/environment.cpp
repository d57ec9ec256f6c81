#include "vmm/bench/environment.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "vmm/bench/availability.h"
#include "vmm/bench/process_runner.h"

namespace berth::bench {
namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.pop_back();
    }
    return line;
}

// The value of the first "key<tabs>: value" line of /proc/cpuinfo.
std::string cpuinfo_value(const std::string& cpuinfo, std::string_view key) {
    std::istringstream lines(cpuinfo);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.starts_with(key)) {
            const size_t colon = line.find(':');
            if (colon != std::string::npos) {
                return first_line(line.substr(line.find_first_not_of(' ', colon + 1)));
            }
        }
    }
    return "";
}

bool has_flag(const std::string& cpuinfo, std::string_view flag) {
    std::istringstream words(cpuinfo_value(cpuinfo, "flags"));
    std::string word;
    while (words >> word) {
        if (word == flag) {
            return true;
        }
    }
    return false;
}

std::string tool_version(const std::string& program, std::vector<std::string> argv) {
    if (!find_program(program)) {
        return "not installed";
    }
    const auto text = capture_stdout(argv, std::chrono::seconds(15));
    if (!text || first_line(*text).empty()) {
        std::string command;
        for (const std::string& arg : argv) {
            command += (command.empty() ? "" : " ") + arg;
        }
        return "installed; `" + command + "` failed";
    }
    return first_line(*text);
}

}  // namespace

std::pair<std::string, bool> describe_kvm(const std::string& cpuinfo, bool in_sandbox) {
    if (in_sandbox) {
        return {
            "nested sandbox: KVM (kvm_amd) inside scripts/kvm-sandbox's QEMU TCG virtual "
            "machine, whose emulated CPU has SVM",
            true};
    }
    const bool hardware = has_flag(cpuinfo, "vmx") || has_flag(cpuinfo, "svm");
    const bool virtualised = has_flag(cpuinfo, "hypervisor");
    if (hardware && virtualised) {
        return {"hardware-assisted KVM on a host that is itself a VM (nested virtualisation)",
                false};
    }
    if (hardware) {
        return {"hardware-assisted KVM", false};
    }
    return {"no hardware virtualisation (no vmx or svm CPU flag): the VMs were not measured here",
            false};
}

Environment collect_environment(const std::string& kernel_path) {
    Environment env;
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char when[64];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &utc);
    env.started_at = when;

    const std::string cpuinfo = read_text("/proc/cpuinfo");
    std::string model = cpuinfo_value(cpuinfo, "model name");
    env.host_cpu = fmt::format("{}, {} CPUs online", model.empty() ? "unknown" : model,
                               ::sysconf(_SC_NPROCESSORS_ONLN));
    utsname uts{};
    if (::uname(&uts) == 0) {
        env.host_kernel = fmt::format("{} {} ({})", uts.sysname, uts.release, uts.machine);
    }
    const char* sandbox = std::getenv("BERTH_IN_SANDBOX");
    std::tie(env.kvm, env.emulated) =
        describe_kvm(cpuinfo, sandbox != nullptr && std::string_view(sandbox) == "1");
    if (env.emulated) {
        // What the bench sees is the sandbox VM, not the machine under it.
        env.host_cpu += " (the sandbox VM's emulated CPU)";
        env.host_kernel += " (the sandbox VM's kernel)";
    }

    const std::filesystem::path version_file =
        std::filesystem::path(kernel_path).parent_path() / "kernel-version";
    const std::string version = first_line(read_text(version_file.string()));
    env.guest_kernel =
        version.empty() ? kernel_path + " (version unknown)" : version + " (" + kernel_path + ")";

    env.tools.emplace_back("qemu",
                           tool_version("qemu-system-x86_64", {"qemu-system-x86_64", "--version"}));
    env.tools.emplace_back("runc", tool_version("runc", {"runc", "--version"}));
    env.tools.emplace_back("crun", tool_version("crun", {"crun", "--version"}));
    std::string docker =
        tool_version("docker", {"docker", "version", "--format",
                                "client {{.Client.Version}}, server {{.Server.Version}}"});
    if (docker.find("failed") != std::string::npos) {
        // `docker version` fails without a daemon; --version needs none.
        docker = tool_version("docker", {"docker", "--version"}) + "; no daemon answers";
    }
    env.tools.emplace_back("docker", docker);
    return env;
}

}  // namespace berth::bench
