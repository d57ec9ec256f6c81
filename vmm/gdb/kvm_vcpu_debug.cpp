#include "vmm/gdb/kvm_vcpu_debug.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

#include "vmm/common/error.h"
#include "vmm/gdb/kvm_register_conversion.h"
#include "vmm/gdb/vcpu_debug_ioctls.h"

namespace berth::gdb {
namespace {

constexpr uint64_t kPageSize = 4096;

KvmRegisterState read_state(int fd) {
    KvmRegisterState state;
    state.regs = get_regs(fd);
    state.sregs = get_sregs(fd);
    state.fpu = get_fpu(fd);
    state.kernel_gs_base = get_msr(fd, kMsrKernelGsBase).value_or(0);
    return state;
}

template <typename T>
bool same_bytes(const T& a, const T& b) {
    return std::memcmp(&a, &b, sizeof(T)) == 0;
}

}  // namespace

void KvmVcpuDebug::clear_kick() {
    std::atomic_ref<uint8_t>(run_->immediate_exit).store(0, std::memory_order_release);
}

RegisterFile KvmVcpuDebug::read_registers() {
    return to_register_file(read_state(vcpu_fd_));
}

// Only the groups gdb changed are written back: a `P rax` does not rewrite
// the segment descriptors or the FPU.
void KvmVcpuDebug::write_registers(const RegisterFile& registers) {
    const KvmRegisterState before = read_state(vcpu_fd_);
    KvmRegisterState after = before;
    apply_register_file(registers, after);
    if (!same_bytes(after.regs, before.regs)) {
        set_regs(vcpu_fd_, after.regs);
    }
    if (!same_bytes(after.sregs, before.sregs)) {
        set_sregs(vcpu_fd_, after.sregs);
    }
    if (!same_bytes(after.fpu, before.fpu)) {
        set_fpu(vcpu_fd_, after.fpu);
    }
    if (after.kernel_gs_base != before.kernel_gs_base &&
        !set_msr(vcpu_fd_, kMsrKernelGsBase, after.kernel_gs_base)) {
        throw SystemError("KVM_SET_MSRS (MSR_KERNEL_GS_BASE)", EINVAL);
    }
}

std::optional<GuestAddress> KvmVcpuDebug::physical(uint64_t linear) const {
    const auto address = translate(vcpu_fd_, linear);
    if (!address) {
        return std::nullopt;
    }
    return GuestAddress(*address);
}

// Page by page: consecutive virtual pages need not be consecutive in RAM.
size_t KvmVcpuDebug::read_memory(uint64_t address, std::span<uint8_t> out) {
    size_t done = 0;
    while (done < out.size()) {
        uint64_t linear = 0;
        if (__builtin_add_overflow(address, done, &linear)) {
            break;
        }
        const size_t chunk = std::min<uint64_t>(out.size() - done, kPageSize - linear % kPageSize);
        const auto guest = physical(linear);
        if (!guest || !memory_.read(*guest, out.subspan(done, chunk))) {
            break;  // unmapped, or not RAM (MMIO): the reply is what was read so far
        }
        done += chunk;
    }
    return done;
}

// All or nothing: every page is translated and checked before the first byte is written.
bool KvmVcpuDebug::write_memory(uint64_t address, std::span<const uint8_t> data) {
    struct Piece {
        GuestAddress guest;
        std::span<const uint8_t> bytes;
    };
    std::vector<Piece> pieces;
    for (size_t done = 0; done < data.size();) {
        uint64_t linear = 0;
        if (__builtin_add_overflow(address, done, &linear)) {
            return false;
        }
        const size_t chunk = std::min<uint64_t>(data.size() - done, kPageSize - linear % kPageSize);
        const auto guest = physical(linear);
        if (!guest || !memory_.contains(*guest, chunk)) {
            return false;
        }
        pieces.push_back({*guest, data.subspan(done, chunk)});
        done += chunk;
    }
    for (const Piece& piece : pieces) {
        memory_.write(piece.guest, piece.bytes);
    }
    return true;
}

void KvmVcpuDebug::set_guest_debug(const DebugRegisters& registers, bool single_step) {
    kvm_guest_debug debug{};
    // Nothing to watch: control 0 gives the guest back its own debug registers.
    if (registers.any_enabled() || single_step) {
        debug.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
        if (single_step) {
            // BLOCKIRQ keeps a pending timer interrupt from turning "one
            // instruction" into "the first instruction of the interrupt handler".
            debug.control |= KVM_GUESTDBG_SINGLESTEP | (block_irq_ ? KVM_GUESTDBG_BLOCKIRQ : 0);
        }
        std::copy(registers.address.begin(), registers.address.end(), debug.arch.debugreg);
        debug.arch.debugreg[7] = registers.dr7;
    }
    if (applied_ && same_bytes(*applied_, debug)) {
        return;
    }
    try {
        gdb::set_guest_debug(vcpu_fd_, debug);
    } catch (const SystemError& error) {
        if (error.error_number() != EINVAL || (debug.control & KVM_GUESTDBG_BLOCKIRQ) == 0) {
            throw;
        }
        block_irq_ = false;  // an older KVM: step without it
        debug.control &= ~KVM_GUESTDBG_BLOCKIRQ;
        gdb::set_guest_debug(vcpu_fd_, debug);
    }
    applied_ = debug;
}

}  // namespace berth::gdb
