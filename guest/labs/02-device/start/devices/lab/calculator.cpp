// Lab 2 - a device of your own: the calculator, for you to write.
// docs/labs/02-device.md walks through it; calculator.h has the register map
// and the class you are filling in. Until you do, every read returns
// all-ones (what an empty bus gives), so the guest prints "no calculator"
// and ./scripts/lab-check 2 fails.
#include "devices/lab/calculator.h"

#include <algorithm>

namespace berth::devices {

// TODO 1: compute one command on two operands: add, subtract and multiply
// modulo 2^64, unsigned divide and remainder; B = 0 is a division by zero,
// any other command is unknown (RESULT is then 0).
Calculator::Outcome Calculator::compute(uint64_t command, uint64_t a, uint64_t b) {
    (void)command;
    (void)a;
    (void)b;
    return {0, kStatusUnknownCommand};
}

// TODO 2: the value of the register at `register_offset`, or nullopt for an
// offset where the map has no register.
std::optional<uint64_t> Calculator::register_value(uint64_t register_offset) const {
    (void)register_offset;
    return std::nullopt;
}

// TODO 3: run a command: remember it, store its result and status, count it.
void Calculator::run(uint64_t command) {
    (void)command;
}

// TODO 4: a guest read of data.size() bytes at `offset`. Fill every byte of
// `data`: all-ones for anything the register map does not allow; an aligned
// 8-byte read returns a whole register, an aligned 4-byte read its low half
// (at the register's offset) or its high half (offset + 4), little-endian.
// Hold mutex_ while you look at the registers.
void Calculator::read(uint64_t offset, std::span<uint8_t> data) {
    (void)offset;
    std::fill(data.begin(), data.end(), 0xff);
}

// TODO 5: a guest write. OPERAND_A and OPERAND_B take 8-byte writes or
// 4-byte writes to either half (the other half keeps its value); a write to
// COMMAND's low half runs the command; everything else is ignored.
void Calculator::write(uint64_t offset, std::span<const uint8_t> data) {
    (void)offset;
    (void)data;
}

}  // namespace berth::devices
