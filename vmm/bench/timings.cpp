#include "vmm/bench/timings.h"

#include <algorithm>
#include <charconv>

namespace berth::bench {
namespace {

// "berth: <spaces><digits> us  <name>" -> the entry, or nothing.
bool parse_line(std::string_view line, TimingLine& entry) {
    constexpr std::string_view kPrefix = "berth:";
    if (!line.starts_with(kPrefix)) {
        return false;
    }
    line.remove_prefix(kPrefix.size());
    const size_t digits = line.find_first_not_of(' ');
    if (digits == std::string_view::npos) {
        return false;
    }
    line.remove_prefix(digits);
    uint64_t us = 0;
    const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), us);
    if (error != std::errc() || end == line.data()) {
        return false;
    }
    line.remove_prefix(static_cast<size_t>(end - line.data()));
    constexpr std::string_view kUnit = " us  ";
    if (!line.starts_with(kUnit)) {
        return false;
    }
    line.remove_prefix(kUnit.size());
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.remove_suffix(1);
    }
    if (line.empty()) {
        return false;
    }
    entry = TimingLine{std::string(line), us};
    return true;
}

}  // namespace

std::vector<TimingLine> parse_timings(std::string_view stderr_text) {
    std::vector<TimingLine> entries;
    size_t start = 0;
    while (start < stderr_text.size()) {
        size_t end = stderr_text.find('\n', start);
        if (end == std::string_view::npos) {
            end = stderr_text.size();
        }
        TimingLine entry;
        if (parse_line(stderr_text.substr(start, end - start), entry) &&
            std::none_of(entries.begin(), entries.end(),
                         [&entry](const TimingLine& seen) { return seen.name == entry.name; })) {
            entries.push_back(std::move(entry));
        }
        start = end + 1;
    }
    return entries;
}

}  // namespace berth::bench
