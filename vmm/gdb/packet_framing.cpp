#include "vmm/gdb/packet_framing.h"

#include "vmm/gdb/hex.h"

namespace berth::gdb {
namespace {

constexpr char kEscape = '}';
constexpr uint8_t kEscapeXor = 0x20;
constexpr uint8_t kInterruptByte = 0x03;

bool needs_escape(char c) {
    return c == '#' || c == '$' || c == '}' || c == '*';
}

std::optional<uint8_t> hex_digit(uint8_t byte) {
    const auto value = parse_hex_number(std::string_view(reinterpret_cast<const char*>(&byte), 1));
    if (!value) {
        return std::nullopt;
    }
    return static_cast<uint8_t>(*value);
}

}  // namespace

uint8_t packet_checksum(std::string_view payload) {
    uint8_t sum = 0;
    for (char c : payload) {
        sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
    }
    return sum;
}

std::string frame_packet(std::string_view payload) {
    const uint8_t sum = packet_checksum(payload);
    const std::string digits = to_hex(std::span(&sum, 1));
    std::string packet;
    packet.reserve(payload.size() + 4);
    packet += '$';
    packet += payload;
    packet += '#';
    packet += digits;
    return packet;
}

std::string escape_binary(std::string_view data) {
    std::string escaped;
    escaped.reserve(data.size());
    for (char c : data) {
        if (needs_escape(c)) {
            escaped += kEscape;
            escaped += static_cast<char>(c ^ kEscapeXor);
        } else {
            escaped += c;
        }
    }
    return escaped;
}

std::optional<std::string> unescape_binary(std::string_view data) {
    std::string plain;
    plain.reserve(data.size());
    for (size_t i = 0; i < data.size(); ++i) {
        if (data[i] != kEscape) {
            plain += data[i];
            continue;
        }
        if (++i == data.size()) {
            return std::nullopt;
        }
        plain += static_cast<char>(data[i] ^ kEscapeXor);
    }
    return plain;
}

void PacketReader::start_packet() {
    state_ = State::kPayload;
    payload_.clear();
    sum_ = 0;
    too_long_ = false;
    bad_digit_ = false;
}

std::optional<ReaderEvent> PacketReader::feed(uint8_t byte) {
    switch (state_) {
        case State::kIdle:
            // Between packets only these bytes mean something; line noise is skipped.
            if (byte == '$') {
                start_packet();
            } else if (byte == kInterruptByte) {
                return ReaderEvent{ReaderEvent::Kind::kInterrupt, {}};
            } else if (byte == '+') {
                return ReaderEvent{ReaderEvent::Kind::kAck, {}};
            } else if (byte == '-') {
                return ReaderEvent{ReaderEvent::Kind::kNack, {}};
            }
            return std::nullopt;
        case State::kPayload:
            if (byte == '#') {
                state_ = State::kChecksumHigh;
            } else if (byte == '$') {
                start_packet();  // the last packet was cut short: resynchronise on this one
            } else {
                // Escapes stay in the payload (the checksum covers them);
                // only the packets that carry binary data undo them.
                sum_ = static_cast<uint8_t>(sum_ + byte);
                if (payload_.size() < kMaxPacketSize) {
                    payload_ += static_cast<char>(byte);
                } else {
                    too_long_ = true;  // keep counting to the '#', keep nothing more
                }
            }
            return std::nullopt;
        case State::kChecksumHigh: {
            const auto digit = hex_digit(byte);
            bad_digit_ = !digit;
            received_checksum_ = static_cast<uint8_t>(digit.value_or(0) << 4);
            state_ = State::kChecksumLow;
            return std::nullopt;
        }
        case State::kChecksumLow: {
            const auto digit = hex_digit(byte);
            state_ = State::kIdle;
            received_checksum_ = static_cast<uint8_t>(received_checksum_ | digit.value_or(0));
            if (!digit || bad_digit_ || too_long_ || received_checksum_ != sum_) {
                payload_.clear();
                return ReaderEvent{ReaderEvent::Kind::kBadPacket, {}};
            }
            return ReaderEvent{ReaderEvent::Kind::kPacket, std::move(payload_)};
        }
    }
    return std::nullopt;
}

}  // namespace berth::gdb
