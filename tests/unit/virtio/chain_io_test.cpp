// ChainReader and ChainWriter: a chain's buffers as byte streams, whatever
// the driver's split into descriptors (virtio 1.2 §2.7.4).
#include "devices/virtio/queue/chain_io.h"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tests/unit/virtio/fake_driver.h"

namespace berth::virtio {
namespace {

using testing::expect_chain;
using testing::FakeDriver;
using testing::readable;
using testing::writable;

class VirtioChainIo : public ::testing::Test {
protected:
    VirtioChainIo() : driver_(16), queue_(16) { driver_.configure(queue_); }

    DescriptorChain offer(const std::vector<testing::BufferSpec>& buffers) {
        driver_.offer(buffers);
        return expect_chain(queue_.pop(driver_.memory()));
    }
    std::string guest_text(const Descriptor& buffer) const {
        const auto bytes = driver_.read_bytes(buffer.address, buffer.length);
        return std::string(bytes.begin(), bytes.end());
    }

    FakeDriver driver_;
    SplitQueue queue_;
};

TEST_F(VirtioChainIo, ReadsAcrossBufferBoundaries) {
    const DescriptorChain chain = offer({readable("he"), readable("llo "), readable("world")});
    ChainReader reader(driver_.memory(), chain);
    EXPECT_EQ(reader.remaining(), 11u);
    std::array<uint8_t, 7> first{};
    ASSERT_TRUE(reader.read(first));  // "he" + "llo " + "w"
    EXPECT_EQ(std::string(first.begin(), first.end()), "hello w");
    EXPECT_EQ(reader.bytes_read(), 7u);
    std::array<uint8_t, 4> rest{};
    ASSERT_TRUE(reader.read(rest));
    EXPECT_EQ(std::string(rest.begin(), rest.end()), "orld");
    EXPECT_EQ(reader.remaining(), 0u);
}

TEST_F(VirtioChainIo, ReadsAStructSplitOverBuffers) {
    const DescriptorChain chain =
        offer({readable(std::vector<uint8_t>{0x78}), readable(std::vector<uint8_t>{0x56, 0x34}),
               readable(std::vector<uint8_t>{0x12, 0xff})});
    ChainReader reader(driver_.memory(), chain);
    EXPECT_EQ(reader.read_obj<uint32_t>(), 0x12345678u);
    EXPECT_EQ(reader.read_obj<uint8_t>(), 0xff);
    EXPECT_FALSE(reader.read_obj<uint8_t>().has_value());
}

TEST_F(VirtioChainIo, AShortReadReadsNothing) {
    const DescriptorChain chain = offer({readable("abc"), readable("de")});
    ChainReader reader(driver_.memory(), chain);
    std::array<uint8_t, 6> too_much{};
    EXPECT_FALSE(reader.read(too_much));
    EXPECT_EQ(reader.remaining(), 5u);
    EXPECT_FALSE(reader.skip(6));
    ASSERT_TRUE(reader.skip(4));
    EXPECT_EQ(reader.read_obj<char>(), 'e');
}

TEST_F(VirtioChainIo, ReaderSeesOnlyTheReadableBuffers) {
    const DescriptorChain chain = offer({readable("in"), writable(100)});
    ChainReader reader(driver_.memory(), chain);
    EXPECT_EQ(reader.remaining(), 2u);
}

TEST_F(VirtioChainIo, SkipsEmptyBuffers) {
    const DescriptorChain chain = offer({readable(""), readable("a"), readable(""), readable("b")});
    ChainReader reader(driver_.memory(), chain);
    std::array<uint8_t, 2> both{};
    ASSERT_TRUE(reader.read(both));
    EXPECT_EQ(both[0], 'a');
    EXPECT_EQ(both[1], 'b');
}

TEST_F(VirtioChainIo, ReaderSlicesAreTheGuestBuffersThemselves) {
    const DescriptorChain chain = offer({readable("0123"), readable("4567")});
    ChainReader reader(driver_.memory(), chain);
    ASSERT_TRUE(reader.skip(1));
    const auto slices = reader.take_slices(5);
    ASSERT_TRUE(slices.has_value());
    ASSERT_EQ(slices->size(), 2u);
    EXPECT_EQ(std::string((*slices)[0].begin(), (*slices)[0].end()), "123");
    EXPECT_EQ(std::string((*slices)[1].begin(), (*slices)[1].end()), "45");
    // They are views of guest memory, not copies.
    const auto host = driver_.memory().slice(chain.descriptors()[1].address, 1);
    EXPECT_EQ((*slices)[1].data(), host->data());
    EXPECT_EQ(reader.remaining(), 2u);
    EXPECT_FALSE(reader.take_slices(3).has_value());
}

TEST_F(VirtioChainIo, WritesAcrossWritableBuffersAndCountsBytes) {
    const DescriptorChain chain = offer({readable("request"), writable(3), writable(5)});
    ChainWriter writer(driver_.memory(), chain);
    EXPECT_EQ(writer.remaining(), 8u);
    const std::string reply = "abcdef";
    ASSERT_TRUE(writer.write(std::span(reinterpret_cast<const uint8_t*>(reply.data()), 6)));
    EXPECT_EQ(writer.bytes_written(), 6u);
    ASSERT_TRUE(writer.write_obj(uint16_t{0x6867}));  // "gh", little-endian
    EXPECT_EQ(writer.bytes_written(), 8u);
    EXPECT_FALSE(writer.write_obj(uint8_t{0}));  // full
    EXPECT_EQ(writer.bytes_written(), 8u);

    EXPECT_EQ(guest_text(chain.writable()[0]), "abc");
    EXPECT_EQ(guest_text(chain.writable()[1]), "defgh");
    EXPECT_EQ(guest_text(chain.readable()[0]), "request");  // never written
}

TEST_F(VirtioChainIo, AShortWriteWritesNothing) {
    const DescriptorChain chain = offer({writable(2), writable(2)});
    ChainWriter writer(driver_.memory(), chain);
    ASSERT_TRUE(writer.write_obj(uint8_t{'x'}));
    EXPECT_FALSE(writer.write_obj(uint32_t{0x41414141}));
    EXPECT_EQ(writer.bytes_written(), 1u);
    EXPECT_EQ(driver_.read_bytes(chain.writable()[0].address, 2)[1], 0);
    EXPECT_EQ(driver_.read_bytes(chain.writable()[1].address, 2), (std::vector<uint8_t>{0, 0}));
}

TEST_F(VirtioChainIo, WriterSlicesCountAsWritten) {
    // The shape of a virtio-blk read: data buffers, then a status byte.
    const DescriptorChain chain =
        offer({readable("hdr"), writable(512), writable(512), writable(1)});
    ChainWriter writer(driver_.memory(), chain);
    const auto data = writer.take_slices(1024);
    ASSERT_TRUE(data.has_value());
    ASSERT_EQ(data->size(), 2u);
    EXPECT_EQ((*data)[0].size(), 512u);
    (*data)[1][511] = 'z';
    EXPECT_EQ(writer.bytes_written(), 1024u);
    ASSERT_TRUE(writer.write_obj(uint8_t{0}));
    EXPECT_EQ(writer.bytes_written(), 1025u);
    EXPECT_EQ(driver_.read_bytes(chain.writable()[1].address, 512)[511], 'z');
}

}  // namespace
}  // namespace berth::virtio
