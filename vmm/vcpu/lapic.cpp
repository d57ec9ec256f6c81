#include "vmm/vcpu/lapic.h"

#include <cstdint>
#include <cstring>

namespace berth::vcpu {
namespace {

// Register offsets and delivery modes from the Intel SDM vol. 3A, 11.5.1.
constexpr size_t APIC_LVT0 = 0x350;
constexpr size_t APIC_LVT1 = 0x360;
constexpr uint32_t APIC_DELIVERY_MODE_MASK = 0x700;
constexpr uint32_t APIC_MODE_NMI = 0x4 << 8;
constexpr uint32_t APIC_MODE_EXTINT = 0x7 << 8;

void set_delivery_mode(kvm_lapic_state& lapic, size_t offset, uint32_t mode) {
    // The register page is a byte array; copy the 32-bit register out and back.
    uint32_t value = 0;
    std::memcpy(&value, lapic.regs + offset, sizeof(value));
    value = (value & ~APIC_DELIVERY_MODE_MASK) | mode;
    std::memcpy(lapic.regs + offset, &value, sizeof(value));
}

}  // namespace

void wire_lapic_lints(kvm_lapic_state& lapic) {
    set_delivery_mode(lapic, APIC_LVT0, APIC_MODE_EXTINT);
    set_delivery_mode(lapic, APIC_LVT1, APIC_MODE_NMI);
}

}  // namespace berth::vcpu
