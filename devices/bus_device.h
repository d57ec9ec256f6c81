// The interface every device on an I/O-port or MMIO bus implements.
//
// The bus hands the device the offset of the access inside the device's own
// range, so a device never needs to know where it was placed. Accesses come
// from vCPU threads; a device whose state is also touched by another thread
// (e.g. the UART's input from the host terminal) protects it with its own lock.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace berth::devices {

class BusDevice {
public:
    virtual ~BusDevice() = default;

    // Short name for traces and statistics, e.g. "uart-16550".
    virtual std::string_view name() const = 0;

    // `data.size()` is the access width (1, 2, 4 or 8 bytes). A device fills
    // every byte of `data` on a read, with 0xff for registers it does not have.
    virtual void read(uint64_t offset, std::span<uint8_t> data) = 0;
    virtual void write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

}  // namespace berth::devices
