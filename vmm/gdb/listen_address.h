// Where the gdb stub listens: `--gdb PORT` is 127.0.0.1:PORT, reachable
// only from this machine (the stub can read and write all of the guest);
// `--gdb ADDRESS:PORT` names an IPv4 address, e.g. 0.0.0.0:1234 for every
// interface, when that is really wanted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::gdb {

struct ListenAddress {
    uint32_t ipv4 = 0x7f000001;  // host byte order; 127.0.0.1
    uint16_t port = 0;           // 0: any free port (tests)

    std::string to_string() const;  // "127.0.0.1:1234"
    bool operator==(const ListenAddress&) const = default;
};

// nullopt for anything else: a port outside 0-65535, a host name, IPv6, junk.
std::optional<ListenAddress> parse_listen_address(std::string_view text);

}  // namespace berth::gdb
