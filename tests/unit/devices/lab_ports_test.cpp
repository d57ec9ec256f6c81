#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "devices/bus.h"
#include "devices/lab/debug_console.h"
#include "devices/lab/exit_port.h"
#include "devices/legacy/post_code_port.h"
#include "tests/unit/devices/fake_irq_line.h"
#include "vmm/layout.h"

namespace berth::devices {
namespace {

using testing::read8;
using testing::write8;

class DebugConsoleTest : public ::testing::Test {
protected:
    std::string output_;
    DebugConsole console_{[this](uint8_t byte) { output_.push_back(static_cast<char>(byte)); }};
};

TEST_F(DebugConsoleTest, PassesEachByteOnInOrder) {
    for (char c : std::string("Hi!\n\0\xff", 6)) {
        write8(console_, 0, static_cast<uint8_t>(c));
    }
    EXPECT_EQ(output_, std::string("Hi!\n\0\xff", 6));
}

TEST_F(DebugConsoleTest, ReadsBackTheDetectionValue) {
    EXPECT_EQ(read8(console_, 0), 0xe9);
    uint8_t wide[4] = {};
    console_.read(0, wide);
    EXPECT_EQ(wide[0], 0xe9);
    EXPECT_EQ(wide[1], 0xff);
    EXPECT_EQ(wide[3], 0xff);
    EXPECT_TRUE(output_.empty());
}

TEST_F(DebugConsoleTest, AWiderWritePassesItsLowByteOnly) {
    const uint8_t word[2] = {'A', 'B'};
    console_.write(0, word);
    const uint8_t dword[4] = {'C', 0, 0, 0};
    console_.write(0, dword);
    console_.write(0, std::span<const uint8_t>());
    EXPECT_EQ(output_, "AC");
}

TEST(DebugConsole, NeedsACallback) {
    EXPECT_THROW(DebugConsole(nullptr), std::invalid_argument);
    EXPECT_EQ(DebugConsole([](uint8_t) {}).name(), "debug-console");
}

class ExitPortTest : public ::testing::Test {
protected:
    std::vector<int> exits_;
    ExitPort port_{[this](uint8_t value) { exits_.push_back(value); }};
};

TEST_F(ExitPortTest, PassesTheValueWrittenAsItIs) {
    for (uint8_t value : {0, 1, 3, 42, 255}) {
        write8(port_, 0, value);
    }
    EXPECT_EQ(exits_, (std::vector<int>{0, 1, 3, 42, 255}));
}

TEST_F(ExitPortTest, AWiderWritePassesItsLowByteOnly) {
    const uint8_t dword[4] = {7, 1, 2, 3};
    port_.write(0, dword);
    port_.write(0, std::span<const uint8_t>());
    EXPECT_EQ(exits_, std::vector<int>{7});
}

TEST_F(ExitPortTest, ReadsAllOnes) {
    EXPECT_EQ(read8(port_, 0), 0xff);
    uint8_t wide[2] = {};
    port_.read(0, wide);
    EXPECT_EQ(wide[0], 0xff);
    EXPECT_EQ(wide[1], 0xff);
    EXPECT_TRUE(exits_.empty());
}

TEST(ExitPort, NeedsACallback) {
    EXPECT_THROW(ExitPort(nullptr), std::invalid_argument);
    EXPECT_EQ(ExitPort([](uint8_t) {}).name(), "exit-port");
}

// On an I/O bus as the wiring registers them (one port each, beside every
// port range Berth uses; Bus::insert throws on an overlap), byte accesses
// reach them and wider ones do not.
TEST(LabPortsOnTheBus, OnePortEachBesideTheOtherDevices) {
    std::string output;
    std::vector<int> exits;
    Bus bus("io");
    const std::pair<uint16_t, uint16_t> others[] = {
        {layout::kI8042DataPort, 1},
        {layout::kI8042CommandPort, 1},
        {layout::kRtcPortStart, 2},
        {layout::kPostCodePort, 1},
        {layout::kAcpiPmStart, layout::kAcpiPmSize},
        {layout::kCom1Port, 8},
        {layout::kPciConfigPortStart, layout::kPciConfigPortSize},
        {layout::kPciIoStart, layout::kPciIoSize}};
    for (auto [base, length] : others) {
        bus.insert(base, length, std::make_shared<PostCodePort>());
    }
    bus.insert(layout::kDebugConsolePort, 1, std::make_shared<DebugConsole>([&](uint8_t byte) {
                   output.push_back(static_cast<char>(byte));
               }));
    bus.insert(layout::kExitPort, 1,
               std::make_shared<ExitPort>([&](uint8_t value) { exits.push_back(value); }));

    const uint8_t byte = 'x';
    EXPECT_TRUE(bus.write(0xe9, std::span(&byte, 1)));
    EXPECT_TRUE(bus.write(0xf4, std::span(&byte, 1)));
    const uint8_t word[2] = {'y', 'z'};
    EXPECT_FALSE(bus.write(0xe9, word));
    uint8_t read_back = 0;
    EXPECT_TRUE(bus.read(0xe9, std::span(&read_back, 1)));
    EXPECT_EQ(read_back, 0xe9);
    EXPECT_EQ(output, "x");
    EXPECT_EQ(exits, std::vector<int>{'x'});
}

}  // namespace
}  // namespace berth::devices
