#include "devices/lab/calculator.h"

#include <algorithm>

namespace berth::devices {
namespace {

// Where an access lands: a register, and the bits of it the access covers.
struct Slot {
    uint64_t register_offset;
    unsigned shift;  // 0, or 32 for a high half
    uint64_t mask;   // the covered bits, before the shift
};

constexpr uint64_t kLowHalf = 0xffff'ffff;
constexpr uint64_t kAllBits = ~uint64_t{0};

// nullopt for any width or alignment the register map does not allow.
std::optional<Slot> decode(uint64_t offset, size_t size) {
    if (size == 8 && offset % 8 == 0) {
        return Slot{offset, 0, kAllBits};
    }
    if (size == 4 && offset % 4 == 0) {
        return Slot{offset & ~uint64_t{7}, static_cast<unsigned>(offset % 8) * 8, kLowHalf};
    }
    return std::nullopt;
}

// Byte by byte, so the result does not depend on the host's byte order.
uint64_t load_le(std::span<const uint8_t> data) {
    uint64_t value = 0;
    for (size_t i = 0; i < data.size(); ++i) {
        value |= uint64_t{data[i]} << (8 * i);
    }
    return value;
}

void store_le(std::span<uint8_t> data, uint64_t value) {
    for (size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<uint8_t>(value >> (8 * i));
    }
}

// Replaces the bits of `target` that `slot` covers, keeping the others.
void merge(uint64_t& target, const Slot& slot, uint64_t value) {
    const uint64_t covered = slot.mask << slot.shift;
    target = (target & ~covered) | ((value & slot.mask) << slot.shift);
}

}  // namespace

Calculator::Outcome Calculator::compute(uint64_t command, uint64_t a, uint64_t b) {
    switch (command) {
        case kAdd:
            return {a + b, kStatusOk};  // unsigned: wraps modulo 2^64
        case kSubtract:
            return {a - b, kStatusOk};
        case kMultiply:
            return {a * b, kStatusOk};
        case kDivide:
            return b == 0 ? Outcome{0, kStatusDivisionByZero} : Outcome{a / b, kStatusOk};
        case kRemainder:
            return b == 0 ? Outcome{0, kStatusDivisionByZero} : Outcome{a % b, kStatusOk};
        default:
            return {0, kStatusUnknownCommand};
    }
}

std::optional<uint64_t> Calculator::register_value(uint64_t register_offset) const {
    switch (register_offset) {
        case kOperandA:
            return operand_a_;
        case kOperandB:
            return operand_b_;
        case kCommand:
            return command_;
        case kResult:
            return result_;
        case kStatus:
            return status_;
        case kId:
            return kIdValue;
        case kCount:
            return count_;
        default:
            return std::nullopt;
    }
}

void Calculator::run(uint64_t command) {
    const Outcome outcome = compute(command, operand_a_, operand_b_);
    command_ = command;
    result_ = outcome.result;
    status_ = outcome.status;
    ++count_;
}

void Calculator::read(uint64_t offset, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);
    const std::optional<Slot> slot = decode(offset, data.size());
    if (!slot) {
        return;
    }
    std::lock_guard lock(mutex_);
    if (const std::optional<uint64_t> value = register_value(slot->register_offset)) {
        store_le(data, *value >> slot->shift);
    }
}

void Calculator::write(uint64_t offset, std::span<const uint8_t> data) {
    const std::optional<Slot> slot = decode(offset, data.size());
    if (!slot) {
        return;
    }
    const uint64_t value = load_le(data);
    std::lock_guard lock(mutex_);
    switch (slot->register_offset) {
        case kOperandA:
            merge(operand_a_, *slot, value);
            return;
        case kOperandB:
            merge(operand_b_, *slot, value);
            return;
        case kCommand:
            if (slot->shift == 0) {  // the low half starts a command; the high half alone does not
                run(value);
            }
            return;
        default:
            return;  // read-only, or no register at all
    }
}

}  // namespace berth::devices
