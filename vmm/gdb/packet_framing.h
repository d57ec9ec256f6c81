// Framing of the GDB Remote Serial Protocol ("Overview" in gdb's manual):
//
//   $<payload>#<two hex digits>    a packet; the digits are the sum of the
//                                  payload's bytes modulo 256
//   +  /  -                        the receiver's ack / "resend that, please"
//   0x03 (outside a packet)        Ctrl-C: the user wants the target stopped
//
// Binary data inside a payload (the X packet, qXfer replies) escapes the
// bytes that have a meaning here: '#', '$', '}' and '*' are sent as '}'
// followed by the byte XOR 0x20. The checksum covers the escaped bytes.
//
// PacketReader is the receiving side. The peer is a user's tool, but the
// bytes still come from a socket: the reader takes any byte sequence, bounds
// what it buffers, and turns anything malformed into kBadPacket (answered
// with '-') instead of trusting it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::gdb {

// The largest payload Berth accepts and sends (advertised as PacketSize).
inline constexpr size_t kMaxPacketSize = 4096;

uint8_t packet_checksum(std::string_view payload);

// "$payload#cs". The payload must already be safe: hex and ASCII as replies
// are, or binary data passed through escape_binary.
std::string frame_packet(std::string_view payload);

std::string escape_binary(std::string_view data);
// nullopt when the data ends in a lone '}'.
std::optional<std::string> unescape_binary(std::string_view data);

struct ReaderEvent {
    enum class Kind {
        kPacket,     // a whole packet with a good checksum: `payload` (still escaped)
        kBadPacket,  // bad checksum digits, wrong sum, or too long: ask for it again
        kInterrupt,  // Ctrl-C
        kAck,
        kNack,
    };
    Kind kind;
    std::string payload;
};

class PacketReader {
public:
    // Feeds one received byte; returns an event when that byte completes one.
    std::optional<ReaderEvent> feed(uint8_t byte);

private:
    enum class State { kIdle, kPayload, kChecksumHigh, kChecksumLow };

    void start_packet();

    State state_ = State::kIdle;
    std::string payload_;
    uint8_t sum_ = 0;
    bool too_long_ = false;
    uint8_t received_checksum_ = 0;
    bool bad_digit_ = false;
};

}  // namespace berth::gdb
