// The lab machine's exit port: I/O port 0xf4 (layout::kExitPort; QEMU's
// isa-debug-exit sits there too), so a bare-metal guest can end the run with
// a status a test script can check: `mov al, 3; out 0xf4, al`.
//
//   - Each byte written calls on_exit(value). The wiring stops the VM with
//     the reason "guest wrote N to the exit port (0xf4)" and makes N Berth's
//     exit status (unlike QEMU's (N << 1) | 1, the value is used as it is).
//     The port is one byte wide: a wider write passes only its low byte.
//   - Reads return 0xff in every byte (nothing to read).
//
// on_exit runs on the vCPU thread that wrote, and may be called again if
// another vCPU writes before the VM stops; the first stop request wins. The
// device has no state, hence no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

class ExitPort final : public BusDevice {
public:
    using Callback = std::function<void(uint8_t value)>;

    explicit ExitPort(Callback on_exit);

    std::string_view name() const override { return "exit-port"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    const Callback on_exit_;
};

}  // namespace berth::devices
