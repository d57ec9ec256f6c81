#include "vmm/gdb/x86_register_layout.h"

namespace berth::gdb {
namespace {

using F = RegisterFeature;

constexpr std::array<RegisterInfo, kRegisterCount> kTable{{
    {"rax", 64, "int64", "", F::kCore},
    {"rbx", 64, "int64", "", F::kCore},
    {"rcx", 64, "int64", "", F::kCore},
    {"rdx", 64, "int64", "", F::kCore},
    {"rsi", 64, "int64", "", F::kCore},
    {"rdi", 64, "int64", "", F::kCore},
    {"rbp", 64, "data_ptr", "", F::kCore},
    {"rsp", 64, "data_ptr", "", F::kCore},
    {"r8", 64, "int64", "", F::kCore},
    {"r9", 64, "int64", "", F::kCore},
    {"r10", 64, "int64", "", F::kCore},
    {"r11", 64, "int64", "", F::kCore},
    {"r12", 64, "int64", "", F::kCore},
    {"r13", 64, "int64", "", F::kCore},
    {"r14", 64, "int64", "", F::kCore},
    {"r15", 64, "int64", "", F::kCore},
    {"rip", 64, "code_ptr", "", F::kCore},
    {"eflags", 32, "i386_eflags", "", F::kCore},
    {"cs", 32, "int32", "", F::kCore},
    {"ss", 32, "int32", "", F::kCore},
    {"ds", 32, "int32", "", F::kCore},
    {"es", 32, "int32", "", F::kCore},
    {"fs", 32, "int32", "", F::kCore},
    {"gs", 32, "int32", "", F::kCore},
    {"st0", 80, "i387_ext", "", F::kCore},
    {"st1", 80, "i387_ext", "", F::kCore},
    {"st2", 80, "i387_ext", "", F::kCore},
    {"st3", 80, "i387_ext", "", F::kCore},
    {"st4", 80, "i387_ext", "", F::kCore},
    {"st5", 80, "i387_ext", "", F::kCore},
    {"st6", 80, "i387_ext", "", F::kCore},
    {"st7", 80, "i387_ext", "", F::kCore},
    {"fctrl", 32, "int", "float", F::kCore},
    {"fstat", 32, "int", "float", F::kCore},
    {"ftag", 32, "int", "float", F::kCore},
    {"fiseg", 32, "int", "float", F::kCore},
    {"fioff", 32, "int", "float", F::kCore},
    {"foseg", 32, "int", "float", F::kCore},
    {"fooff", 32, "int", "float", F::kCore},
    {"fop", 32, "int", "float", F::kCore},
    {"xmm0", 128, "vec128", "", F::kSse},
    {"xmm1", 128, "vec128", "", F::kSse},
    {"xmm2", 128, "vec128", "", F::kSse},
    {"xmm3", 128, "vec128", "", F::kSse},
    {"xmm4", 128, "vec128", "", F::kSse},
    {"xmm5", 128, "vec128", "", F::kSse},
    {"xmm6", 128, "vec128", "", F::kSse},
    {"xmm7", 128, "vec128", "", F::kSse},
    {"xmm8", 128, "vec128", "", F::kSse},
    {"xmm9", 128, "vec128", "", F::kSse},
    {"xmm10", 128, "vec128", "", F::kSse},
    {"xmm11", 128, "vec128", "", F::kSse},
    {"xmm12", 128, "vec128", "", F::kSse},
    {"xmm13", 128, "vec128", "", F::kSse},
    {"xmm14", 128, "vec128", "", F::kSse},
    {"xmm15", 128, "vec128", "", F::kSse},
    {"mxcsr", 32, "i386_mxcsr", "vector", F::kSse},
    {"fs_base", 64, "int", "", F::kSegments},
    {"gs_base", 64, "int", "", F::kSegments},
    {"k_gs_base", 64, "int", "system", F::kSystem},
    {"cr0", 64, "x86_cr0", "system", F::kSystem},
    {"cr2", 64, "int", "system", F::kSystem},
    {"cr3", 64, "int", "system", F::kSystem},
    {"cr4", 64, "x86_cr4", "system", F::kSystem},
    {"cr8", 64, "int", "system", F::kSystem},
    {"efer", 64, "x86_efer", "system", F::kSystem},
}};

constexpr std::array<size_t, kRegisterCount + 1> make_offsets() {
    std::array<size_t, kRegisterCount + 1> offsets{};
    for (size_t i = 0; i < kRegisterCount; ++i) {
        offsets[i + 1] = offsets[i] + kTable[i].bits / 8;
    }
    return offsets;
}

constexpr auto kOffsets = make_offsets();

// The numbers gdb's amd64 code expects (amd64-tdep.h): a table edit that
// moved them would break every client.
static_assert(kTable[index_of(Reg::kRip)].name == "rip");
static_assert(kTable[index_of(Reg::kSt0)].name == "st0" && index_of(Reg::kSt0) == 24);
static_assert(kTable[index_of(Reg::kXmm0)].name == "xmm0" && index_of(Reg::kXmm0) == 40);
static_assert(kTable[index_of(Reg::kMxcsr)].name == "mxcsr");
static_assert(kTable[index_of(Reg::kEfer)].name == "efer");
static_assert(kOffsets[kRegisterCount] == 608);

}  // namespace

const std::array<RegisterInfo, kRegisterCount>& register_table() {
    return kTable;
}

size_t register_offset(size_t number) {
    return kOffsets.at(number);
}

size_t register_size(size_t number) {
    return kTable.at(number).bits / 8;
}

size_t register_file_size() {
    return kOffsets[kRegisterCount];
}

}  // namespace berth::gdb
