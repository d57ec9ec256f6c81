#include "vmm/console/escape_filter.h"

#include <gtest/gtest.h>

#include <string>

namespace berth::console {
namespace {

std::string run(EscapeFilter& filter, const std::string& input, bool* quit = nullptr) {
    std::vector<uint8_t> out;
    bool q =
        filter.feed(std::span(reinterpret_cast<const uint8_t*>(input.data()), input.size()), out);
    if (quit != nullptr) {
        *quit = q;
    }
    return std::string(out.begin(), out.end());
}

TEST(EscapeFilter, PlainBytesPassThrough) {
    EscapeFilter filter;
    bool quit = true;
    EXPECT_EQ(run(filter, "echo hi\r", &quit), "echo hi\r");
    EXPECT_FALSE(quit);
}

TEST(EscapeFilter, CtrlAThenXQuitsAndDropsTheRest) {
    EscapeFilter filter;
    bool quit = false;
    EXPECT_EQ(run(filter, "ab\x01xcd", &quit), "ab");
    EXPECT_TRUE(quit);
}

TEST(EscapeFilter, DoubleCtrlASendsOne) {
    EscapeFilter filter;
    EXPECT_EQ(run(filter, "\x01\x01z"), "\x01z");
}

TEST(EscapeFilter, CtrlAThenOtherSendsBoth) {
    EscapeFilter filter;
    EXPECT_EQ(run(filter, "\x01q"), "\x01q");
}

TEST(EscapeFilter, SequenceMaySpanReads) {
    EscapeFilter filter;
    bool quit = false;
    EXPECT_EQ(run(filter, "a\x01", &quit), "a");
    EXPECT_FALSE(quit);
    EXPECT_EQ(run(filter, "x", &quit), "");
    EXPECT_TRUE(quit);
}

}  // namespace
}  // namespace berth::console
