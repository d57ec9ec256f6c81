#include "vmm/kvm/system.h"

#include <fcntl.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "vmm/kvm/flex_array_ioctls.h"
#include "vmm/kvm/ioctl.h"

namespace berth::kvm {
namespace {

constexpr int kRequiredApiVersion = 12;  // the only stable KVM API version

struct Capability {
    long id;
    const char* name;
};
// What Berth uses on every boot; without any of these it cannot run a guest.
constexpr std::array kRequiredCapabilities = {
    Capability{KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY"},
    Capability{KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP"},
    Capability{KVM_CAP_PIT2, "KVM_CAP_PIT2"},
    Capability{KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR"},
    Capability{KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR"},
    Capability{KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID"},
    Capability{KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE"},
    Capability{KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT"},
    Capability{KVM_CAP_IRQFD, "KVM_CAP_IRQFD"},
    Capability{KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD"},
    Capability{KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI"},
};

// Hardware-assisted KVM needs Intel VT-x or AMD-V, which /proc/cpuinfo lists
// as the vmx or svm flag (inside a VM too, when the hypervisor exposes it).
bool cpu_has_hardware_virtualization() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line)) {
        if (line.rfind("flags", 0) == 0) {
            std::istringstream flags(line);
            std::string flag;
            while (flags >> flag) {
                if (flag == "vmx" || flag == "svm") {
                    return true;
                }
            }
            return false;
        }
    }
    return true;  // cannot tell: do not warn
}

}  // namespace

System System::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT || error == ENXIO || error == ENODEV) {
            throw UserError(fmt::format(
                "{} does not exist: this host offers no KVM. Enable virtualisation (load "
                "kvm_intel or kvm_amd), or run Berth inside scripts/kvm-sandbox",
                path));
        }
        if (error == EACCES || error == EPERM) {
            throw UserError(fmt::format(
                "no permission to open {}: add your user to the kvm group (sudo adduser $USER "
                "kvm, then log in again), or run Berth inside scripts/kvm-sandbox",
                path));
        }
        throw SystemError("open " + path, error);
    }
    System system{UniqueFd(fd)};

    int version = -1;
    try {
        version = KVM_IOCTL(fd, KVM_GET_API_VERSION, 0);
    } catch (const SystemError&) {
        throw UserError(fmt::format("{} is not a KVM device (KVM_GET_API_VERSION failed)", path));
    }
    if (version != kRequiredApiVersion) {
        throw UserError(fmt::format("{} speaks KVM API version {}, Berth needs version {}", path,
                                    version, kRequiredApiVersion));
    }
    if (!cpu_has_hardware_virtualization()) {
        // kvm_pvm and similar software KVMs accept the API but run a stock
        // kernel thousands of times slower; say so instead of seeming to hang.
        std::fprintf(stderr,
                     "berth: warning: this CPU shows no vmx or svm flag, so %s is not "
                     "hardware-assisted KVM; a stock kernel may boot very slowly (try "
                     "scripts/kvm-sandbox)\n",
                     path.c_str());
    }
    for (const Capability& capability : kRequiredCapabilities) {
        if (system.check_extension(capability.id) <= 0) {
            throw UserError(
                fmt::format("this host's KVM lacks {}, which Berth needs", capability.name));
        }
    }
    return system;
}

int System::check_extension(long capability) const {
    return KVM_IOCTL(fd_.get(), KVM_CHECK_EXTENSION, capability);
}

int System::max_vcpus() const {
    int max = check_extension(KVM_CAP_MAX_VCPUS);
    // KVM_CAP_MAX_VCPUS may be absent on old kernels; NR_VCPUS is the fallback.
    return max > 0 ? max : check_extension(KVM_CAP_NR_VCPUS);
}

int System::vcpu_mmap_size() const {
    return KVM_IOCTL(fd_.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
}

std::vector<kvm_cpuid_entry2> System::supported_cpuid() const {
    // KVM_GET_SUPPORTED_CPUID wants the caller to guess the entry count and
    // answers E2BIG when the guess is too small. Layout: u32 nent, u32
    // padding, then the entries (see flex_array_ioctls.h for why by hand).
    for (uint32_t capacity = 128;; capacity *= 2) {
        std::vector<uint8_t> buffer(kCpuid2HeaderSize + capacity * sizeof(kvm_cpuid_entry2));
        std::memcpy(buffer.data(), &capacity, sizeof(capacity));
        if (::ioctl(fd_.get(), kGetSupportedCpuid, buffer.data()) < 0) {
            if (errno == E2BIG && capacity < 4096) {
                continue;
            }
            throw SystemError("KVM_GET_SUPPORTED_CPUID", errno);
        }
        uint32_t count = 0;
        std::memcpy(&count, buffer.data(), sizeof(count));
        std::vector<kvm_cpuid_entry2> entries(count);
        std::memcpy(entries.data(), buffer.data() + kCpuid2HeaderSize,
                    count * sizeof(kvm_cpuid_entry2));
        return entries;
    }
}

std::vector<uint32_t> System::msr_index_list() const {
    // Layout: u32 nmsrs, then the indices. The first call fails with E2BIG
    // and tells us how many there are.
    uint32_t count = 0;
    if (::ioctl(fd_.get(), kGetMsrIndexList, &count) < 0 && errno != E2BIG) {
        throw SystemError("KVM_GET_MSR_INDEX_LIST", errno);
    }
    std::vector<uint8_t> buffer(kMsrListHeaderSize + count * sizeof(uint32_t));
    std::memcpy(buffer.data(), &count, sizeof(count));
    checked_ioctl(fd_.get(), kGetMsrIndexList, "KVM_GET_MSR_INDEX_LIST", buffer.data());
    std::memcpy(&count, buffer.data(), sizeof(count));
    std::vector<uint32_t> indices(count);
    std::memcpy(indices.data(), buffer.data() + kMsrListHeaderSize, count * sizeof(uint32_t));
    return indices;
}

VmFd System::create_vm() const {
    // Type 0 is the default x86 VM.
    int vm = KVM_IOCTL(fd_.get(), KVM_CREATE_VM, 0);
    return VmFd(UniqueFd(vm), vcpu_mmap_size());
}

}  // namespace berth::kvm
