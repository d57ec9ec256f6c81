#include "devices/lab/calculator.h"

#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <thread>
#include <vector>

#include "devices/bus.h"
#include "devices/legacy/boot_marker.h"
#include "vmm/layout.h"

namespace berth::devices {
namespace {

using C = Calculator;
constexpr uint64_t kAllOnes = ~uint64_t{0};

// Guest accesses of every width, little-endian as a vCPU makes them.
template <size_t Width>
uint64_t read_n(BusDevice& device, uint64_t offset) {
    std::array<uint8_t, Width> bytes{};
    device.read(offset, bytes);
    uint64_t value = 0;
    for (size_t i = 0; i < Width; ++i) {
        value |= uint64_t{bytes[i]} << (8 * i);
    }
    return value;
}

template <size_t Width>
void write_n(BusDevice& device, uint64_t offset, uint64_t value) {
    std::array<uint8_t, Width> bytes{};
    for (size_t i = 0; i < Width; ++i) {
        bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    }
    device.write(offset, bytes);
}

uint64_t read64(BusDevice& device, uint64_t offset) {
    return read_n<8>(device, offset);
}
void write64(BusDevice& device, uint64_t offset, uint64_t value) {
    write_n<8>(device, offset, value);
}
uint64_t read32(BusDevice& device, uint64_t offset) {
    return read_n<4>(device, offset);
}
void write32(BusDevice& device, uint64_t offset, uint64_t value) {
    write_n<4>(device, offset, value);
}

// Every register, to check that an access changed nothing.
std::vector<uint64_t> all_registers(Calculator& calculator) {
    std::vector<uint64_t> values;
    for (uint64_t offset = 0; offset <= C::kCount; offset += 8) {
        values.push_back(read64(calculator, offset));
    }
    return values;
}

// What the guest's driver does: operands, command, then RESULT and STATUS.
struct Outcome {
    uint64_t result;
    uint64_t status;
    bool operator==(const Outcome&) const = default;
};
Outcome run(Calculator& calculator, uint64_t command, uint64_t a, uint64_t b) {
    write64(calculator, C::kOperandA, a);
    write64(calculator, C::kOperandB, b);
    write64(calculator, C::kCommand, command);
    return {read64(calculator, C::kResult), read64(calculator, C::kStatus)};
}

TEST(Calculator, StartsZeroedWithItsId) {
    Calculator calculator;
    EXPECT_EQ(all_registers(calculator), (std::vector<uint64_t>{0, 0, 0, 0, 0, 0x434c4143, 0}));
    EXPECT_EQ(read32(calculator, C::kId), 0x434c4143u);
    EXPECT_EQ(read32(calculator, C::kId + 4), 0u);
    // "CALC" in memory order.
    std::array<uint8_t, 4> id{};
    calculator.read(C::kId, id);
    EXPECT_EQ(id, (std::array<uint8_t, 4>{'C', 'A', 'L', 'C'}));
    EXPECT_EQ(calculator.name(), "calculator");
}

struct Case {
    uint64_t command, a, b, result;
};

TEST(Calculator, RunsEveryCommandUnsignedAndModuloTwoToTheSixtyFour) {
    const Case cases[] = {
        {C::kAdd, 2, 3, 5},
        {C::kAdd, kAllOnes, 2, 1},
        {C::kSubtract, 10, 3, 7},
        {C::kSubtract, 3, 5, kAllOnes - 1},
        {C::kMultiply, 6, 7, 42},
        {C::kMultiply, 0x1'0000'0001, 0x1'0000'0001, 0x2'0000'0001},
        {C::kDivide, 17, 5, 3},
        {C::kDivide, kAllOnes, 2, 0x7fff'ffff'ffff'ffff},  // unsigned, not -1 / 2
        {C::kRemainder, 17, 5, 2},
        {C::kRemainder, kAllOnes, 10, 5},
    };
    Calculator calculator;
    uint64_t count = 0;
    for (const Case& c : cases) {
        SCOPED_TRACE(testing::Message() << c.command << " " << c.a << " " << c.b);
        EXPECT_EQ(run(calculator, c.command, c.a, c.b), (Outcome{c.result, C::kStatusOk}));
        EXPECT_EQ(read64(calculator, C::kCommand), c.command);
        EXPECT_EQ(read64(calculator, C::kCount), ++count);
        // The operands stay as written.
        EXPECT_EQ(read64(calculator, C::kOperandA), c.a);
        EXPECT_EQ(read64(calculator, C::kOperandB), c.b);
    }
}

TEST(Calculator, DivisionByZeroSetsStatusAndClearsResult) {
    Calculator calculator;
    for (uint64_t command : {C::kDivide, C::kRemainder}) {
        ASSERT_EQ(run(calculator, C::kAdd, 40, 2).result, 42u);
        EXPECT_EQ(run(calculator, command, 40, 0), (Outcome{0, C::kStatusDivisionByZero}));
    }
    EXPECT_EQ(read64(calculator, C::kCount), 4u);  // failed commands count too
    // The next good command clears the status.
    EXPECT_EQ(run(calculator, C::kDivide, 40, 8), (Outcome{5, C::kStatusOk}));
}

TEST(Calculator, UnknownCommandsSetStatusAndClearResult) {
    Calculator calculator;
    uint64_t count = 0;
    for (uint64_t command :
         {uint64_t{0}, uint64_t{6}, uint64_t{0xff}, uint64_t{0x1'0000'0001}, kAllOnes}) {
        ASSERT_EQ(run(calculator, C::kMultiply, 6, 7).result, 42u);
        EXPECT_EQ(run(calculator, command, 6, 7), (Outcome{0, C::kStatusUnknownCommand}))
            << command;
        EXPECT_EQ(read64(calculator, C::kCommand), command);  // read back as written
        count += 2;
        EXPECT_EQ(read64(calculator, C::kCount), count);
    }
}

TEST(Calculator, FourByteAccessesReachEachHalf) {
    Calculator calculator;
    // A 32-bit guest writes a 64-bit operand as two halves, in either order.
    write32(calculator, C::kOperandA + 4, 0x1);
    write32(calculator, C::kOperandA, 0x2);
    write32(calculator, C::kOperandB, 0x3);
    write32(calculator, C::kOperandB + 4, 0x0);
    EXPECT_EQ(read64(calculator, C::kOperandA), 0x1'0000'0002u);
    EXPECT_EQ(read32(calculator, C::kOperandA + 4), 0x1u);
    write32(calculator, C::kCommand, C::kMultiply);  // the low half runs it
    EXPECT_EQ(read64(calculator, C::kCount), 1u);
    EXPECT_EQ(read32(calculator, C::kResult), 0x6u);
    EXPECT_EQ(read32(calculator, C::kResult + 4), 0x3u);
    EXPECT_EQ(read32(calculator, C::kStatus), C::kStatusOk);
    EXPECT_EQ(read32(calculator, C::kCount), 1u);
    EXPECT_EQ(read32(calculator, C::kCount + 4), 0u);

    // Writing one half keeps the other.
    write32(calculator, C::kOperandA, 0xffff'ffff);
    EXPECT_EQ(read64(calculator, C::kOperandA), 0x1'ffff'ffffu);
    write32(calculator, C::kOperandA + 4, 0);
    EXPECT_EQ(read64(calculator, C::kOperandA), 0xffff'ffffu);
}

TEST(Calculator, CommandsHighHalfAloneRunsNothing) {
    Calculator calculator;
    write64(calculator, C::kOperandA, 5);
    write64(calculator, C::kOperandB, 6);
    write32(calculator, C::kCommand + 4, C::kAdd);
    EXPECT_EQ(all_registers(calculator), (std::vector<uint64_t>{5, 6, 0, 0, 0, C::kIdValue, 0}));
    // A 4-byte command is zero-extended: the high half of an earlier one goes.
    write64(calculator, C::kCommand, 0x7'0000'0001);
    write32(calculator, C::kCommand, C::kAdd);
    EXPECT_EQ(read64(calculator, C::kCommand), C::kAdd);
    EXPECT_EQ(read64(calculator, C::kResult), 11u);
}

TEST(Calculator, IgnoresWritesToReadOnlyRegisters) {
    Calculator calculator;
    run(calculator, C::kAdd, 1, 2);
    const std::vector<uint64_t> before = all_registers(calculator);
    for (uint64_t offset : {C::kResult, C::kStatus, C::kId, C::kCount}) {
        write64(calculator, offset, 0x1234);
        write32(calculator, offset, 0x1234);
        write32(calculator, offset + 4, 0x1234);
    }
    EXPECT_EQ(all_registers(calculator), before);
}

TEST(Calculator, OddWidthsAndOffsetsReadAllOnesAndWriteNothing) {
    Calculator calculator;
    run(calculator, C::kSubtract, 9, 4);
    const std::vector<uint64_t> before = all_registers(calculator);

    // Widths 1 and 2 anywhere, even on a register.
    for (uint64_t offset : {C::kOperandA, C::kOperandA + 1, C::kCommand, C::kId, C::kId + 2}) {
        EXPECT_EQ(read_n<1>(calculator, offset), 0xffu) << offset;
        EXPECT_EQ(read_n<2>(calculator, offset), 0xffffu) << offset;
        write_n<1>(calculator, offset, C::kAdd);
        write_n<2>(calculator, offset, C::kAdd);
    }
    // Misaligned 4- and 8-byte accesses.
    for (uint64_t offset : {uint64_t{0x1}, uint64_t{0x2}, uint64_t{0x12}, uint64_t{0x2a}}) {
        EXPECT_EQ(read32(calculator, offset), 0xffff'ffffu) << offset;
        write32(calculator, offset, C::kAdd);
    }
    for (uint64_t offset : {uint64_t{0x4}, uint64_t{0x14}, uint64_t{0x2c}}) {
        EXPECT_EQ(read64(calculator, offset), kAllOnes) << offset;
        write64(calculator, offset, C::kAdd);
    }
    // Past the last register, up to the end of the page.
    for (uint64_t offset : {uint64_t{0x38}, uint64_t{0x40}, uint64_t{0x800}, uint64_t{0xff8}}) {
        EXPECT_EQ(read64(calculator, offset), kAllOnes) << offset;
        EXPECT_EQ(read32(calculator, offset + 4), 0xffff'ffffu) << offset;
        write64(calculator, offset, C::kAdd);
        write32(calculator, offset, C::kAdd);
    }
    // Widths a vCPU never makes.
    std::array<uint8_t, 3> three{1, 1, 1};
    calculator.write(C::kCommand, three);
    calculator.read(C::kResult, three);
    EXPECT_EQ(three, (std::array<uint8_t, 3>{0xff, 0xff, 0xff}));
    calculator.write(C::kCommand, std::span<const uint8_t>());

    EXPECT_EQ(all_registers(calculator), before);
}

TEST(Calculator, CountsEveryCommandFromSeveralVcpus) {
    Calculator calculator;
    constexpr int kThreads = 4;
    constexpr int kCommands = 500;
    std::vector<std::thread> vcpus;
    for (int t = 0; t < kThreads; ++t) {
        vcpus.emplace_back([&calculator] {
            for (int i = 0; i < kCommands; ++i) {
                write64(calculator, C::kCommand, C::kAdd);
            }
        });
    }
    for (std::thread& vcpu : vcpus) {
        vcpu.join();
    }
    EXPECT_EQ(read64(calculator, C::kCount), uint64_t{kThreads * kCommands});
}

// At its layout address, on an MMIO bus beside the boot marker and the PCI
// window (Bus::insert throws on an overlap), the guest reaches it.
TEST(Calculator, SitsAfterTheBootMarkerOnTheMmioBus) {
    Bus bus("mmio");
    bus.insert(layout::kBootMarkerStart.value(), layout::kBootMarkerSize,
               std::make_shared<BootMarker>([](uint64_t, uint64_t) {}));
    bus.insert(layout::kPciMmioStart.value(), layout::kPciMmioSize,
               std::make_shared<BootMarker>([](uint64_t, uint64_t) {}));
    bus.insert(layout::kCalculatorStart.value(), layout::kCalculatorSize,
               std::make_shared<Calculator>());

    std::array<uint8_t, 8> id{};
    EXPECT_TRUE(bus.read(0xd000'1028, id));
    EXPECT_EQ(id, (std::array<uint8_t, 8>{'C', 'A', 'L', 'C', 0, 0, 0, 0}));
    std::array<uint8_t, 8> past_the_end{};
    EXPECT_FALSE(bus.read(0xd000'1ffc, past_the_end));  // crosses into unclaimed space
}

}  // namespace
}  // namespace berth::devices
