#include "vmm/bench/timings.h"

#include <algorithm>
#include <charconv>
#include <optional>

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

// Calls `visit` with each line of `text`, without its line break.
template <typename Visit>
void for_each_line(std::string_view text, Visit visit) {
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view line = text.substr(start, end - start);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        visit(line);
        start = end + 1;
    }
}

// "berth: guest kernel clock started at <digits> us" -> the microseconds.
std::optional<uint64_t> parse_clock_line(std::string_view line) {
    constexpr std::string_view kPrefix = "berth: guest kernel clock started at ";
    if (!line.starts_with(kPrefix)) {
        return std::nullopt;
    }
    line.remove_prefix(kPrefix.size());
    uint64_t us = 0;
    const char* last = line.data() + line.size();
    const auto [end, error] = std::from_chars(line.data(), last, us);
    if (error != std::errc() || end == line.data() ||
        !std::string_view(end, last).starts_with(" us")) {
        return std::nullopt;
    }
    return us;
}

// "berth: <spaces><seconds>.<6 digits> s   <name>" -> the name and guest
// microseconds.
std::optional<TimingLine> parse_kernel_line(std::string_view line) {
    constexpr std::string_view kPrefix = "berth:";
    if (!line.starts_with(kPrefix)) {
        return std::nullopt;
    }
    line.remove_prefix(kPrefix.size());
    line.remove_prefix(std::min(line.find_first_not_of(' '), line.size()));
    uint64_t seconds = 0;
    uint64_t micros = 0;
    const char* last = line.data() + line.size();
    const auto [dot, error] = std::from_chars(line.data(), last, seconds);
    if (error != std::errc() || dot == line.data() || dot == last || *dot != '.') {
        return std::nullopt;
    }
    const auto [unit, error2] = std::from_chars(dot + 1, last, micros);
    constexpr std::string_view kUnit = " s   ";
    if (error2 != std::errc() || unit - dot != 7 ||
        !std::string_view(unit, last).starts_with(kUnit)) {
        return std::nullopt;
    }
    std::string_view name(unit + kUnit.size(), last);
    while (!name.empty() && name.back() == ' ') {
        name.remove_suffix(1);
    }
    if (name.empty()) {
        return std::nullopt;
    }
    return TimingLine{std::string(name), seconds * 1'000'000 + micros};
}

}  // namespace

std::vector<TimingLine> parse_kernel_timings(std::string_view stderr_text) {
    std::optional<uint64_t> origin;
    std::vector<TimingLine> guest;
    for_each_line(stderr_text, [&](std::string_view line) {
        if (auto us = parse_clock_line(line)) {
            origin = origin.value_or(*us);
        } else if (auto milestone = parse_kernel_line(line)) {
            guest.push_back(std::move(*milestone));
        }
    });
    std::vector<TimingLine> entries;
    if (!origin) {
        return entries;
    }
    entries.push_back({"kernel: clock-start", *origin});
    for (const TimingLine& milestone : guest) {
        entries.push_back({"kernel: " + milestone.name, *origin + milestone.us});
    }
    return entries;
}

std::vector<TimingLine> parse_timings(std::string_view stderr_text) {
    std::vector<TimingLine> entries;
    for_each_line(stderr_text, [&entries](std::string_view line) {
        TimingLine entry;
        if (parse_line(line, entry) &&
            std::none_of(entries.begin(), entries.end(),
                         [&entry](const TimingLine& seen) { return seen.name == entry.name; })) {
            entries.push_back(std::move(entry));
        }
    });
    return entries;
}

}  // namespace berth::bench
