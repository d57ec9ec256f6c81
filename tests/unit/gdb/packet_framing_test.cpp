#include "vmm/gdb/packet_framing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace berth::gdb {
namespace {

std::vector<ReaderEvent> feed_all(PacketReader& reader, std::string_view bytes) {
    std::vector<ReaderEvent> events;
    for (char c : bytes) {
        if (auto event = reader.feed(static_cast<uint8_t>(c))) {
            events.push_back(std::move(*event));
        }
    }
    return events;
}

TEST(GdbPacketFraming, ChecksumIsTheByteSumModulo256) {
    EXPECT_EQ(packet_checksum(""), 0);
    EXPECT_EQ(packet_checksum("OK"), 0x9a);  // 'O' 0x4f + 'K' 0x4b
    EXPECT_EQ(frame_packet("OK"), "$OK#9a");
    EXPECT_EQ(frame_packet(""), "$#00");
    EXPECT_EQ(packet_checksum(std::string(300, '\xff')), static_cast<uint8_t>(300 * 0xff));
}

TEST(GdbPacketFraming, ReadsAPacketWithAGoodChecksum) {
    PacketReader reader;
    const auto events = feed_all(reader, "$qSupported#37");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, ReaderEvent::Kind::kPacket);
    EXPECT_EQ(events[0].payload, "qSupported");
}

TEST(GdbPacketFraming, ChecksumDigitsMayBeUpperCase) {
    PacketReader reader;
    const auto events = feed_all(reader, "$OK#9A");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, ReaderEvent::Kind::kPacket);
}

TEST(GdbPacketFraming, AWrongChecksumIsABadPacketAndTheNextOneStillReads) {
    PacketReader reader;
    const auto events = feed_all(reader, "$g#00$g#67");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].kind, ReaderEvent::Kind::kBadPacket);
    EXPECT_EQ(events[1].kind, ReaderEvent::Kind::kPacket);
    EXPECT_EQ(events[1].payload, "g");
}

TEST(GdbPacketFraming, NonHexChecksumDigitsAreABadPacket) {
    PacketReader reader;
    for (std::string_view bad : {"$g#zz", "$g#6z", "$g#z7"}) {
        const auto events = feed_all(reader, bad);
        ASSERT_EQ(events.size(), 1u) << bad;
        EXPECT_EQ(events[0].kind, ReaderEvent::Kind::kBadPacket) << bad;
    }
}

TEST(GdbPacketFraming, AcksNacksAndInterruptBetweenPackets) {
    PacketReader reader;
    const auto events = feed_all(reader, "+-\x03garbage\n");
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].kind, ReaderEvent::Kind::kAck);
    EXPECT_EQ(events[1].kind, ReaderEvent::Kind::kNack);
    EXPECT_EQ(events[2].kind, ReaderEvent::Kind::kInterrupt);
}

TEST(GdbPacketFraming, A0x03InsideAPacketIsData) {
    PacketReader reader;
    const std::string payload = "X1000,1:\x03";
    const auto events = feed_all(reader, frame_packet(payload));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].payload, payload);
}

TEST(GdbPacketFraming, ADollarMidPacketStartsAgain) {
    PacketReader reader;
    const auto events = feed_all(reader, "$g$m0,1#fa");
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].payload, "m0,1");
}

TEST(GdbPacketFraming, AnOverlongPacketIsRejectedWithoutBufferingIt) {
    PacketReader reader;
    const std::string payload(kMaxPacketSize + 1, 'a');
    const auto events = feed_all(reader, frame_packet(payload));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, ReaderEvent::Kind::kBadPacket);
    // The longest allowed one still reads.
    const auto fits = feed_all(reader, frame_packet(std::string(kMaxPacketSize, 'a')));
    ASSERT_EQ(fits.size(), 1u);
    EXPECT_EQ(fits[0].kind, ReaderEvent::Kind::kPacket);
}

TEST(GdbPacketFraming, EscapesTheFourSpecialBytes) {
    EXPECT_EQ(escape_binary("a#b$c}d*e"),
              "a}\x03"
              "b}\x04"
              "c}]d}\x0a"
              "e");
    EXPECT_EQ(unescape_binary(escape_binary("a#b$c}d*e")), "a#b$c}d*e");
    const std::string all_bytes = [] {
        std::string bytes;
        for (int i = 0; i < 256; ++i) {
            bytes += static_cast<char>(i);
        }
        return bytes;
    }();
    const std::string escaped = escape_binary(all_bytes);
    EXPECT_EQ(escaped.find_first_of("#$*"), std::string::npos);
    EXPECT_EQ(unescape_binary(escaped), all_bytes);
}

TEST(GdbPacketFraming, ALoneEscapeAtTheEndIsMalformed) {
    EXPECT_FALSE(unescape_binary("abc}"));
}

TEST(GdbPacketFraming, EscapedBinaryPassesThroughTheReaderIntact) {
    PacketReader reader;
    const std::string payload = "X10,4:" + escape_binary("#$}*");
    const auto events = feed_all(reader, frame_packet(payload));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].kind, ReaderEvent::Kind::kPacket);
    EXPECT_EQ(events[0].payload, payload);
}

TEST(GdbPacketFraming, SurvivesRandomBytes) {
    PacketReader reader;
    uint32_t state = 12345;
    for (int i = 0; i < 200000; ++i) {
        state = state * 1103515245 + 12345;
        if (auto event = reader.feed(static_cast<uint8_t>(state >> 16))) {
            EXPECT_LE(event->payload.size(), kMaxPacketSize);
        }
    }
    // And it still reads a good packet afterwards (a '#' first ends any packet left open).
    feed_all(reader, "#00");
    const auto events = feed_all(reader, "$g#67");
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().payload, "g");
}

}  // namespace
}  // namespace berth::gdb
