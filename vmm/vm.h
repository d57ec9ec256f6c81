// A whole virtual machine: KVM objects, guest memory, devices on their buses,
// and the vCPUs, assembled from a checked VmConfig and then run to the end.
//
// Construction order follows the data: KVM → memory → firmware tables and
// kernel in memory → devices → vCPUs. run() starts the vCPU threads and the
// console, waits for a stop request (from the guest, the console, a signal or
// the timeout), stops everything, and says why it stopped.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "devices/bus.h"
#include "devices/legacy/pic_8259.h"
#include "devices/legacy/pit_8254.h"
#include "vmm/boot/linux_loader.h"
#include "vmm/boot_inputs.h"
#include "vmm/console/console_input.h"
#include "vmm/event_loop.h"
#include "vmm/gdb/debug_controller.h"
#include "vmm/gdb/gdb_server.h"
#include "vmm/kvm/system.h"
#include "vmm/kvm/vm_fd.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/run_control.h"
#include "vmm/seccomp/thread_filters.h"
#include "vmm/timeline.h"
#include "vmm/trace/exit_deliveries.h"
#include "vmm/trace/exit_stats_report.h"
#include "vmm/trace/exit_tracer.h"
#include "vmm/trace/kernel_log.h"
#include "vmm/vcpu/vcpu.h"
#include "vmm/virtio_doorbells.h"
#include "vmm/vm_config.h"

namespace berth {

namespace devices {
class Uart16550;
}
namespace pci {
class PciBus;
class MsiSink;
}  // namespace pci
namespace virtio {
class VirtioConsole;
}

class Vm {
public:
    // Takes over the disk images (and other device back-ends) in `inputs`.
    Vm(const VmConfig& config, BootInputs& inputs, Timeline& timeline);
    ~Vm();
    Vm(const Vm&) = delete;
    Vm& operator=(const Vm&) = delete;

    StopReason run();

    // The guest kernel's milestones seen on its console so far (any thread).
    const trace::KernelLog& kernel_log() const { return kernel_log_; }

    // With --stats or --stats-json: what the exits added up to, once run()
    // has returned; null otherwise.
    const trace::ExitReport* exit_report() const { return exit_report_ ? &*exit_report_ : nullptr; }

private:
    void create_devices(BootInputs& inputs);
    void create_virtio_devices(BootInputs& inputs, const std::shared_ptr<pci::MsiSink>& msi_sink);
    void add_virtio_device(std::shared_ptr<virtio::VirtioDevice> device,
                           const std::shared_ptr<pci::MsiSink>& msi_sink);
    console::InputTarget console_input_target();
    void update_terminal_size();
    kvm_regs load_linux(BootInputs& inputs);
    kvm_regs load_lab_image(const boot::FlatImage& image);
    void create_lab_devices();
    void create_user_space_timer();
    void create_vcpus(const kvm_regs& first_vcpu_regs);
    void write_console_output(std::span<const uint8_t> bytes);
    StopReason wait_for_stop();
    // Null unless statistics are on, so that nobody counts for nothing.
    trace::DeliveryCounters* delivery_counters();
    trace::KvmStatsReport read_kvm_stats() const;

    const VmConfig& config_;
    Timeline& timeline_;
    // --seccomp (vmm/seccomp, docs/seccomp.md): each thread kind's filter,
    // compiled before the first thread is made (device workers are made with
    // the devices) and installed by each thread as it starts. Declared before
    // everything that owns a thread, so that it outlives them all.
    std::unique_ptr<seccomp::ThreadFilters> seccomp_filters_;
    seccomp::ActiveFilters active_seccomp_filters_;
    // Set by run() once the main thread's filter is in place, after every
    // other thread was started: the vCPUs wait for it before their first
    // KVM_RUN.
    std::atomic<bool> vcpus_may_run_{false};
    // Reads printk timestamps from all console output, --trace-boot or not:
    // a line buffer and a dozen milestones, once per console write.
    trace::KernelLog kernel_log_;
    // Virtio devices added per kind ("virtio-blk": 2), for naming their
    // timeline events: the second disk is "virtio-blk#2".
    std::map<std::string, unsigned, std::less<>> virtio_devices_of_kind_;
    RunControl control_;
    // The exit observatory; declared before everything that reports to it.
    std::unique_ptr<trace::ExitTracer> exit_tracer_;
    trace::DeliveryCounters deliveries_;
    std::optional<trace::ExitReport> exit_report_;
    // The all-stop controller the vCPU threads call (idle without --gdb) and,
    // with --gdb, the stub's server: bound here, before /dev/kvm is opened, so
    // that a port in use is the user's error before anything is made.
    // Declared before vcpus_: the threads call it until they are joined.
    gdb::DebugController debug_;
    std::unique_ptr<gdb::GdbServer> gdb_server_;
    kvm::System kvm_;
    kvm::VmFd vm_;
    GuestMemory memory_;
    devices::Bus io_bus_{"io"};
    devices::Bus mmio_bus_{"mmio"};
    // Places BARs on the two buses above, so it is declared (and destroyed) after them.
    std::shared_ptr<pci::PciBus> pci_bus_;
    EventLoop event_loop_;  // ioeventfd doorbells of virtio devices
    std::vector<std::unique_ptr<VirtioDoorbells>> doorbells_;
    std::shared_ptr<devices::Uart16550> uart_;
    // --irqchip none: the PIC and PIT in user space (lab 5), instead of KVM's.
    std::shared_ptr<devices::Pic8259> pic_;
    std::shared_ptr<devices::Pit8254> pit_;
    // --console virtio: hvc0, which then gets the terminal's input.
    std::shared_ptr<virtio::VirtioConsole> virtio_console_;
    std::vector<std::unique_ptr<vcpu::Vcpu>> vcpus_;
};

}  // namespace berth
