#include "vmm/vcpu/vm_exit.h"

namespace berth::vcpu {

VmExit decode_exit(kvm_run& run, size_t run_size) {
    switch (run.exit_reason) {
        case KVM_EXIT_IO: {
            const uint64_t offset = run.io.data_offset;
            const uint64_t length = uint64_t{run.io.size} * run.io.count;
            if (offset > run_size || length > run_size - offset) {
                return UnknownExit{run.exit_reason};  // KVM broke its own contract
            }
            // kvm_run is followed by the I/O data page inside the same mapping.
            auto* base = reinterpret_cast<uint8_t*>(&run);
            return IoExit{run.io.port, run.io.size, run.io.count,
                          run.io.direction == KVM_EXIT_IO_OUT,
                          std::span<uint8_t>(base + offset, length)};
        }
        case KVM_EXIT_MMIO: {
            const uint32_t length = run.mmio.len <= sizeof(run.mmio.data) ? run.mmio.len : 0;
            return MmioExit{run.mmio.phys_addr, run.mmio.is_write != 0,
                            std::span<uint8_t>(run.mmio.data, length)};
        }
        case KVM_EXIT_HLT:
            return HltExit{};
        case KVM_EXIT_SHUTDOWN:
            return ShutdownExit{};
        case KVM_EXIT_SYSTEM_EVENT:
            return SystemEventExit{run.system_event.type};
        case KVM_EXIT_FAIL_ENTRY:
            return FailEntryExit{run.fail_entry.hardware_entry_failure_reason};
        case KVM_EXIT_INTERNAL_ERROR:
            return InternalErrorExit{run.internal.suberror};
        case KVM_EXIT_DEBUG:
            return DebugExit{run.debug.arch};
        case KVM_EXIT_INTR:
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            return RetryExit{};
        default:
            return UnknownExit{run.exit_reason};
    }
}

}  // namespace berth::vcpu
