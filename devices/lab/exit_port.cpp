#include "devices/lab/exit_port.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace berth::devices {

ExitPort::ExitPort(Callback on_exit) : on_exit_(std::move(on_exit)) {
    if (!on_exit_) {
        throw std::invalid_argument("exit-port: an exit callback is required");
    }
}

void ExitPort::read(uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);
}

void ExitPort::write(uint64_t, std::span<const uint8_t> data) {
    if (!data.empty()) {
        on_exit_(data[0]);  // little-endian: the low byte comes first
    }
}

}  // namespace berth::devices
