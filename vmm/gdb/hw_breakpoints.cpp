#include "vmm/gdb/hw_breakpoints.h"

namespace berth::gdb {
namespace {

// DR7 bits (SDM vol. 3, figure 18-2).
constexpr uint64_t kDr7GlobalExact = 1u << 9;  // GE: report data hits on the exact instruction
constexpr uint64_t kDr7Reserved = 1u << 10;    // reads as 1
constexpr uint64_t global_enable(size_t slot) {
    return uint64_t{1} << (slot * 2 + 1);  // G0..G3: kept across task switches, unlike L0..L3
}
constexpr unsigned kConditionShift = 16;  // R/W0 at bits 16-17, then 4 bits per slot
constexpr unsigned kLengthShift = 18;     // LEN0 at bits 18-19

uint64_t condition_bits(BreakpointKind kind) {
    switch (kind) {
        case BreakpointKind::kExecute:
            return 0b00;
        case BreakpointKind::kWrite:
            return 0b01;
        case BreakpointKind::kAccess:
            return 0b11;
    }
    return 0;
}

// LEN encodes 1, 2, 8, 4 bytes as 00, 01, 10, 11.
uint64_t length_bits(uint8_t length) {
    switch (length) {
        case 2:
            return 0b01;
        case 8:
            return 0b10;
        case 4:
            return 0b11;
        default:
            return 0b00;
    }
}

bool valid(const HwBreakpoint& breakpoint) {
    if (breakpoint.kind == BreakpointKind::kExecute) {
        return breakpoint.length == 1;
    }
    const uint8_t length = breakpoint.length;
    const bool power_of_two = length == 1 || length == 2 || length == 4 || length == 8;
    return power_of_two && breakpoint.address % length == 0;
}

}  // namespace

HwBreakpointSlots::InsertResult HwBreakpointSlots::insert(const HwBreakpoint& breakpoint) {
    if (!valid(breakpoint)) {
        return InsertResult::kUnsupported;
    }
    std::optional<HwBreakpoint>* free_slot = nullptr;
    for (auto& slot : slots_) {
        if (slot == breakpoint) {
            return InsertResult::kInserted;
        }
        if (!slot && free_slot == nullptr) {
            free_slot = &slot;
        }
    }
    if (free_slot == nullptr) {
        return InsertResult::kFull;
    }
    *free_slot = breakpoint;
    return InsertResult::kInserted;
}

void HwBreakpointSlots::remove(const HwBreakpoint& breakpoint) {
    for (auto& slot : slots_) {
        if (slot == breakpoint) {
            slot.reset();
        }
    }
}

void HwBreakpointSlots::clear() {
    slots_.fill(std::nullopt);
}

DebugRegisters HwBreakpointSlots::debug_registers() const {
    DebugRegisters registers;
    bool any = false;
    for (size_t i = 0; i < kSlotCount; ++i) {
        if (!slots_[i]) {
            continue;
        }
        any = true;
        registers.address[i] = slots_[i]->address;
        registers.dr7 |= global_enable(i);
        registers.dr7 |= condition_bits(slots_[i]->kind) << (kConditionShift + 4 * i);
        registers.dr7 |= length_bits(slots_[i]->length) << (kLengthShift + 4 * i);
    }
    if (any) {
        registers.dr7 |= kDr7GlobalExact | kDr7Reserved;
    }
    return registers;
}

}  // namespace berth::gdb
