#include "vmm/cli/size.h"

#include <array>
#include <cctype>
#include <string>

namespace berth::cli {

std::optional<uint64_t> parse_size(std::string_view text) {
    size_t digits = 0;
    uint64_t number = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
        const uint64_t digit = static_cast<uint64_t>(text[digits] - '0');
        if (__builtin_mul_overflow(number, 10, &number) ||
            __builtin_add_overflow(number, digit, &number)) {
            return std::nullopt;
        }
        ++digits;
    }
    if (digits == 0) {
        return std::nullopt;
    }
    std::string unit(text.substr(digits));
    for (char& c : unit) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (unit.size() == 3 && unit.substr(1) == "IB") {
        unit.resize(1);
    } else if (unit.size() == 2 && unit[1] == 'B') {
        unit.resize(1);
    }
    unsigned shift = 0;
    if (unit.empty() || unit == "M") {
        shift = 20;
    } else if (unit == "K") {
        shift = 10;
    } else if (unit == "G") {
        shift = 30;
    } else if (unit == "T") {
        shift = 40;
    } else {
        return std::nullopt;
    }
    if (number > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return number << shift;
}

}  // namespace berth::cli
