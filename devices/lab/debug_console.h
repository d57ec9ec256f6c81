// The lab machine's debug console: I/O port 0xe9 (layout::kDebugConsolePort),
// the Bochs/QEMU "debugcon" convention, so a bare-metal guest can print with
// one instruction (`mov al, 'A'; out 0xe9, al`) before it has any driver.
//
//   - Each byte written is passed to on_byte (the wiring sends it to stdout).
//     The port is one byte wide: a wider write passes only its low byte. (The
//     wiring registers a one-port range, so the bus already drops wider
//     accesses; the device does not depend on that.)
//   - A read returns 0xe9 in its low byte (0xff in any others), which is how
//     a guest detects the port (Bochs does the same).
//
// on_byte runs on the vCPU thread that wrote. The device has no state, hence
// no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

class DebugConsole final : public BusDevice {
public:
    using Callback = std::function<void(uint8_t byte)>;

    static constexpr uint8_t kReadBack = 0xe9;

    explicit DebugConsole(Callback on_byte);

    std::string_view name() const override { return "debug-console"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    const Callback on_byte_;
};

}  // namespace berth::devices
