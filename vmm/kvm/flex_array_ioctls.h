// KVM requests whose argument struct ends in a flexible array, fixed for C++.
//
// Linux 6.1's uapi headers declare those arrays with __DECLARE_FLEX_ARRAY,
// which in C++ wraps them next to an empty struct. That makes sizeof(struct
// kvm_cpuid2) 12 instead of 8 and moves `entries` from offset 8 to 12, so both
// the request numbers (which encode the size) and the data layout differ from
// what the kernel expects. Berth therefore builds these requests from the C
// sizes and lays the arrays out itself: a fixed header, then the entries.
#pragma once

#include <linux/kvm.h>

#include <cstddef>
#include <cstdint>

namespace berth::kvm {

// Header sizes as C compiles them: two __u32 for kvm_cpuid2 and kvm_msrs
// (count + padding), one for kvm_msr_list, and (u32 nr, u32 flags) for
// kvm_irq_routing.
inline constexpr size_t kCpuid2HeaderSize = 8;
inline constexpr size_t kMsrsHeaderSize = 8;
inline constexpr size_t kMsrListHeaderSize = 4;
inline constexpr size_t kIrqRoutingHeaderSize = 8;

inline constexpr unsigned long kGetSupportedCpuid =
    _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, kCpuid2HeaderSize);
inline constexpr unsigned long kSetCpuid2 = _IOC(_IOC_WRITE, KVMIO, 0x90, kCpuid2HeaderSize);
inline constexpr unsigned long kGetMsrIndexList =
    _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x02, kMsrListHeaderSize);
inline constexpr unsigned long kSetMsrs = _IOC(_IOC_WRITE, KVMIO, 0x89, kMsrsHeaderSize);
inline constexpr unsigned long kSetGsiRouting =
    _IOC(_IOC_WRITE, KVMIO, 0x6a, kIrqRoutingHeaderSize);

// The values a C compiler gives these macros, checked so a typo cannot slip in.
static_assert(kGetSupportedCpuid == 0xc008ae05);
static_assert(kSetCpuid2 == 0x4008ae90);
static_assert(kGetMsrIndexList == 0xc004ae02);
static_assert(kSetMsrs == 0x4008ae89);
static_assert(kSetGsiRouting == 0x4008ae6a);

}  // namespace berth::kvm
