// The console escape, as in QEMU: Ctrl-A x quits Berth, Ctrl-A Ctrl-A sends
// one Ctrl-A to the guest; Ctrl-A followed by anything else sends both bytes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace berth::console {

class EscapeFilter {
public:
    static constexpr uint8_t kEscape = 0x01;  // Ctrl-A

    // Appends to `to_guest` the bytes meant for the guest; returns true when
    // the quit sequence was seen (bytes after it are dropped).
    bool feed(std::span<const uint8_t> input, std::vector<uint8_t>& to_guest);

private:
    bool after_escape_ = false;
};

}  // namespace berth::console
