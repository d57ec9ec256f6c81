#include "vmm/trace/exit_filter.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

#include "vmm/common/error.h"

namespace berth::trace {
namespace {

constexpr std::string_view kOption = "--trace-exits";
constexpr uint64_t kMaxPort = 0xffff;

std::string reason_list() {
    std::string list;
    for (size_t i = 0; i < kExitReasonCount; ++i) {
        list += (i == 0 ? "" : ", ");
        list += exit_reason_name(static_cast<ExitReason>(i));
    }
    return list;
}

// Decimal or 0x-hex, nothing else (no sign, no blanks).
std::optional<uint64_t> parse_number(std::string_view text) {
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
        base = 16;
    }
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// "A" or "A-B" after `key=`, inclusive, at most `max`.
ExitFilter::Range parse_range(std::string_view term, std::string_view key, std::string_view text,
                              uint64_t max) {
    const size_t dash = text.find('-');
    const std::string_view first_text = text.substr(0, dash);
    const std::string_view last_text =
        dash == std::string_view::npos ? first_text : text.substr(dash + 1);
    for (std::string_view number : {first_text, last_text}) {
        if (!parse_number(number)) {
            throw UserError(fmt::format(
                "{}: '{}' is not a number in '{}'; write decimal or 0x-hex, e.g. {}=0x3f8 or "
                "{}=0x3f8-0x3ff",
                kOption, number, term, key, key));
        }
    }
    const ExitFilter::Range range{*parse_number(first_text), *parse_number(last_text)};
    if (range.last < range.first) {
        throw UserError(fmt::format(
            "{}: '{}' ends before it starts; write the lower bound first, e.g. {}={}-{}", kOption,
            term, key, last_text, first_text));
    }
    if (range.last > max) {
        throw UserError(
            fmt::format("{}: '{}' goes past {:#x}, the last I/O port; MMIO "
                        "addresses take addr=, e.g. addr=0xd0000000",
                        kOption, term, max));
    }
    return range;
}

}  // namespace

ExitFilter ExitFilter::parse(std::string_view text) {
    ExitFilter filter;
    if (text.empty()) {
        return filter;  // --trace-exits alone: everything
    }
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        const std::string_view term = text.substr(start, comma - start);
        start = comma + 1;
        if (term.empty()) {
            throw UserError(fmt::format(
                "{}={}: an empty term; separate terms with single commas, e.g. io,port=0x3f8-0x3ff",
                kOption, text));
        }
        const size_t equals = term.find('=');
        const std::string_view key = term.substr(0, equals);
        const std::string_view value =
            equals == std::string_view::npos ? std::string_view() : term.substr(equals + 1);
        if (equals == std::string_view::npos) {
            if (auto reason = exit_reason_from_name(term)) {
                filter.reasons_.set(static_cast<size_t>(*reason));
                continue;
            }
        } else if (key == "port") {
            filter.ports_.push_back(parse_range(term, key, value, kMaxPort));
            continue;
        } else if (key == "addr") {
            filter.addresses_.push_back(parse_range(term, key, value, UINT64_MAX));
            continue;
        } else if (key == "device") {
            if (value.empty()) {
                throw UserError(
                    fmt::format("{}: 'device=' needs a name, e.g. device=uart-16550", kOption));
            }
            filter.devices_.emplace_back(value);
            continue;
        }
        throw UserError(
            fmt::format("{}: unknown term '{}'; use an exit reason ({}), port=A[-B], addr=A[-B] or "
                        "device=NAME, separated by commas",
                        kOption, term, reason_list()));
    }
    return filter;
}

bool ExitFilter::matches(const ExitEvent& event) const {
    if (reasons_.any() && !reasons_.test(static_cast<size_t>(event.reason))) {
        return false;
    }
    if (!ports_.empty() || !addresses_.empty()) {
        const std::vector<Range>* ranges = event.reason == ExitReason::kIo     ? &ports_
                                           : event.reason == ExitReason::kMmio ? &addresses_
                                                                               : nullptr;
        if (ranges == nullptr ||
            std::none_of(ranges->begin(), ranges->end(),
                         [&](const Range& range) { return range.contains(event.address); })) {
            return false;
        }
    }
    if (!devices_.empty()) {
        const bool is_access = event.reason == ExitReason::kIo || event.reason == ExitReason::kMmio;
        if (!is_access ||
            std::find(devices_.begin(), devices_.end(), event.device) == devices_.end()) {
            return false;
        }
    }
    return true;
}

}  // namespace berth::trace
