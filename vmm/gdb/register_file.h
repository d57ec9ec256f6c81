// One vCPU's registers as the bytes of a `g` packet: each register
// little-endian at its offset from x86_register_layout.h. g/G/p/P then move
// bytes, and only the KVM side (kvm_register_conversion.cpp) knows where
// each value lives in KVM's structs.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "vmm/gdb/x86_register_layout.h"

namespace berth::gdb {

class RegisterFile {
public:
    static constexpr size_t kSize = 608;

    RegisterFile() { bytes_.fill(0); }

    std::span<uint8_t> bytes() { return bytes_; }
    std::span<const uint8_t> bytes() const { return bytes_; }
    std::span<uint8_t> bytes(Reg reg) { return bytes(index_of(reg)); }
    std::span<const uint8_t> bytes(Reg reg) const { return bytes(index_of(reg)); }
    std::span<uint8_t> bytes(size_t number);
    std::span<const uint8_t> bytes(size_t number) const;

    // The low 8 bytes of a register as a number (all of it for 8 bytes or less).
    uint64_t get(Reg reg) const;
    // Stores the register's width of `value` (a 32-bit register keeps the low half).
    void set(Reg reg, uint64_t value);

    bool operator==(const RegisterFile&) const = default;

private:
    std::array<uint8_t, kSize> bytes_;
};

}  // namespace berth::gdb
