// Runs the real gdb in batch mode against a port on this machine and
// returns everything it printed, for tests that check what a user sees.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace berth::gdb::testing {

inline bool gdb_installed() {
    return access("/usr/bin/gdb", X_OK) == 0;
}

// `commands` run after `target remote`; the whole run is bounded by timeout(1).
inline std::string run_gdb_batch(uint16_t port, const std::vector<std::string>& commands) {
    std::string command_line = fmt::format(
        "timeout 60 /usr/bin/gdb -nx -batch -ex 'set pagination off' -ex 'set confirm off' "
        "-ex 'target remote 127.0.0.1:{}'",
        port);
    for (const std::string& command : commands) {
        command_line += " -ex '" + command + "'";
    }
    command_line += " 2>&1";
    std::string output;
    if (FILE* pipe = popen(command_line.c_str(), "r")) {
        char buffer[4096];
        size_t got = 0;
        while ((got = fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
            output.append(buffer, got);
        }
        pclose(pipe);
    }
    return output;
}

}  // namespace berth::gdb::testing
