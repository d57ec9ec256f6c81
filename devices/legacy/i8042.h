// Just enough of the PC's Intel 8042 keyboard controller to reboot: no
// keyboard, no mouse, no interrupts.
//
// Modelled on the 8042 command set as the IBM PC/AT Technical Reference and
// Linux use it (arch/x86/kernel/reboot.c: kb_wait() then command 0xFE;
// drivers/input/serio/i8042.c for the controller commands). Registered at
// port 0x60 with length 5: offset 0 is the data port (0x60), offset 4 the
// status/command port (0x64). Offsets 1-3 (0x61-0x63) never reach it because
// KVM's in-kernel PIT owns port 0x61; they read 0xff.
//
//   - Status (read 0x64): 0 when idle, so kb_wait() sees the input buffer
//     empty at once; I8042_STR_OBF while a command's answer waits to be read
//     from the data port.
//   - Commands (write 0x64): 0x20 read the command byte; 0x60 write it (next
//     data byte); 0xAA self test, answering 0x55; 0xAB keyboard interface
//     test, answering 0 (no fault); 0xAD/0xAE disable/enable the keyboard and
//     0xA7/0xA8 the aux port (bits in the command byte); 0xD0 read the output
//     port; 0xD1 write it (next data byte), where bit 0 = 0 asserts the CPU
//     reset line; 0xF0-0xFF pulse the output lines whose bits (3:0) are 0,
//     so 0xFE pulses reset. Other commands are ignored.
//   - Data written with no command waiting would go to the keyboard; there is
//     none, so it is dropped.
//
// A guest asks for reset several times in a row (Linux tries ten times), so
// on_reset may be called more than once and must tolerate it. It is called on
// the vCPU thread, outside the device lock, and must not block for long.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

class I8042 final : public BusDevice {
public:
    static constexpr uint64_t kDataOffset = 0;     // port 0x60
    static constexpr uint64_t kCommandOffset = 4;  // port 0x64
    static constexpr uint64_t kSize = 5;

    // Status register and command byte bits, as Linux's i8042.h names them.
    static constexpr uint8_t I8042_STR_OBF = 0x01;  // output buffer full
    static constexpr uint8_t I8042_STR_IBF = 0x02;  // input buffer full (never)
    static constexpr uint8_t I8042_CTR_KBDINT = 0x01;
    static constexpr uint8_t I8042_CTR_AUXINT = 0x02;
    static constexpr uint8_t I8042_CTR_KBDDIS = 0x10;
    static constexpr uint8_t I8042_CTR_AUXDIS = 0x20;
    static constexpr uint8_t I8042_CTR_XLATE = 0x40;
    // Answer to the controller self test (0xAA).
    static constexpr uint8_t I8042_RET_CTL_TEST = 0x55;
    // Output port bit 0: the CPU reset line, active low.
    static constexpr uint8_t kOutputPortReset = 0x01;
    static constexpr uint8_t kOutputPortA20 = 0x02;

    // Command byte after reset: scan-code translation on, interrupts off (this
    // controller never raises IRQ 1 or 12).
    static constexpr uint8_t kResetCommandByte = I8042_CTR_XLATE;
    static constexpr uint8_t kResetOutputPort = kOutputPortReset | kOutputPortA20;

    explicit I8042(std::function<void()> on_reset);

    std::string_view name() const override { return "i8042"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    // What the next byte written to the data port is for.
    enum class DataTarget { kKeyboard, kCommandByte, kOutputPort };

    // Both return true when the guest asked for a reset.
    bool write_command(uint8_t command);
    bool write_data(uint8_t value);

    const std::function<void()> on_reset_;

    // Protects the registers below. Never held while calling on_reset_.
    std::mutex mutex_;
    uint8_t command_byte_ = kResetCommandByte;
    uint8_t output_port_ = kResetOutputPort;
    std::optional<uint8_t> output_buffer_;  // a command's answer, not yet read
    uint8_t last_output_ = 0;               // what the data port reads when empty
    DataTarget data_target_ = DataTarget::kKeyboard;
};

}  // namespace berth::devices
