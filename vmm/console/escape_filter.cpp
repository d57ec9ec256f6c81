#include "vmm/console/escape_filter.h"

namespace berth::console {

bool EscapeFilter::feed(std::span<const uint8_t> input, std::vector<uint8_t>& to_guest) {
    for (uint8_t byte : input) {
        if (after_escape_) {
            after_escape_ = false;
            if (byte == 'x' || byte == 'X') {
                return true;
            }
            if (byte != kEscape) {
                to_guest.push_back(kEscape);
            }
            to_guest.push_back(byte);
        } else if (byte == kEscape) {
            after_escape_ = true;
        } else {
            to_guest.push_back(byte);
        }
    }
    return false;
}

}  // namespace berth::console
