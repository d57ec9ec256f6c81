// x86 hardware breakpoints: four address registers DR0-DR3 and the control
// register DR7 that says, for each, whether it is on, whether it fires on
// instruction fetch, on writes or on any data access, and how many bytes it
// covers (Intel SDM vol. 3, 18.2 "Debug Registers").
//
// Berth implements all of gdb's breakpoints with them, Z0 included: KVM
// then reports a hit as a debug exit without Berth writing int3 into guest
// memory. The price is the limit of four, shared by breakpoints and
// watchpoints; the fifth insert answers an error and gdb says so.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace berth::gdb {

enum class BreakpointKind {
    kExecute,  // Z0 / Z1
    kWrite,    // Z2: a watchpoint on writes
    kAccess,   // Z4: a watchpoint on reads and writes (x86 has no read-only one)
};

struct HwBreakpoint {
    BreakpointKind kind = BreakpointKind::kExecute;
    uint64_t address = 0;  // a linear (guest-virtual) address
    uint8_t length = 1;    // 1, 2, 4 or 8 for watchpoints, aligned to itself; 1 to execute

    bool operator==(const HwBreakpoint&) const = default;
};

// The values for KVM_SET_GUEST_DEBUG's debugreg[0..3] and debugreg[7].
struct DebugRegisters {
    std::array<uint64_t, 4> address{};
    uint64_t dr7 = 0;

    bool any_enabled() const { return (dr7 & 0xff) != 0; }
    bool operator==(const DebugRegisters&) const = default;
};

class HwBreakpointSlots {
public:
    static constexpr size_t kSlotCount = 4;

    enum class InsertResult { kInserted, kFull, kUnsupported };

    // Idempotent, as gdb's manual asks: inserting one that is there already
    // succeeds without taking a second slot, and so does removing one that is not.
    InsertResult insert(const HwBreakpoint& breakpoint);
    void remove(const HwBreakpoint& breakpoint);
    void clear();

    const std::optional<HwBreakpoint>& slot(size_t index) const { return slots_.at(index); }
    DebugRegisters debug_registers() const;

private:
    std::array<std::optional<HwBreakpoint>, kSlotCount> slots_;
};

}  // namespace berth::gdb
