// Which registers the `g` packet carries, in which order and width: the
// layout gdb learns from the target description.
//
// gdb fixes the architecture when it connects and refuses to switch a 64-bit
// description to 16-bit or 32-bit code later (`set architecture i8086` says
// "not compatible with reported target architecture i386:x86-64"), and with
// a 32-bit description it accepts `set architecture i8086` but still
// disassembles 32-bit code. So Berth picks the description when gdb
// attaches, from the stopped vCPU's mode: long mode (EFER.LMA) gets amd64,
// protected mode (CR0.PE) i386, real mode i8086 (the i386 registers, 16-bit
// disassembly). Switching between i8086 and i386 later works with `set
// architecture`. All layouts are views of the same amd64 RegisterFile: an
// i386 register is the low bytes of its amd64 one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "vmm/gdb/register_file.h"
#include "vmm/gdb/x86_register_layout.h"

namespace berth::gdb {

enum class TargetArchitecture { kAmd64, kI386, kI8086 };

struct PacketRegister {
    RegisterInfo info;  // name, width and type as the description states them
    Reg source;         // where the value lives in the RegisterFile
    size_t offset = 0;  // in the packet
};

class PacketLayout {
public:
    PacketLayout(std::string_view architecture, std::vector<PacketRegister> registers);

    // "i386:x86-64", "i386", "i8086": gdb's names (`set architecture`).
    std::string_view architecture() const { return architecture_; }
    const std::vector<PacketRegister>& registers() const { return registers_; }
    size_t size() const { return size_; }  // bytes of a `g` reply

    std::vector<uint8_t> encode(const RegisterFile& file) const;
    std::vector<uint8_t> encode(const RegisterFile& file, size_t number) const;
    // Write the packet's bytes into `file`; the bytes a narrower register
    // does not cover (the high half of rax under eax) keep their value.
    void decode(std::span<const uint8_t> packet, RegisterFile& file) const;
    void decode(std::span<const uint8_t> value, size_t number, RegisterFile& file) const;

private:
    std::string_view architecture_;
    std::vector<PacketRegister> registers_;
    size_t size_ = 0;
};

const PacketLayout& packet_layout(TargetArchitecture architecture);

// amd64 in long mode, i386 in protected mode, i8086 in real mode.
TargetArchitecture architecture_for(const RegisterFile& registers);

}  // namespace berth::gdb
