// /dev/kvm: the KVM subsystem itself. Opening it, checking that it offers
// what Berth relies on, and asking it for VM-independent facts (supported
// CPUID leaves, MSRs, limits).
#pragma once

#include <linux/kvm.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vmm/common/unique_fd.h"
#include "vmm/kvm/vm_fd.h"

namespace berth::kvm {

class System {
public:
    // Opens the device and checks the API version and every capability Berth
    // needs. A missing or inaccessible device is the user's environment, so it
    // throws UserError with the fix (including scripts/kvm-sandbox).
    static System open(const std::string& path = "/dev/kvm");

    int check_extension(long capability) const;
    int max_vcpus() const;
    int vcpu_mmap_size() const;
    std::vector<kvm_cpuid_entry2> supported_cpuid() const;
    std::vector<uint32_t> msr_index_list() const;

    VmFd create_vm() const;

private:
    explicit System(UniqueFd fd) : fd_(std::move(fd)) {}
    UniqueFd fd_;
};

}  // namespace berth::kvm
