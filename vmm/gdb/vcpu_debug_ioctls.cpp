#include "vmm/gdb/vcpu_debug_ioctls.h"

#include <cstddef>

#include "vmm/kvm/flex_array_ioctls.h"
#include "vmm/kvm/ioctl.h"

namespace berth::gdb {
namespace {

// KVM_GET_MSRS built from the C size of struct kvm_msrs, as flex_array_ioctls.h explains.
constexpr unsigned long kGetMsrs = _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x88, kvm::kMsrsHeaderSize);
static_assert(kGetMsrs == 0xc008ae88);

// u32 nmsrs, u32 pad, then one entry.
struct OneMsr {
    uint32_t count = 1;
    uint32_t pad = 0;
    kvm_msr_entry entry{};
};
static_assert(offsetof(OneMsr, entry) == kvm::kMsrsHeaderSize);

}  // namespace

kvm_regs get_regs(int vcpu_fd) {
    kvm_regs regs{};
    KVM_IOCTL(vcpu_fd, KVM_GET_REGS, &regs);
    return regs;
}

void set_regs(int vcpu_fd, const kvm_regs& regs) {
    KVM_IOCTL(vcpu_fd, KVM_SET_REGS, &regs);
}

kvm_sregs get_sregs(int vcpu_fd) {
    kvm_sregs sregs{};
    KVM_IOCTL(vcpu_fd, KVM_GET_SREGS, &sregs);
    return sregs;
}

void set_sregs(int vcpu_fd, const kvm_sregs& sregs) {
    KVM_IOCTL(vcpu_fd, KVM_SET_SREGS, &sregs);
}

kvm_fpu get_fpu(int vcpu_fd) {
    kvm_fpu fpu{};
    KVM_IOCTL(vcpu_fd, KVM_GET_FPU, &fpu);
    return fpu;
}

void set_fpu(int vcpu_fd, const kvm_fpu& fpu) {
    KVM_IOCTL(vcpu_fd, KVM_SET_FPU, &fpu);
}

// Both return how many MSRs KVM processed: 0 means it refused this one.
std::optional<uint64_t> get_msr(int vcpu_fd, uint32_t index) {
    OneMsr msr;
    msr.entry.index = index;
    if (kvm::checked_ioctl(vcpu_fd, kGetMsrs, "KVM_GET_MSRS", &msr) != 1) {
        return std::nullopt;
    }
    return msr.entry.data;
}

bool set_msr(int vcpu_fd, uint32_t index, uint64_t value) {
    OneMsr msr;
    msr.entry.index = index;
    msr.entry.data = value;
    return kvm::checked_ioctl(vcpu_fd, kvm::kSetMsrs, "KVM_SET_MSRS", &msr) == 1;
}

void set_guest_debug(int vcpu_fd, const kvm_guest_debug& debug) {
    KVM_IOCTL(vcpu_fd, KVM_SET_GUEST_DEBUG, &debug);
}

std::optional<uint64_t> translate(int vcpu_fd, uint64_t linear_address) {
    kvm_translation translation{};
    translation.linear_address = linear_address;
    KVM_IOCTL(vcpu_fd, KVM_TRANSLATE, &translation);
    if (translation.valid == 0) {
        return std::nullopt;
    }
    return translation.physical_address;
}

}  // namespace berth::gdb
