// Local APIC wiring as on a PC board: LINT0 receives the PIC's interrupts
// (ExtINT) and LINT1 is the NMI input. Linux expects this from firmware.
#pragma once

#include <linux/kvm.h>

namespace berth::vcpu {

void wire_lapic_lints(kvm_lapic_state& lapic);

}  // namespace berth::vcpu
