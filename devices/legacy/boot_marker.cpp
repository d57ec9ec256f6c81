#include "devices/legacy/boot_marker.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace berth::devices {

BootMarker::BootMarker(Callback on_marker) : on_marker_(std::move(on_marker)) {
    if (!on_marker_) {
        throw std::invalid_argument("boot-marker: a marker callback is required");
    }
}

void BootMarker::read(uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0);
}

void BootMarker::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty() || data.size() > sizeof(uint64_t)) {
        return;  // not an access a vCPU can make
    }
    // Assemble the little-endian value byte by byte rather than memcpy into a
    // uint64_t, so the result does not depend on the host's byte order.
    uint64_t value = 0;
    for (size_t i = 0; i < data.size(); ++i) {
        value |= uint64_t{data[i]} << (8 * i);
    }
    on_marker_(offset, value);
}

}  // namespace berth::devices
