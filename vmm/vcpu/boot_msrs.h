// Model-specific registers a vCPU starts with, as firmware would leave them.
#pragma once

#include <linux/kvm.h>

#include <vector>

namespace berth::vcpu {

// The syscall/sysenter MSRs cleared, fast strings enabled, and MTRRs enabled
// with write-back as the default type (without that, Linux would treat all
// RAM as uncached and run many times slower).
std::vector<kvm_msr_entry> boot_msrs();

}  // namespace berth::vcpu
