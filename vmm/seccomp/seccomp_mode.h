// --seccomp on|log|off: what happens when a Berth thread makes a system call
// outside its allow-list (docs/seccomp.md).
#pragma once

#include <optional>
#include <string_view>

namespace berth::seccomp {

enum class Mode {
    kOn,   // the default: the call is trapped, Berth prints one line and exits with 159
    kLog,  // the kernel logs the call (audit/dmesg) and lets it run: for finding what is missing
    kOff,  // no filters at all
};

// "on", "log" or "off"; nullopt for anything else.
std::optional<Mode> parse_mode(std::string_view text);

}  // namespace berth::seccomp
