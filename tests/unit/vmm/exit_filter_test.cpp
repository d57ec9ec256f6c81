#include "vmm/trace/exit_filter.h"

#include <gtest/gtest.h>

#include "vmm/common/error.h"

namespace berth::trace {
namespace {

ExitEvent io(uint64_t port, std::string_view device = "uart-16550") {
    return {.reason = ExitReason::kIo, .address = port, .size = 1, .device = device};
}

ExitEvent mmio(uint64_t address, std::string_view device = "boot-marker") {
    return {.reason = ExitReason::kMmio, .address = address, .size = 4, .device = device};
}

ExitEvent other(ExitReason reason) {
    return {.reason = reason};
}

// The error message of parsing `text`, or "" when it parses.
std::string refusal(std::string_view text) {
    try {
        ExitFilter::parse(text);
        return "";
    } catch (const UserError& error) {
        return error.what();
    }
}

TEST(ExitFilter, EmptyFilterShowsEverything) {
    const ExitFilter filter = ExitFilter::parse("");
    EXPECT_TRUE(filter.matches(io(0x3f8)));
    EXPECT_TRUE(filter.matches(mmio(0xd0000000)));
    EXPECT_TRUE(filter.matches(other(ExitReason::kIntr)));
    EXPECT_TRUE(filter.matches(other(ExitReason::kSystemEvent)));
}

TEST(ExitFilter, ParsesEveryReasonName) {
    for (size_t i = 0; i < kExitReasonCount; ++i) {
        const auto reason = static_cast<ExitReason>(i);
        const ExitFilter filter = ExitFilter::parse(exit_reason_name(reason));
        EXPECT_EQ(filter.reasons().count(), 1u);
        EXPECT_TRUE(filter.reasons().test(i)) << exit_reason_name(reason);
    }
}

TEST(ExitFilter, ReasonsAreOred) {
    const ExitFilter filter = ExitFilter::parse("hlt,system-event,shutdown");
    EXPECT_TRUE(filter.matches(other(ExitReason::kHlt)));
    EXPECT_TRUE(filter.matches(other(ExitReason::kSystemEvent)));
    EXPECT_TRUE(filter.matches(other(ExitReason::kShutdown)));
    EXPECT_FALSE(filter.matches(io(0x3f8)));
    EXPECT_FALSE(filter.matches(other(ExitReason::kIntr)));
}

TEST(ExitFilter, PortRangesAreInclusive) {
    const ExitFilter filter = ExitFilter::parse("port=0x3f8-0x3ff");
    ASSERT_EQ(filter.ports().size(), 1u);
    EXPECT_EQ(filter.ports()[0], (ExitFilter::Range{0x3f8, 0x3ff}));
    EXPECT_FALSE(filter.matches(io(0x3f7)));
    EXPECT_TRUE(filter.matches(io(0x3f8)));
    EXPECT_TRUE(filter.matches(io(0x3ff)));
    EXPECT_FALSE(filter.matches(io(0x400)));
    // A location only ever matches accesses of its own kind.
    EXPECT_FALSE(filter.matches(mmio(0x3f8)));
    EXPECT_FALSE(filter.matches(other(ExitReason::kHlt)));
}

TEST(ExitFilter, SinglePortAndDecimal) {
    const ExitFilter filter = ExitFilter::parse("port=233");
    EXPECT_EQ(filter.ports()[0], (ExitFilter::Range{0xe9, 0xe9}));
    EXPECT_TRUE(filter.matches(io(0xe9)));
    EXPECT_FALSE(filter.matches(io(0xea)));
}

TEST(ExitFilter, PortsAndAddressesAreOneKindAndOred) {
    const ExitFilter filter = ExitFilter::parse("port=0x3f8,addr=0xd0000000-0xd0000fff");
    EXPECT_TRUE(filter.matches(io(0x3f8)));
    EXPECT_TRUE(filter.matches(mmio(0xd0000000)));
    EXPECT_TRUE(filter.matches(mmio(0xd0000fff)));
    EXPECT_FALSE(filter.matches(mmio(0xd0001000)));
    EXPECT_FALSE(filter.matches(io(0x3f9)));
}

TEST(ExitFilter, DifferentKindsAreAnded) {
    const ExitFilter filter = ExitFilter::parse("io,port=0x3f8-0x3ff,device=uart-16550");
    EXPECT_TRUE(filter.matches(io(0x3fd)));
    EXPECT_FALSE(filter.matches(io(0x3fd, "unhandled")));  // device differs
    EXPECT_FALSE(filter.matches(io(0x70, "uart-16550")));  // port differs
    // mmio is not among the reasons, whatever the address.
    const ExitFilter io_only = ExitFilter::parse("io,addr=0xd0000000");
    EXPECT_FALSE(io_only.matches(mmio(0xd0000000)));
}

TEST(ExitFilter, DevicesAreOredAndMatchUnhandled) {
    const ExitFilter filter = ExitFilter::parse("device=cmos-rtc,device=unhandled");
    EXPECT_TRUE(filter.matches(io(0x70, "cmos-rtc")));
    EXPECT_TRUE(filter.matches(io(0x80, "unhandled")));
    EXPECT_TRUE(filter.matches(mmio(0xfee00000, "unhandled")));
    EXPECT_FALSE(filter.matches(io(0x3f8, "uart-16550")));
    EXPECT_FALSE(filter.matches(other(ExitReason::kIntr)));  // has no device
}

TEST(ExitFilter, AddressesTakeFull64Bits) {
    const ExitFilter filter = ExitFilter::parse("addr=0xfffffffffffff000-0xffffffffffffffff");
    EXPECT_TRUE(filter.matches(mmio(0xffffffffffffffff)));
}

TEST(ExitFilter, RefusesUnknownTerms) {
    const std::string message = refusal("io,frobnicate");
    EXPECT_NE(message.find("--trace-exits"), std::string::npos) << message;
    EXPECT_NE(message.find("unknown term 'frobnicate'"), std::string::npos) << message;
    EXPECT_NE(message.find("port=A[-B]"), std::string::npos) << message;  // says what works
    EXPECT_NE(refusal("IO").find("unknown term 'IO'"), std::string::npos);
    EXPECT_NE(refusal("ports=0x3f8").find("unknown term 'ports=0x3f8'"), std::string::npos);
    EXPECT_NE(refusal("io=1").find("unknown term"), std::string::npos);
}

TEST(ExitFilter, RefusesEmptyTerms) {
    for (const char* text : {",", "io,", ",io", "io,,mmio"}) {
        EXPECT_NE(refusal(text).find("empty term"), std::string::npos) << text;
    }
}

TEST(ExitFilter, RefusesBadNumbers) {
    for (const char* text : {"port=", "port=0x", "port=0x3g8", "port=-5", "port=1-", "port=-1",
                             "addr=d0000000", "addr=0xd0000000-", "port=1.5", "port= 5"}) {
        EXPECT_NE(refusal(text).find("is not a number"), std::string::npos) << text;
    }
}

TEST(ExitFilter, RefusesReversedRangesAndPortsPastFfff) {
    EXPECT_NE(refusal("port=0x3ff-0x3f8").find("ends before it starts"), std::string::npos);
    EXPECT_NE(refusal("port=0x10000").find("0xffff"), std::string::npos);
    EXPECT_NE(refusal("port=0xfff0-0x10000").find("0xffff"), std::string::npos);
    EXPECT_EQ(refusal("port=0xffff"), "");
    EXPECT_NE(refusal("addr=0x1ffffffffffffffff").find("is not a number"),
              std::string::npos);  // does not fit 64 bits
}

TEST(ExitFilter, RefusesDeviceWithoutName) {
    EXPECT_NE(refusal("device=").find("needs a name"), std::string::npos);
}

TEST(ExitFilter, ErrorsAreOneLine) {
    for (const char* text : {"bogus", "port=x", "port=9-1", "device=", "io,,"}) {
        const std::string message = refusal(text);
        ASSERT_FALSE(message.empty()) << text;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

}  // namespace
}  // namespace berth::trace
