#include "vmm/bench/memory_sample.h"

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace berth::bench {
namespace {

// The kB value on the line "Name:   1234 kB", or 0.
uint64_t field_kib(std::string_view text, std::string_view name) {
    size_t at = 0;
    while ((at = text.find(name, at)) != std::string_view::npos) {
        if (at == 0 || text[at - 1] == '\n') {
            size_t digits = text.find_first_not_of(' ', at + name.size());
            if (digits == std::string_view::npos) {
                return 0;
            }
            uint64_t value = 0;
            std::from_chars(text.data() + digits, text.data() + text.size(), value);
            return value;
        }
        at += name.size();
    }
    return 0;
}

std::string read_small_file(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

MemoryUse parse_smaps_rollup(std::string_view text) {
    return MemoryUse{field_kib(text, "Rss:"), field_kib(text, "Pss:")};
}

std::vector<pid_t> process_tree(pid_t pid) {
    std::vector<pid_t> tree{pid};
    for (size_t i = 0; i < tree.size(); ++i) {
        const std::string tasks = "/proc/" + std::to_string(tree[i]) + "/task";
        std::error_code error;
        for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
            std::istringstream children(read_small_file(task.path().string() + "/children"));
            pid_t child = 0;
            while (children >> child) {
                tree.push_back(child);
            }
        }
    }
    return tree;
}

MemoryUse sample_tree_memory(pid_t pid) {
    MemoryUse total;
    for (pid_t member : process_tree(pid)) {
        const MemoryUse use = parse_smaps_rollup(
            read_small_file("/proc/" + std::to_string(member) + "/smaps_rollup"));
        total.rss_kib += use.rss_kib;
        total.pss_kib += use.pss_kib;
    }
    return total;
}

}  // namespace berth::bench
