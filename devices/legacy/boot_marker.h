// Berth's boot-marker device: a page of MMIO at layout::kBootMarkerStart
// (0xd000_0000) that the guest writes to announce boot milestones, so the VMM
// (and its tests and benchmarks) can time a boot without parsing the console.
//
// Protocol (Berth's own; no hardware is modelled):
//   - The guest writes a value of 1 to 8 bytes (little-endian) at any offset
//     of the page; every write calls on_marker(offset, value).
//   - Value 1 at offset 0 means "init reached": the guest's init runs
//     `devmem 0xd0000000 8 1` (busybox) first thing. Linux lets user space
//     reach this address through /dev/mem because no driver claims it
//     (CONFIG_STRICT_DEVMEM only protects claimed ranges).
//   - Other values and offsets are reserved for later milestones; the device
//     passes them on unchanged and leaves their meaning to on_marker.
//   - Reads return 0.
//
// on_marker runs on the vCPU thread that wrote, possibly on several at once,
// and must not block for long. The device has no state, hence no lock.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "devices/bus_device.h"

namespace berth::devices {

class BootMarker final : public BusDevice {
public:
    using Callback = std::function<void(uint64_t offset, uint64_t value)>;

    static constexpr uint64_t kInitReached = 1;

    explicit BootMarker(Callback on_marker);

    std::string_view name() const override { return "boot-marker"; }
    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    const Callback on_marker_;
};

}  // namespace berth::devices
