#include "devices/legacy/post_code_port.h"

#include <algorithm>

namespace berth::devices {

void PostCodePort::read(uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);
}

void PostCodePort::write(uint64_t, std::span<const uint8_t>) {
    // An I/O delay: the exit to user space was the whole point.
}

}  // namespace berth::devices
