// Port 0x80, the PC's POST (power-on self test) diagnostic port. Firmware
// writes progress codes to it; Linux writes it only as a short I/O delay
// (outb_p() and friends, arch/x86/include/asm/io.h: native_io_delay()).
//
// Writes are accepted and discarded, reads return 0xff (nothing drives the
// bus). The device exists so these accesses show up by name in statistics
// instead of as unknown ports. It has no state, hence no lock.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

class PostCodePort final : public BusDevice {
public:
    std::string_view name() const override { return "post-code-port"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;
};

}  // namespace berth::devices
