// Everything the user gave `berth run`, read and checked before KVM is
// touched: a bad kernel, initrd or size fails here with one clear line and
// nothing created.
#pragma once

#include <cstdint>
#include <vector>

#include "vmm/boot/bzimage.h"
#include "vmm/vm_config.h"

namespace berth {

struct BootInputs {
    std::vector<uint8_t> kernel_file;
    boot::BzImage kernel;
    std::vector<uint8_t> initrd;
};

// Throws UserError naming the problem and what to do about it.
BootInputs load_boot_inputs(const VmConfig& config);

// MemTotal from /proc/meminfo, in bytes (0 when unknown).
uint64_t host_memory_size();

}  // namespace berth
