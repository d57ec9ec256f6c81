// The lab calculator: an MMIO device of Berth's own, the reference solution
// for lab 2 ("a device of your own"). One page at layout::kCalculatorStart
// (0xd000_1000); the guest writes two operands and a command, and reads the
// result. docs/lab-machine.md has the same register map for the handouts.
//
// Registers: 64 bits each, little-endian, at these offsets:
//   0x00 OPERAND_A  read/write
//   0x08 OPERAND_B  read/write
//   0x10 COMMAND    write: runs the command at once (see below); read: the
//                   last command written (0 before the first)
//   0x18 RESULT     read-only: the last command's result, 0 after an error
//   0x20 STATUS     read-only: 0 ok, 1 division by zero, 2 unknown command
//   0x28 ID         read-only: 0x434c4143 ("CALC" as little-endian bytes)
//   0x30 COUNT      read-only: how many commands were written, failed ones too
// Commands: 1 A + B, 2 A - B, 3 A * B (all modulo 2^64), 4 A / B, 5 A % B
// (unsigned; B = 0 is a division by zero).
//
// Accesses: an aligned 8-byte access reads or writes a whole register; an
// aligned 4-byte access at the register's offset is its low half, at offset
// + 4 its high half (so a 32-bit guest writes an operand as two halves; the
// other half keeps its value). A write to COMMAND's low half, 8 or 4 bytes
// wide, runs the command, which is the value written (a 4-byte write's value
// zero-extended); a 4-byte write to COMMAND's high half alone is ignored.
// Anything else (other offsets, widths 1 and 2, misaligned accesses, writes
// to read-only registers) reads as all-ones bytes and is ignored on write:
// the guest is untrusted, and never makes the device fail.
//
// Several vCPUs may use the device at once; one mutex guards its registers,
// so a command sees both operands as they were when it was written.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

class Calculator final : public BusDevice {
public:
    // Register offsets.
    static constexpr uint64_t kOperandA = 0x00;
    static constexpr uint64_t kOperandB = 0x08;
    static constexpr uint64_t kCommand = 0x10;
    static constexpr uint64_t kResult = 0x18;
    static constexpr uint64_t kStatus = 0x20;
    static constexpr uint64_t kId = 0x28;
    static constexpr uint64_t kCount = 0x30;

    // COMMAND values.
    static constexpr uint64_t kAdd = 1;
    static constexpr uint64_t kSubtract = 2;
    static constexpr uint64_t kMultiply = 3;
    static constexpr uint64_t kDivide = 4;
    static constexpr uint64_t kRemainder = 5;

    // STATUS values.
    static constexpr uint64_t kStatusOk = 0;
    static constexpr uint64_t kStatusDivisionByZero = 1;
    static constexpr uint64_t kStatusUnknownCommand = 2;

    static constexpr uint64_t kIdValue = 0x434c4143;  // "CALC"

    std::string_view name() const override { return "calculator"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    struct Outcome {
        uint64_t result;
        uint64_t status;
    };
    static Outcome compute(uint64_t command, uint64_t a, uint64_t b);

    // The register's value, or nullopt for an offset with no register.
    std::optional<uint64_t> register_value(uint64_t register_offset) const;
    void run(uint64_t command);

    std::mutex mutex_;  // guards everything below
    uint64_t operand_a_ = 0;
    uint64_t operand_b_ = 0;
    uint64_t command_ = 0;
    uint64_t result_ = 0;
    uint64_t status_ = kStatusOk;
    uint64_t count_ = 0;
};

}  // namespace berth::devices
