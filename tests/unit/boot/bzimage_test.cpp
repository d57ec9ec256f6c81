#include "vmm/boot/bzimage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "tests/unit/boot/fake_bzimage.h"
#include "vmm/common/error.h"

namespace berth::boot {
namespace {

using fake::fake_header;
using fake::make_bzimage;
using ::testing::AllOf;
using ::testing::HasSubstr;

// The message parse_bzimage refuses `file` with; fails the test if it accepts it.
std::string refusal(const std::vector<uint8_t>& file) {
    try {
        parse_bzimage(file);
    } catch (const UserError& error) {
        return error.what();
    }
    ADD_FAILURE() << "parse_bzimage accepted the image";
    return "";
}

TEST(BzImage, ParsesAValidImage) {
    const std::vector<uint8_t> file = make_bzimage(fake_header());
    const BzImage image = parse_bzimage(file);
    EXPECT_EQ(image.setup_sects, 4);
    EXPECT_EQ(image.version, 0x020f);
    EXPECT_EQ(image.loadflags, LOADED_HIGH);
    EXPECT_EQ(image.xloadflags, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G);
    EXPECT_TRUE(image.relocatable);
    EXPECT_EQ(image.kernel_alignment, 0x200000u);
    EXPECT_EQ(image.pref_address, 0x1000000u);
    EXPECT_EQ(image.init_size, 0x800000u);
    EXPECT_EQ(image.initrd_addr_max, 0x7fffffffu);
    EXPECT_EQ(image.cmdline_size, 2047u);

    EXPECT_EQ(image.payload_offset, 5u * 512);
    EXPECT_EQ(image.payload_size, fake::kFakePayloadSize);
    const auto payload = image.payload(file);
    ASSERT_EQ(payload.size(), fake::kFakePayloadSize);
    EXPECT_EQ(payload[0], fake::payload_byte(0));
    EXPECT_EQ(payload.back(), fake::payload_byte(fake::kFakePayloadSize - 1));

    // The header runs to 0x26c, which is all of struct setup_header.
    EXPECT_EQ(image.setup_header_length, sizeof(setup_header));
    EXPECT_TRUE(std::equal(image.setup_header_bytes.begin(), image.setup_header_bytes.end(),
                           file.begin() + 0x1f1));
}

TEST(BzImage, ZeroSetupSectsMeansFour) {
    setup_header header = fake_header();
    header.setup_sects = 0;
    const BzImage image = parse_bzimage(make_bzimage(header));
    EXPECT_EQ(image.setup_sects, 4);
    EXPECT_EQ(image.payload_offset, 5u * 512);
}

TEST(BzImage, LargerSetupMovesThePayload) {
    setup_header header = fake_header();
    header.setup_sects = 39;
    const std::vector<uint8_t> file = make_bzimage(header);
    const BzImage image = parse_bzimage(file);
    EXPECT_EQ(image.payload_offset, 40u * 512);
    EXPECT_EQ(image.payload(file)[0], fake::payload_byte(0));
}

TEST(BzImage, AnyTrailingBytesBelongToThePayload) {
    // Signed kernels carry a signature after the syssize * 16 bytes of code.
    const std::vector<uint8_t> file = make_bzimage(fake_header(), fake::kFakePayloadSize + 100);
    EXPECT_EQ(parse_bzimage(file).payload_size, fake::kFakePayloadSize + 100);
}

TEST(BzImage, CopiesOnlyTheHeaderTheKernelDeclares) {
    setup_header header = fake_header();
    header.jump = 0x62eb;  // header ends at 0x264, after init_size, before kernel_info_offset
    const std::vector<uint8_t> file = make_bzimage(header);
    const BzImage image = parse_bzimage(file);
    EXPECT_EQ(image.setup_header_length, 0x264u - 0x1f1);
    EXPECT_TRUE(std::equal(image.setup_header_bytes.begin(),
                           image.setup_header_bytes.begin() + 0x73, file.begin() + 0x1f1));
    setup_header copied;
    std::memcpy(&copied, image.setup_header_bytes.data(), sizeof(copied));
    EXPECT_EQ(copied.kernel_info_offset, 0u);  // 0x1234 in the file, but past the header's end
    EXPECT_EQ(copied.init_size, 0x800000u);
}

TEST(BzImage, RefusesAFileTooSmallForAHeader) {
    std::vector<uint8_t> file = make_bzimage(fake_header());
    file.resize(0x200);
    EXPECT_THAT(refusal(file), AllOf(HasSubstr("too small"), HasSubstr("setup header")));
}

TEST(BzImage, RefusesAMissingBootFlag) {
    setup_header header = fake_header();
    header.boot_flag = 0;
    EXPECT_THAT(refusal(make_bzimage(header)), HasSubstr("0xAA55"));
}

TEST(BzImage, RefusesAMissingHdrSMagic) {
    setup_header header = fake_header();
    header.header = 0x12345678;
    EXPECT_THAT(refusal(make_bzimage(header)),
                AllOf(HasSubstr("not a Linux bzImage"), HasSubstr("HdrS")));
}

TEST(BzImage, RefusesProtocolsOlderThan212) {
    setup_header header = fake_header();
    header.version = 0x020b;
    EXPECT_THAT(refusal(make_bzimage(header)), AllOf(HasSubstr("2.11"), HasSubstr("2.12")));
    header.version = 0x020c;
    EXPECT_NO_THROW(parse_bzimage(make_bzimage(header)));
}

TEST(BzImage, RefusesAKernelWithout64BitEntry) {
    setup_header header = fake_header();
    header.xloadflags = XLF_CAN_BE_LOADED_ABOVE_4G;
    EXPECT_THAT(refusal(make_bzimage(header)),
                AllOf(HasSubstr("64-bit entry point"), HasSubstr("XLF_KERNEL_64")));
}

TEST(BzImage, RefusesAKernelNotLoadedHigh) {
    setup_header header = fake_header();
    header.loadflags = 0;
    EXPECT_THAT(refusal(make_bzimage(header)), HasSubstr("LOADED_HIGH"));
}

TEST(BzImage, RefusesSetupSectorsBeyondTheFile) {
    setup_header header = fake_header();
    std::vector<uint8_t> file = make_bzimage(header);
    header.setup_sects = 100;  // 101 * 512 bytes, far more than the file holds
    std::memcpy(file.data() + 0x1f1, &header, sizeof(header));
    EXPECT_THAT(refusal(file), AllOf(HasSubstr("100 sectors"), HasSubstr("past the end")));
}

TEST(BzImage, RefusesATruncatedKernelAndSaysHowMuchIsMissing) {
    std::vector<uint8_t> file = make_bzimage(fake_header());
    file.resize(file.size() - 1000);
    EXPECT_THAT(refusal(file), AllOf(HasSubstr("truncated"), HasSubstr("1000 bytes")));
}

TEST(BzImage, RefusesAZeroInitSize) {
    setup_header header = fake_header();
    header.init_size = 0;
    EXPECT_THAT(refusal(make_bzimage(header)), HasSubstr("init_size"));
}

TEST(BzImage, RefusesARelocatableKernelWithABadAlignment) {
    setup_header header = fake_header();
    header.kernel_alignment = 0x300000;
    EXPECT_THAT(refusal(make_bzimage(header)), HasSubstr("power of two"));
    header.relocatable_kernel = 0;  // then the alignment is not used
    EXPECT_NO_THROW(parse_bzimage(make_bzimage(header)));
}

TEST(BzImage, PayloadRefusesAnotherFile) {
    const std::vector<uint8_t> file = make_bzimage(fake_header());
    const BzImage image = parse_bzimage(file);
    const std::vector<uint8_t> shorter(file.begin(), file.end() - 1);
    EXPECT_THROW(image.payload(shorter), std::invalid_argument);
}

}  // namespace
}  // namespace berth::boot
