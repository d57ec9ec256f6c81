#include "vmm/cli/device_options.h"

#include <linux/if.h>  // IFNAMSIZ
#include <linux/virtio_blk.h>

#include <charconv>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "vmm/common/error.h"

namespace berth::cli {
namespace {

// "a,b=c" -> {"a", "b=c"}. Empty parts are kept so that "x,,y" is refused.
std::vector<std::string_view> split_commas(std::string_view text) {
    std::vector<std::string_view> parts;
    for (;;) {
        const size_t comma = text.find(',');
        parts.push_back(text.substr(0, comma));
        if (comma == std::string_view::npos) {
            return parts;
        }
        text.remove_prefix(comma + 1);
    }
}

// "key=value" -> {"key", "value"}; "flag" -> {"flag", nullopt}.
struct KeyValue {
    std::string_view key;
    std::optional<std::string_view> value;
};

KeyValue split_key_value(std::string_view part) {
    const size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
        return {part, std::nullopt};
    }
    return {part.substr(0, equals), part.substr(equals + 1)};
}

bool parse_on_off(std::string_view value, bool& out) {
    if (value == "on" || value == "true" || value == "yes") {
        out = true;
        return true;
    }
    if (value == "off" || value == "false" || value == "no") {
        out = false;
        return true;
    }
    return false;
}

// "52:54:00:12:34:56": six two-digit hex bytes. The address must be unicast
// (bit 0 of the first byte clear): a guest NIC with a multicast address
// would receive nothing addressed to it.
std::optional<std::array<uint8_t, 6>> parse_mac(std::string_view text) {
    std::array<uint8_t, 6> mac{};
    if (text.size() != 17) {
        return std::nullopt;
    }
    for (size_t i = 0; i < mac.size(); ++i) {
        const std::string_view byte = text.substr(i * 3, 2);
        if (i > 0 && text[i * 3 - 1] != ':') {
            return std::nullopt;
        }
        auto [end, error] = std::from_chars(byte.data(), byte.data() + 2, mac[i], 16);
        if (error != std::errc() || end != byte.data() + 2) {
            return std::nullopt;
        }
    }
    if (mac[0] & 1) {
        return std::nullopt;
    }
    return mac;
}

}  // namespace

DiskConfig parse_disk_option(std::string_view text) {
    const std::vector<std::string_view> parts = split_commas(text);
    DiskConfig disk;
    disk.path = std::string(parts[0]);
    if (disk.path.empty()) {
        throw UserError(
            fmt::format("--disk '{}': no image path; write --disk PATH[,ro][,serial=ID]", text));
    }
    for (size_t i = 1; i < parts.size(); ++i) {
        const auto [key, value] = split_key_value(parts[i]);
        if (key == "ro" && !value) {
            disk.read_only = true;
        } else if (key == "ro" || key == "readonly") {
            if (!value || !parse_on_off(*value, disk.read_only)) {
                throw UserError(
                    fmt::format("--disk {}: '{}' must be ro or ro=on|off", text, parts[i]));
            }
        } else if (key == "serial" && value) {
            // GET_ID answers with at most 20 bytes (VIRTIO_BLK_ID_BYTES).
            if (value->empty() || value->size() > VIRTIO_BLK_ID_BYTES) {
                throw UserError(fmt::format("--disk {}: serial must be 1 to {} characters", text,
                                            VIRTIO_BLK_ID_BYTES));
            }
            disk.serial = std::string(*value);
        } else if (key == "direct" && value && parse_on_off(*value, disk.direct)) {
            // parsed
        } else {
            throw UserError(fmt::format(
                "--disk {}: unknown setting '{}'; accepted: ro, serial=ID, direct=on|off", text,
                parts[i]));
        }
    }
    return disk;
}

NetConfig parse_net_option(std::string_view text) {
    NetConfig net;
    for (std::string_view part : split_commas(text)) {
        const auto [key, value] = split_key_value(part);
        if (key == "tap" && value) {
            // The kernel's interface names: 1 to IFNAMSIZ-1 bytes, no '/', ':'
            // or white space as isspace() has it (dev_valid_name()), so a
            // newline is refused here too, not only when the tap is opened.
            if (value->empty() || value->size() >= IFNAMSIZ ||
                value->find_first_of("/: \t\n\v\f\r") != std::string_view::npos || *value == "." ||
                *value == "..") {
                throw UserError(fmt::format(
                    "--net {}: '{}' is not a valid interface name (1 to {} characters, no '/', ':' "
                    "or white space)",
                    text, *value, IFNAMSIZ - 1));
            }
            net.tap_name = std::string(*value);
        } else if (key == "mac" && value) {
            net.mac = parse_mac(*value);
            if (!net.mac) {
                throw UserError(fmt::format(
                    "--net {}: mac '{}' is not a unicast address like 52:54:00:12:34:56", text,
                    *value));
            }
        } else {
            throw UserError(fmt::format(
                "--net {}: unknown setting '{}'; write --net tap=NAME[,mac=52:54:00:12:34:56]",
                text, part));
        }
    }
    if (net.tap_name.empty()) {
        throw UserError(fmt::format("--net {}: no tap; write --net tap=NAME", text));
    }
    return net;
}

ConsoleKind parse_console_option(std::string_view text) {
    if (text == "serial") {
        return ConsoleKind::kSerial;
    }
    if (text == "virtio") {
        return ConsoleKind::kVirtio;
    }
    throw UserError(fmt::format("--console {}: must be serial (ttyS0) or virtio (hvc0)", text));
}

}  // namespace berth::cli
