#include "vmm/gdb/listen_address.h"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

namespace berth::gdb {
namespace {

std::optional<uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > 65535) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(value);
}

}  // namespace

std::string ListenAddress::to_string() const {
    return fmt::format("{}.{}.{}.{}:{}", ipv4 >> 24, (ipv4 >> 16) & 0xff, (ipv4 >> 8) & 0xff,
                       ipv4 & 0xff, port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
    ListenAddress address;
    const size_t colon = text.rfind(':');
    if (colon != std::string_view::npos) {
        const std::string host(text.substr(0, colon));
        in_addr parsed{};
        if (inet_pton(AF_INET, host.c_str(), &parsed) != 1) {
            return std::nullopt;
        }
        address.ipv4 = ntohl(parsed.s_addr);
        text = text.substr(colon + 1);
    }
    const auto port = parse_port(text);
    if (!port) {
        return std::nullopt;
    }
    address.port = *port;
    return address;
}

}  // namespace berth::gdb
