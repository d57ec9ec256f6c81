#include "devices/lab/debug_console.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace berth::devices {

DebugConsole::DebugConsole(Callback on_byte) : on_byte_(std::move(on_byte)) {
    if (!on_byte_) {
        throw std::invalid_argument("debug-console: a byte callback is required");
    }
}

void DebugConsole::read(uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);
    if (!data.empty()) {
        data[0] = kReadBack;
    }
}

void DebugConsole::write(uint64_t, std::span<const uint8_t> data) {
    if (!data.empty()) {
        on_byte_(data[0]);  // little-endian: the low byte comes first
    }
}

}  // namespace berth::devices
