// Hexadecimal text, the GDB Remote Serial Protocol's way of carrying numbers
// and bytes. Every parser here takes text straight from the network: it
// checks each digit and the length, and answers nullopt instead of guessing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace berth::gdb {

// Two lower-case digits per byte, in memory order: {0x12, 0xab} -> "12ab".
std::string to_hex(std::span<const uint8_t> bytes);

// The reverse; nullopt for an odd length or a character that is not a digit.
std::optional<std::vector<uint8_t>> from_hex(std::string_view text);

// A number as the protocol writes addresses, lengths and thread ids: big-endian
// hex digits, no prefix, at least one digit, at most 16 (so it fits 64 bits).
std::optional<uint64_t> parse_hex_number(std::string_view text);

// The shortest digits for `value` ("0", "1f", "ffffffff81000000").
std::string hex_number(uint64_t value);

// Text as hex bytes, for replies such as qThreadExtraInfo ("vCPU 0" -> "7643505520 30").
std::string text_to_hex(std::string_view text);

}  // namespace berth::gdb
