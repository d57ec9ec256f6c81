#include "vmm/seccomp/seccomp_mode.h"

namespace berth::seccomp {

std::optional<Mode> parse_mode(std::string_view text) {
    if (text == "on") {
        return Mode::kOn;
    }
    if (text == "log") {
        return Mode::kLog;
    }
    if (text == "off") {
        return Mode::kOff;
    }
    return std::nullopt;
}

}  // namespace berth::seccomp
