#include "vmm/gdb/packet_layout.h"

#include <algorithm>

namespace berth::gdb {
namespace {

constexpr uint64_t kEferLongModeActive = 1u << 10;
constexpr uint64_t kCr0ProtectionEnable = 1;

using F = RegisterFeature;

PacketLayout make_amd64() {
    std::vector<PacketRegister> registers;
    const auto& table = register_table();
    for (size_t i = 0; i < table.size(); ++i) {
        registers.push_back({table[i], static_cast<Reg>(i)});
    }
    return PacketLayout("i386:x86-64", std::move(registers));
}

// gdb's i386 order (features/i386/32bit-core.xml): eax ecx edx ebx esp ebp
// esi edi, unlike amd64's rax rbx rcx rdx.
PacketLayout make_i386(std::string_view architecture) {
    std::vector<PacketRegister> registers = {
        {{"eax", 32, "int32", "", F::kCore}, Reg::kRax},
        {{"ecx", 32, "int32", "", F::kCore}, Reg::kRcx},
        {{"edx", 32, "int32", "", F::kCore}, Reg::kRdx},
        {{"ebx", 32, "int32", "", F::kCore}, Reg::kRbx},
        {{"esp", 32, "data_ptr", "", F::kCore}, Reg::kRsp},
        {{"ebp", 32, "data_ptr", "", F::kCore}, Reg::kRbp},
        {{"esi", 32, "int32", "", F::kCore}, Reg::kRsi},
        {{"edi", 32, "int32", "", F::kCore}, Reg::kRdi},
        {{"eip", 32, "code_ptr", "", F::kCore}, Reg::kRip},
    };
    // eflags, the selectors and the x87 registers are the same in both.
    const auto& table = register_table();
    for (size_t i = index_of(Reg::kEflags); i <= index_of(Reg::kFop); ++i) {
        registers.push_back({table[i], static_cast<Reg>(i)});
    }
    for (size_t i = index_of(Reg::kXmm0); i <= index_of(Reg::kXmm7); ++i) {
        registers.push_back({table[i], static_cast<Reg>(i)});
    }
    registers.push_back({table[index_of(Reg::kMxcsr)], Reg::kMxcsr});
    // No fs_base and gs_base: with org.gnu.gdb.i386.segments, gdb 13 fails an
    // internal assertion on `set architecture i8086`, and outside it gdb
    // rejects the names. 32-bit code rarely needs them; the amd64 view has them.
    registers.push_back({{"cr0", 32, "x86_cr0", "system", F::kSystem}, Reg::kCr0});
    registers.push_back({{"cr2", 32, "int", "system", F::kSystem}, Reg::kCr2});
    registers.push_back({{"cr3", 32, "int", "system", F::kSystem}, Reg::kCr3});
    registers.push_back({{"cr4", 32, "x86_cr4", "system", F::kSystem}, Reg::kCr4});
    registers.push_back({table[index_of(Reg::kEfer)], Reg::kEfer});
    return PacketLayout(architecture, std::move(registers));
}

}  // namespace

PacketLayout::PacketLayout(std::string_view architecture, std::vector<PacketRegister> registers)
    : architecture_(architecture), registers_(std::move(registers)) {
    for (PacketRegister& reg : registers_) {
        reg.offset = size_;
        size_ += reg.info.bits / 8;
    }
}

std::vector<uint8_t> PacketLayout::encode(const RegisterFile& file) const {
    std::vector<uint8_t> packet;
    packet.reserve(size_);
    for (size_t i = 0; i < registers_.size(); ++i) {
        const auto value = encode(file, i);
        packet.insert(packet.end(), value.begin(), value.end());
    }
    return packet;
}

std::vector<uint8_t> PacketLayout::encode(const RegisterFile& file, size_t number) const {
    const PacketRegister& reg = registers_.at(number);
    const auto source = file.bytes(reg.source).first(reg.info.bits / 8u);
    return {source.begin(), source.end()};
}

void PacketLayout::decode(std::span<const uint8_t> packet, RegisterFile& file) const {
    for (size_t i = 0; i < registers_.size(); ++i) {
        const PacketRegister& reg = registers_[i];
        decode(packet.subspan(reg.offset, reg.info.bits / 8u), i, file);
    }
}

void PacketLayout::decode(std::span<const uint8_t> value, size_t number, RegisterFile& file) const {
    const PacketRegister& reg = registers_.at(number);
    std::copy(value.begin(), value.end(), file.bytes(reg.source).begin());
}

const PacketLayout& packet_layout(TargetArchitecture architecture) {
    static const PacketLayout amd64 = make_amd64();
    static const PacketLayout i386 = make_i386("i386");
    static const PacketLayout i8086 = make_i386("i8086");
    switch (architecture) {
        case TargetArchitecture::kAmd64:
            return amd64;
        case TargetArchitecture::kI386:
            return i386;
        case TargetArchitecture::kI8086:
            return i8086;
    }
    return amd64;
}

TargetArchitecture architecture_for(const RegisterFile& registers) {
    if ((registers.get(Reg::kEfer) & kEferLongModeActive) != 0) {
        return TargetArchitecture::kAmd64;
    }
    if ((registers.get(Reg::kCr0) & kCr0ProtectionEnable) != 0) {
        return TargetArchitecture::kI386;
    }
    return TargetArchitecture::kI8086;
}

}  // namespace berth::gdb
