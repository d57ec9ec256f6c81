#include "vmm/gdb/register_file.h"

#include <algorithm>
#include <cstring>

namespace berth::gdb {

std::span<uint8_t> RegisterFile::bytes(size_t number) {
    return std::span(bytes_).subspan(register_offset(number), register_size(number));
}

std::span<const uint8_t> RegisterFile::bytes(size_t number) const {
    return std::span(bytes_).subspan(register_offset(number), register_size(number));
}

// x86 and the protocol are both little-endian, so a plain copy is the encoding.
uint64_t RegisterFile::get(Reg reg) const {
    const auto source = bytes(reg);
    uint64_t value = 0;
    std::memcpy(&value, source.data(), std::min(source.size(), sizeof(value)));
    return value;
}

void RegisterFile::set(Reg reg, uint64_t value) {
    const auto target = bytes(reg);
    std::fill(target.begin(), target.end(), 0);
    std::memcpy(target.data(), &value, std::min(target.size(), sizeof(value)));
}

}  // namespace berth::gdb
