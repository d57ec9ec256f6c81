#include "vmm/bench/cgroup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <linux/magic.h>

namespace berth::bench {
namespace {

const std::string kRoot = "/sys/fs/cgroup/";

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool write_text(const std::string& path, std::string_view text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    return fd.valid() &&
           ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

bool has_word(const std::string& words, std::string_view word) {
    std::istringstream in(words);
    std::string w;
    while (in >> w) {
        if (w == word) {
            return true;
        }
    }
    return false;
}

// rmdir fails with EBUSY while the last processes are still being torn
// down; that takes milliseconds.
void remove_cgroup(const std::string& path) {
    for (int attempt = 0; attempt < 50; ++attempt) {
        if (::rmdir(path.c_str()) == 0 || errno == ENOENT) {
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// Delegates cpu, memory and pids from `dir` to its children, as far as the
// kernel allows (cpu fails, for one, when a real-time task is around).
void delegate_controllers(const std::string& dir) {
    for (std::string_view controller : {"+cpu", "+memory", "+pids"}) {
        write_text(dir + "cgroup.subtree_control", controller);
    }
}

}  // namespace

CgroupMode cgroup_mode() {
    struct statfs fs {};
    if (::statfs(kRoot.c_str(), &fs) != 0) {
        return CgroupMode::kNone;
    }
    if (fs.f_type == CGROUP2_SUPER_MAGIC) {
        return CgroupMode::kUnified;
    }
    if (fs.f_type != TMPFS_MAGIC) {
        return CgroupMode::kNone;
    }
    // A tmpfs holding v1 hierarchies, and perhaps a v2 one beside them.
    if (::statfs((kRoot + "unified").c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
        return CgroupMode::kHybrid;
    }
    if (::statfs((kRoot + "memory").c_str(), &fs) == 0 && fs.f_type == CGROUP_SUPER_MAGIC) {
        return CgroupMode::kLegacy;
    }
    return CgroupMode::kNone;
}

std::unique_ptr<BenchCgroup> BenchCgroup::create(std::string& why_not) {
    if (cgroup_mode() != CgroupMode::kUnified) {
        why_not = "no cgroup v2 at /sys/fs/cgroup";
        return nullptr;
    }
    delegate_controllers(kRoot);
    const std::string name = "berth-bench-" + std::to_string(::getpid());
    if (::mkdir((kRoot + name).c_str(), 0755) != 0) {
        why_not = "cannot create " + kRoot + name + ": " + std::strerror(errno);
        return nullptr;
    }
    std::unique_ptr<BenchCgroup> bench(new BenchCgroup(name));
    delegate_controllers(kRoot + name + "/");
    if (!has_word(read_text(kRoot + name + "/cgroup.controllers"), "memory")) {
        why_not = "the memory controller is not available to " + kRoot + name;
        return nullptr;
    }
    return bench;
}

BenchCgroup::~BenchCgroup() {
    remove_cgroup(kRoot + name_);
}

std::unique_ptr<RunCgroup> BenchCgroup::start_run(int n) {
    const std::string relative = name_ + "/run-" + std::to_string(n);
    const std::string dir = kRoot + relative + "/";
    if (::mkdir(dir.c_str(), 0755) != 0) {
        return nullptr;
    }
    delegate_controllers(dir);
    if (::mkdir((dir + "launcher").c_str(), 0755) != 0) {
        remove_cgroup(dir);
        return nullptr;
    }
    UniqueFd procs(::open((dir + "launcher/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    if (!procs.valid()) {
        remove_cgroup(dir + "launcher");
        remove_cgroup(dir);
        return nullptr;
    }
    UniqueFd kill(::open((dir + "cgroup.kill").c_str(), O_WRONLY | O_CLOEXEC));
    return std::unique_ptr<RunCgroup>(new RunCgroup(relative, std::move(procs), std::move(kill)));
}

RunCgroup::~RunCgroup() {
    const std::string dir = kRoot + relative_ + "/";
    if (!read_text(dir + "cgroup.events").empty() &&
        read_text(dir + "cgroup.events").find("populated 1") != std::string::npos) {
        kill_all();
    }
    remove_cgroup(dir + "container");
    remove_cgroup(dir + "launcher");
    remove_cgroup(dir);
}

std::string RunCgroup::container_path() const {
    return "/" + relative_ + "/container";
}

std::optional<double> parse_cpu_stat_ms(std::string_view text) {
    constexpr std::string_view kKey = "usage_usec ";
    size_t at = text.find(kKey);
    if (at == std::string_view::npos || (at != 0 && text[at - 1] != '\n')) {
        return std::nullopt;
    }
    at += kKey.size();
    uint64_t usec = 0;
    const auto [end, error] = std::from_chars(text.data() + at, text.data() + text.size(), usec);
    if (error != std::errc() || end == text.data() + at) {
        return std::nullopt;
    }
    return static_cast<double>(usec) / 1000.0;
}

std::optional<double> RunCgroup::cpu_ms() const {
    return parse_cpu_stat_ms(read_text(kRoot + relative_ + "/cpu.stat"));
}

std::optional<uint64_t> RunCgroup::peak_kib() const {
    const std::string text = read_text(kRoot + relative_ + "/memory.peak");
    uint64_t bytes = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bytes);
    if (error != std::errc() || end == text.data()) {
        return std::nullopt;  // memory.peak is new in Linux 5.19
    }
    return bytes / 1024;
}

void RunCgroup::kill_all() const {
    write_text(kRoot + relative_ + "/cgroup.kill", "1");
}

}  // namespace berth::bench
