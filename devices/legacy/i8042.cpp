#include "devices/legacy/i8042.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace berth::devices {

namespace {

// Controller commands (IBM PC/AT Technical Reference, "Keyboard Controller").
constexpr uint8_t kCmdReadCommandByte = 0x20;
constexpr uint8_t kCmdWriteCommandByte = 0x60;
constexpr uint8_t kCmdDisableAux = 0xA7;
constexpr uint8_t kCmdEnableAux = 0xA8;
constexpr uint8_t kCmdSelfTest = 0xAA;
constexpr uint8_t kCmdKeyboardTest = 0xAB;
constexpr uint8_t kCmdDisableKeyboard = 0xAD;
constexpr uint8_t kCmdEnableKeyboard = 0xAE;
constexpr uint8_t kCmdReadOutputPort = 0xD0;
constexpr uint8_t kCmdWriteOutputPort = 0xD1;
// 0xF0-0xFF: pulse for 6 us the output port lines whose bit in 3:0 is 0.
constexpr uint8_t kCmdPulseOutputFirst = 0xF0;

constexpr uint8_t kKeyboardTestPassed = 0x00;

}  // namespace

I8042::I8042(std::function<void()> on_reset) : on_reset_(std::move(on_reset)) {
    if (!on_reset_) {
        throw std::invalid_argument("i8042: a reset callback is required");
    }
}

void I8042::read(uint64_t offset, std::span<uint8_t> data) {
    if (data.size() != 1 || (offset != kDataOffset && offset != kCommandOffset)) {
        std::fill(data.begin(), data.end(), 0xff);
        return;
    }
    std::lock_guard lock(mutex_);
    if (offset == kCommandOffset) {
        data[0] = output_buffer_ ? I8042_STR_OBF : 0;
        return;
    }
    if (output_buffer_) {
        last_output_ = *output_buffer_;
        output_buffer_.reset();
    }
    data[0] = last_output_;
}

void I8042::write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.size() != 1 || (offset != kDataOffset && offset != kCommandOffset)) {
        return;
    }
    bool reset = false;
    {
        std::lock_guard lock(mutex_);
        reset = offset == kCommandOffset ? write_command(data[0]) : write_data(data[0]);
    }
    if (reset) {
        on_reset_();
    }
}

bool I8042::write_command(uint8_t command) {
    // A new command abandons a data byte an earlier one was waiting for.
    data_target_ = DataTarget::kKeyboard;
    if (command >= kCmdPulseOutputFirst) {
        return (command & kOutputPortReset) == 0;
    }
    switch (command) {
        case kCmdReadCommandByte:
            output_buffer_ = command_byte_;
            break;
        case kCmdWriteCommandByte:
            data_target_ = DataTarget::kCommandByte;
            break;
        case kCmdDisableAux:
            command_byte_ |= I8042_CTR_AUXDIS;
            break;
        case kCmdEnableAux:
            command_byte_ &= static_cast<uint8_t>(~I8042_CTR_AUXDIS);
            break;
        case kCmdSelfTest:
            output_buffer_ = I8042_RET_CTL_TEST;
            break;
        case kCmdKeyboardTest:
            output_buffer_ = kKeyboardTestPassed;
            break;
        case kCmdDisableKeyboard:
            command_byte_ |= I8042_CTR_KBDDIS;
            break;
        case kCmdEnableKeyboard:
            command_byte_ &= static_cast<uint8_t>(~I8042_CTR_KBDDIS);
            break;
        case kCmdReadOutputPort:
            output_buffer_ = output_port_;
            break;
        case kCmdWriteOutputPort:
            data_target_ = DataTarget::kOutputPort;
            break;
        default:
            break;  // not needed by Linux without a keyboard: ignored
    }
    return false;
}

bool I8042::write_data(uint8_t value) {
    const DataTarget target = data_target_;
    data_target_ = DataTarget::kKeyboard;
    switch (target) {
        case DataTarget::kCommandByte:
            command_byte_ = value;
            return false;
        case DataTarget::kOutputPort:
            output_port_ = value;
            return (value & kOutputPortReset) == 0;
        case DataTarget::kKeyboard:
            return false;  // no keyboard behind the controller
    }
    return false;
}

}  // namespace berth::devices
