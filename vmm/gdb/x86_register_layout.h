// The x86-64 registers as gdb sees them, in the order of the `g` packet.
//
// gdb's amd64 architecture requires the feature org.gnu.gdb.i386.core with
// all of rax..gs, st0..st7 and the eight x87 control registers, in this
// order (gdb's manual, "i386 Features"). The optional features follow:
// org.gnu.gdb.i386.sse (xmm0..xmm15, mxcsr), org.gnu.gdb.i386.segments
// (fs_base, gs_base), and Berth's own org.berth.x86.system, which gdb shows
// by name: k_gs_base (the MSR swapgs exchanges with gs_base), the control
// registers and EFER. The target description (target_description.cpp) is
// generated from this table, so the XML and the packet layout cannot
// disagree.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace berth::gdb {

enum class RegisterFeature { kCore, kSse, kSegments, kSystem };

struct RegisterInfo {
    std::string_view name;
    uint16_t bits;
    std::string_view type;   // a gdb type name, or one defined in the description
    std::string_view group;  // empty: gdb's default for the type
    RegisterFeature feature;
};

// gdb register numbers, which are also the order in the `g` packet.
// clang-format off
enum class Reg : uint8_t {
    kRax, kRbx, kRcx, kRdx, kRsi, kRdi, kRbp, kRsp,
    kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
    kRip, kEflags,
    kCs, kSs, kDs, kEs, kFs, kGs,
    kSt0, kSt1, kSt2, kSt3, kSt4, kSt5, kSt6, kSt7,
    kFctrl, kFstat, kFtag, kFiseg, kFioff, kFoseg, kFooff, kFop,
    kXmm0, kXmm1, kXmm2, kXmm3, kXmm4, kXmm5, kXmm6, kXmm7,
    kXmm8, kXmm9, kXmm10, kXmm11, kXmm12, kXmm13, kXmm14, kXmm15,
    kMxcsr,
    kFsBase, kGsBase,
    kKernelGsBase, kCr0, kCr2, kCr3, kCr4, kCr8, kEfer,
    kCount,
};
// clang-format on

inline constexpr size_t kRegisterCount = static_cast<size_t>(Reg::kCount);

const std::array<RegisterInfo, kRegisterCount>& register_table();

// Where register `number` starts in the `g` packet's bytes, and how many it has.
size_t register_offset(size_t number);
size_t register_size(size_t number);
// All registers together: the length of a `g` reply in bytes (608).
size_t register_file_size();

constexpr size_t index_of(Reg reg) {
    return static_cast<size_t>(reg);
}

}  // namespace berth::gdb
