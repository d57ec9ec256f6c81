#include "devices/pci/host_bridge.h"

#include <algorithm>

namespace berth::pci {

HostBridge::HostBridge()
    : config_(ConfigSpace::Identity{.vendor_id = kVendorId,
                                    .device_id = kDeviceId,
                                    .class_code = kClassCode,
                                    .subsystem_vendor_id = kVendorId,
                                    .subsystem_id = kDeviceId}) {}

void HostBridge::bar_read(unsigned, uint64_t, std::span<uint8_t> data) {
    std::fill(data.begin(), data.end(), 0xff);  // no BARs: never mapped
}

void HostBridge::bar_write(unsigned, uint64_t, std::span<const uint8_t>) {}

}  // namespace berth::pci
