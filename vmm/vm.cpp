#include "vmm/vm.h"

#include <linux/virtio_config.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "devices/lab/calculator.h"
#include "devices/lab/debug_console.h"
#include "devices/lab/exit_port.h"
#include "devices/legacy/acpi_pm.h"
#include "devices/legacy/boot_marker.h"
#include "devices/legacy/cmos_rtc.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/post_code_port.h"
#include "devices/legacy/uart_16550.h"
#include "devices/pci/config_ports.h"
#include "devices/pci/pci_bus.h"
#include "devices/virtio/blk/virtio_blk.h"
#include "devices/virtio/console/virtio_console.h"
#include "devices/virtio/net/virtio_net.h"
#include "devices/virtio/pci/virtio_pci_device.h"
#include "devices/virtio/rng/virtio_rng.h"
#include "firmware/acpi/acpi_tables.h"
#include "vmm/boot/cpu_mode.h"
#include "vmm/boot/cpu_setup.h"
#include "vmm/boot/flat_image.h"
#include "vmm/boot/linux_loader.h"
#include "vmm/common/error.h"
#include "vmm/console/console_input.h"
#include "vmm/console/raw_terminal.h"
#include "vmm/gdb/kvm_vcpu_debug.h"
#include "vmm/layout.h"
#include "vmm/trace/kvm_binary_stats.h"
#include "vmm/vcpu/boot_msrs.h"
#include "vmm/vcpu/cpuid.h"
#include "vmm/vcpu/lapic.h"

namespace berth {
namespace {

// An ISA interrupt line of the in-kernel irqchip (PIC + IOAPIC pin).
// `deliveries` counts the calls with --stats (null otherwise).
class KvmIrqLine : public devices::IrqLine {
public:
    KvmIrqLine(const kvm::VmFd& vm, uint32_t irq, trace::DeliveryCounters* deliveries)
        : vm_(vm), irq_(irq), deliveries_(deliveries) {}
    void set_level(bool high) override {
        vm_.set_irq_line(irq_, high);
        if (deliveries_ != nullptr) {
            deliveries_->irq_line(high);
        }
    }

private:
    const kvm::VmFd& vm_;
    uint32_t irq_;
    trace::DeliveryCounters* deliveries_;
};

// An interrupt line that goes nowhere: a machine without an interrupt
// controller (--irqchip none) has nothing to raise.
class UnwiredIrqLine : public devices::IrqLine {
public:
    void set_level(bool) override {}
};

// MSI-X messages from PCI devices, injected with KVM_SIGNAL_MSI.
class KvmMsiSink : public pci::MsiSink {
public:
    KvmMsiSink(const kvm::VmFd& vm, trace::DeliveryCounters* deliveries)
        : vm_(vm), deliveries_(deliveries) {}
    void send_msi(uint64_t address, uint32_t data) override {
        try {
            const bool delivered = vm_.signal_msi(address, data);
            if (deliveries_ != nullptr) {
                deliveries_->msi(delivered);
            }
        } catch (const SystemError& error) {
            std::fprintf(stderr, "berth: %s\n", error.what());  // the interrupt is lost, not the VM
        }
    }

private:
    const kvm::VmFd& vm_;
    trace::DeliveryCounters* deliveries_;
};

// What the threads' allow-lists depend on (vmm/seccomp/seccomp_policy.h).
seccomp::PolicyOptions seccomp_policy_options(const VmConfig& config) {
    return {
        .pid = getpid(),
        .kernel_irqchip = config.irqchip == IrqchipKind::kKernel,
        .disks = !config.disks.empty(),
        .nets = !config.nets.empty(),
        .rng = config.rng,
        .virtio_console = config.console == ConsoleKind::kVirtio,
        .gdb = config.gdb.has_value(),
        .kvm_stats = config.collect_stats(),
        .write_report_files = !config.trace_boot_path.empty() || !config.stats_json_path.empty(),
    };
}

kvm::System open_kvm(const VmConfig& config) {
    auto system = kvm::System::open(config.kvm_device);
    const int max_vcpus = system.max_vcpus();
    if (config.cpus > static_cast<uint32_t>(max_vcpus)) {
        throw UserError(fmt::format("--cpus {} is more than this host's KVM allows ({})",
                                    config.cpus, max_vcpus));
    }
    return system;
}

}  // namespace

Vm::Vm(const VmConfig& config, BootInputs& inputs, Timeline& timeline)
    : config_(config),
      timeline_(timeline),
      seccomp_filters_(
          seccomp::ThreadFilters::compile(config.seccomp, seccomp_policy_options(config))),
      active_seccomp_filters_(seccomp_filters_.get()),
      exit_tracer_(config.trace_exits ? trace::ExitTracer::to_stderr(*config.trace_exits)
                                      : nullptr),
      debug_(config.gdb.has_value(),
             [this] {
                 control_.request_stop({StopKind::kConsoleQuit, "stopped by gdb (kill)", 0});
             }),
      gdb_server_(config.gdb ? std::make_unique<gdb::GdbServer>(*config.gdb, debug_) : nullptr),
      kvm_(open_kvm(config)),
      vm_(kvm_.create_vm()),
      memory_(GuestMemory::create(x86_ram_ranges(config.memory_size))) {
    // The in-kernel devices come first: vCPUs created later get a LAPIC.
    vm_.set_tss_address(layout::kKvmTssStart);
    vm_.set_identity_map_address(layout::kKvmIdentityMapStart);
    if (config.irqchip == IrqchipKind::kKernel) {
        vm_.create_irqchip();
        vm_.create_pit();
    }
    timeline_.mark(Milestone::kKvmReady);

    uint32_t slot = 0;
    for (const MemoryRegion& region : memory_.regions()) {
        vm_.set_user_memory_region(slot++, region.start, region.size, region.host);
    }
    timeline_.mark(Milestone::kMemoryMapped);

    const kvm_regs first_vcpu_regs =
        inputs.image ? load_lab_image(*inputs.image) : load_linux(inputs);
    timeline_.mark(Milestone::kKernelLoaded);

    create_devices(inputs);
    create_vcpus(first_vcpu_regs);
}

// Firmware tables, the kernel, its command line and initrd, and the page
// tables and GDT of the 64-bit boot protocol; returns vCPU 0's registers.
kvm_regs Vm::load_linux(BootInputs& inputs) {
    // The board of vmm/layout.h, with the PCI host bridge in the DSDT.
    acpi::AcpiConfig acpi_config = acpi::default_acpi_config(config_.cpus);
    acpi_config.pci =
        acpi::AcpiConfig::PciHostBridge{static_cast<uint32_t>(layout::kPciMmioStart.value()),
                                        static_cast<uint32_t>(layout::kPciMmioSize)};
    const acpi::AcpiTables tables =
        acpi::build_acpi_tables(acpi_config, layout::kAcpiStart, layout::kAcpiSize);
    if (!memory_.write(layout::kAcpiStart, tables.bytes)) {
        throw SystemError("writing ACPI tables to guest memory", EFAULT);
    }

    const boot::LinuxBootInfo boot_info =
        inputs.vmlinux ? boot::load_vmlinux(memory_, *inputs.vmlinux, inputs.kernel_file,
                                            inputs.initrd, config_.cmdline, tables.rsdp)
                       : boot::load_linux(memory_, inputs.kernel, inputs.kernel_file, inputs.initrd,
                                          config_.cmdline, tables.rsdp);
    boot::write_boot_gdt(memory_);
    boot::write_identity_page_tables(memory_);
    // The guest has its own copies now: close and unmap the files.
    inputs.kernel_file = MappedFile();
    inputs.initrd = MappedFile();
    return boot::boot_regs(boot_info);
}

// A lab guest (docs/lab-machine.md): the tables its CPU mode needs (GDT,
// page tables) and the flat image; returns vCPU 0's registers.
kvm_regs Vm::load_lab_image(const boot::FlatImage& image) {
    boot::write_cpu_mode_tables(memory_, config_.image->mode);
    boot::load_flat_image(memory_, image);
    return boot::cpu_mode_regs(config_.image->mode, image.placement.entry);
}

Vm::~Vm() {
    vcpus_may_run_.store(true);  // a vCPU waiting to start sees the stop instead
    vcpus_may_run_.notify_all();
    debug_.shutdown();  // a parked vCPU must not wait for gdb while Berth joins it
    if (gdb_server_) {
        gdb_server_->stop();
    }
    for (auto& vcpu : vcpus_) {
        vcpu->kick();
    }
    for (auto& vcpu : vcpus_) {
        vcpu->join();
    }
    // No doorbell may run once devices start going away.
    event_loop_.stop();
    doorbells_.clear();
    // The configuration ports share the PCI bus, and the PCI bus takes its
    // BARs off the buses when it goes: drop both while the buses still exist.
    if (pci_bus_) {
        io_bus_.remove(layout::kPciConfigPortStart);
        pci_bus_.reset();
    }
}

void Vm::write_console_output(std::span<const uint8_t> bytes) {
    timeline_.mark(Milestone::kFirstSerialByte);
    kernel_log_.feed(bytes, Timeline::now_since_process_start_us());
    while (!bytes.empty()) {
        ssize_t written = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) {
            // A kick: a full pipe nobody reads must not keep the VM from stopping.
            if (control_.stopping()) {
                return;
            }
            continue;
        }
        if (written <= 0) {
            return;  // stdout is gone (closed pipe): the guest's output is dropped
        }
        bytes = bytes.subspan(static_cast<size_t>(written));
    }
}

void Vm::create_devices(BootInputs& inputs) {
    std::shared_ptr<devices::IrqLine> com1_irq;
    if (config_.irqchip == IrqchipKind::kKernel) {
        com1_irq = std::make_shared<KvmIrqLine>(vm_, layout::kCom1Irq, delivery_counters());
    } else {
        com1_irq = std::make_shared<UnwiredIrqLine>();
    }
    uart_ = std::make_shared<devices::Uart16550>(
        std::move(com1_irq),
        [this](std::span<const uint8_t> bytes) { write_console_output(bytes); });
    io_bus_.insert(layout::kCom1Port, 8, uart_);
    io_bus_.insert(layout::kRtcPortStart, 2, std::make_shared<devices::CmosRtc>());
    io_bus_.insert(
        layout::kI8042DataPort, 5, std::make_shared<devices::I8042>([this] {
            control_.request_stop({StopKind::kReset, "guest reset (keyboard controller)", 0});
        }));
    io_bus_.insert(
        layout::kAcpiPmStart, layout::kAcpiPmSize, std::make_shared<devices::AcpiPm>([this] {
            control_.request_stop({StopKind::kPowerOff, "guest powered off (ACPI S5)", 0});
        }));
    io_bus_.insert(layout::kPostCodePort, 1, std::make_shared<devices::PostCodePort>());
    if (config_.irqchip == IrqchipKind::kNone) {
        create_user_space_timer();
    }
    // PCI: the host bridge at 00:00.0, reached through ports 0xCF8-0xCFF.
    pci_bus_ = std::make_shared<pci::PciBus>(
        mmio_bus_, io_bus_,
        pci::PciWindows{{layout::kPciMmioStart.value(), layout::kPciMmioSize},
                        {layout::kPciIoStart, layout::kPciIoSize}});
    io_bus_.insert(layout::kPciConfigPortStart, layout::kPciConfigPortSize,
                   std::make_shared<pci::ConfigPorts>(pci_bus_));
    create_virtio_devices(inputs, std::make_shared<KvmMsiSink>(vm_, delivery_counters()));
    if (config_.image) {
        create_lab_devices();
    }
    mmio_bus_.insert(layout::kBootMarkerStart.value(), layout::kBootMarkerSize,
                     std::make_shared<devices::BootMarker>([this](uint64_t, uint64_t) {
                         timeline_.mark(Milestone::kGuestInitReached);
                     }));
}

// Without KVM's irqchip (--irqchip none) KVM has no PIC or PIT: Berth's own
// take their ports, the PIT's timer runs on the event loop, and a tick that
// finds vCPU 0 inside KVM_RUN kicks it out to take the interrupt (vCPU 0
// injects it with KVM_INTERRUPT, vcpu/vcpu.cpp). Lab 5 compares the two.
void Vm::create_user_space_timer() {
    pic_ = std::make_shared<devices::Pic8259>();
    pic_->set_on_pending([this] {
        if (!vcpus_.empty()) {
            vcpus_.front()->kick();
        }
    });
    pit_ = std::make_shared<devices::Pit8254>([pic = pic_] { pic->raise(layout::kPitIrq); });
    io_bus_.insert(layout::kPicMasterPort, 2, pic_);
    io_bus_.insert(layout::kPitPortStart, 4, pit_);
    event_loop_.add(pit_->timer_fd(), [pit = pit_] { pit->on_timer(); });
}

// The lab machine's own devices (devices/lab, docs/lab-machine.md): the
// debug console on port 0xe9 writes to stdout like the guest's console, the
// exit port ends the run with the guest's status, and the calculator is
// lab 2's MMIO device.
void Vm::create_lab_devices() {
    io_bus_.insert(layout::kDebugConsolePort, 1,
                   std::make_shared<devices::DebugConsole>([this](uint8_t byte) {
                       write_console_output(std::span<const uint8_t>(&byte, 1));
                   }));
    io_bus_.insert(layout::kExitPort, 1, std::make_shared<devices::ExitPort>([this](uint8_t value) {
                       StopReason reason{StopKind::kGuestExit,
                                         fmt::format("guest wrote {} to the exit port ({:#x})",
                                                     value, layout::kExitPort),
                                         0};
                       reason.guest_exit_status = value;
                       control_.request_stop(std::move(reason));
                   }));
    mmio_bus_.insert(layout::kCalculatorStart.value(), layout::kCalculatorSize,
                     std::make_shared<devices::Calculator>());
}

// Virtio devices on the PCI bus, one slot each in this order: disks (so the
// first --disk is the guest's vda), nets, the console, the rng.
void Vm::create_virtio_devices(BootInputs& inputs, const std::shared_ptr<pci::MsiSink>& msi_sink) {
    for (size_t i = 0; i < inputs.disks.size(); ++i) {
        add_virtio_device(std::make_shared<virtio::VirtioBlk>(std::move(inputs.disks[i]),
                                                              config_.disks[i].serial),
                          msi_sink);
    }
    inputs.disks.clear();
    for (size_t i = 0; i < inputs.taps.size(); ++i) {
        const auto mac =
            config_.nets[i].mac.value_or(virtio::VirtioNet::default_mac(static_cast<unsigned>(i)));
        add_virtio_device(std::make_shared<virtio::VirtioNet>(std::move(inputs.taps[i]), mac),
                          msi_sink);
    }
    inputs.taps.clear();
    if (config_.console == ConsoleKind::kVirtio) {
        virtio_console_ = std::make_shared<virtio::VirtioConsole>(
            [this](std::span<const uint8_t> bytes) { write_console_output(bytes); });
        update_terminal_size();
        add_virtio_device(virtio_console_, msi_sink);
    }
    if (config_.rng) {
        add_virtio_device(std::make_shared<virtio::VirtioRng>(), msi_sink);
    }
}

void Vm::add_virtio_device(std::shared_ptr<virtio::VirtioDevice> device,
                           const std::shared_ptr<pci::MsiSink>& msi_sink) {
    // The timeline records when the guest's driver brings the device up:
    // "virtio-blk DRIVER_OK", "virtio-blk#2 DRIVER_OK" for a second one, ...
    std::string kind(device->name());
    const unsigned number = ++virtio_devices_of_kind_[kind];
    const std::string event =
        (number == 1 ? kind : fmt::format("{}#{}", kind, number)) + " DRIVER_OK";
    auto transport =
        std::make_shared<virtio::VirtioPciDevice>(std::move(device), memory_, msi_sink);
    transport->set_status_observer([this, event](uint8_t status) {
        if ((status & VIRTIO_CONFIG_S_DRIVER_OK) != 0 &&
            (status & VIRTIO_CONFIG_S_NEEDS_RESET) == 0) {
            timeline_.mark_event(event);
        }
    });
    doorbells_.push_back(
        std::make_unique<VirtioDoorbells>(vm_, event_loop_, transport, delivery_counters()));
    pci_bus_->add_device(std::move(transport));
}

// The terminal's input goes to the guest's console: hvc0 with --console
// virtio, else the UART.
console::InputTarget Vm::console_input_target() {
    if (virtio_console_) {
        return {
            [this](std::span<const uint8_t> bytes) { return virtio_console_->offer_input(bytes); },
            [this](std::chrono::milliseconds timeout) {
                return virtio_console_->wait_for_input_space(timeout);
            }};
    }
    return {
        [this](std::span<const uint8_t> bytes) { return uart_->offer_input(bytes); },
        [this](std::chrono::milliseconds timeout) { return uart_->wait_for_input_space(timeout); }};
}

// hvc0's size follows the terminal's (at start and on SIGWINCH), so that
// full-screen programs in the guest fit it.
void Vm::update_terminal_size() {
    winsize size{};
    if (virtio_console_ && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col != 0) {
        virtio_console_->set_terminal_size(size.ws_col, size.ws_row);
    }
}

void Vm::create_vcpus(const kvm_regs& first_vcpu_regs) {
    const auto supported_cpuid = kvm_.supported_cpuid();
    const auto msrs = vcpu::boot_msrs();
    const size_t run_size = static_cast<size_t>(kvm_.vcpu_mmap_size());
    vcpu::VcpuContext context{.io_bus = io_bus_,
                              .mmio_bus = mmio_bus_,
                              .control = control_,
                              .timeline = timeline_,
                              .tracer = exit_tracer_.get(),
                              .collect_stats = config_.collect_stats(),
                              .debug = &debug_,
                              .start_gate = &vcpus_may_run_};

    for (uint32_t id = 0; id < config_.cpus; ++id) {
        auto fd = vm_.create_vcpu(id);
        fd.set_cpuid(vcpu::cpuid_for_vcpu(supported_cpuid, id, config_.cpus));
        // KVM stops at the first MSR it refuses; skip that one and go on.
        for (size_t start = 0; start < msrs.size();) {
            std::vector<kvm_msr_entry> rest(msrs.begin() + static_cast<long>(start), msrs.end());
            start += fd.set_msrs(rest) + 1;
        }
        if (config_.irqchip == IrqchipKind::kKernel) {
            auto lapic = fd.get_lapic();
            vcpu::wire_lapic_lints(lapic);
            fd.set_lapic(lapic);
        }
        fd.set_fpu(boot::boot_fpu());
        // Only the bootstrap processor starts at the kernel; the others wait
        // for the INIT/SIPI sequence the guest sends them (in-kernel LAPIC).
        if (id == 0) {
            kvm_sregs sregs = fd.get_sregs();
            if (config_.image) {
                boot::set_cpu_mode_sregs(sregs, config_.image->mode);
            } else {
                boot::set_long_mode_sregs(sregs);
            }
            fd.set_sregs(sregs);
            fd.set_regs(first_vcpu_regs);
        }
        context.pic = id == 0 ? pic_.get() : nullptr;
        vcpus_.push_back(std::make_unique<vcpu::Vcpu>(id, std::move(fd), run_size, context));
        vcpu::Vcpu* created = vcpus_.back().get();
        debug_.add_vcpu(std::make_unique<gdb::KvmVcpuDebug>(created->fd().get(),
                                                            created->fd().run_area(), memory_,
                                                            [created] { created->kick(); }));
    }
}

trace::DeliveryCounters* Vm::delivery_counters() {
    return config_.collect_stats() ? &deliveries_ : nullptr;
}

// KVM's own counters for the VM and each vCPU, while their fds are still open.
trace::KvmStatsReport Vm::read_kvm_stats() const {
    trace::KvmStatsReport report;
    if (kvm_.check_extension(KVM_CAP_BINARY_STATS_FD) <= 0) {
        report.reason = "this kernel has no KVM_CAP_BINARY_STATS_FD (Linux 5.14 or newer has it)";
        return report;
    }
    try {
        report.vm = trace::read_kvm_stats(vm_.open_stats().get());
        for (const auto& vcpu : vcpus_) {
            report.vcpus.push_back(trace::read_kvm_stats(vcpu->fd().open_stats().get()));
        }
        report.available = true;
    } catch (const std::exception& error) {
        report = trace::KvmStatsReport{};
        report.reason = error.what();
    }
    return report;
}

StopReason Vm::run() {
    // SIGINT/SIGTERM/SIGHUP (stop) and SIGWINCH (the terminal was resized)
    // are read from a signalfd by this thread only; block them before
    // starting threads so every thread inherits the mask.
    sigset_t handled_signals;
    sigemptyset(&handled_signals);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGWINCH}) {
        sigaddset(&handled_signals, signal_number);
    }
    pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);
    // An inherited SIG_IGN (a shell's background job ignores SIGINT) would
    // discard the signal before the signalfd could see it. Blocked first, so
    // the default action cannot kill Berth in between.
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        signal(signal_number, SIG_DFL);
    }
    UniqueFd signal_fd(signalfd(-1, &handled_signals, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd.valid()) {
        throw SystemError("signalfd", errno);
    }
    // A closed stdout must not kill Berth with SIGPIPE; the write just fails.
    signal(SIGPIPE, SIG_IGN);
    vcpu::Vcpu::install_kick_handler();

    console::RawTerminal terminal(STDIN_FILENO);
    console::ConsoleInput input(STDIN_FILENO, console_input_target(), control_);
    input.start();
    event_loop_.start();
    // Time zero of --trace-exits and --stats: the vCPUs start now.
    const uint64_t started_ns = trace::monotonic_ns();
    if (exit_tracer_) {
        exit_tracer_->set_origin(started_ns);
    }
    if (gdb_server_) {
        gdb_server_->start();
        const std::string address = gdb_server_->address().to_string();
        std::fprintf(stderr, "berth: waiting for gdb on %s (in gdb: target remote %s)\r\n",
                     address.c_str(), address.c_str());
    }
    for (auto& vcpu : vcpus_) {
        vcpu->start();
    }
    // Every other thread now exists and confines itself as it starts; the
    // main thread's own filter would have been inherited by each of them.
    // With it in place, the vCPUs may enter the guest.
    seccomp::confine_current_thread(seccomp::ThreadKind::kMain);
    vcpus_may_run_.store(true);
    vcpus_may_run_.notify_all();

    const auto deadline = config_.timeout
                              ? std::optional(std::chrono::steady_clock::now() + *config_.timeout)
                              : std::nullopt;
    while (!control_.stopping()) {
        int wait_ms = -1;
        if (deadline) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                *deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                control_.request_stop(
                    {StopKind::kTimeout,
                     fmt::format("stopped after --timeout {} s", config_.timeout->count() / 1000.0),
                     0});
                break;
            }
            wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1000));
        }
        std::array<pollfd, 2> fds{pollfd{signal_fd.get(), POLLIN, 0},
                                  pollfd{control_.event_fd(), POLLIN, 0}};
        if (poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) {
            throw SystemError("poll", errno);
        }
        if (fds[0].revents & POLLIN) {
            signalfd_siginfo info{};
            if (::read(signal_fd.get(), &info, sizeof(info)) != sizeof(info)) {
                continue;
            }
            if (info.ssi_signo == SIGWINCH) {
                update_terminal_size();
            } else {
                control_.request_stop(
                    {StopKind::kSignal,
                     fmt::format(
                         "stopped by signal {}",
                         sigabbrev_np(static_cast<int>(info.ssi_signo))
                             ? fmt::format("SIG{}", sigabbrev_np(static_cast<int>(info.ssi_signo)))
                             : std::to_string(info.ssi_signo)),
                     static_cast<int>(info.ssi_signo)});
            }
        }
    }

    debug_.shutdown();  // before the kicks: releases parked vCPUs, tells gdb the VM ended
    for (auto& vcpu : vcpus_) {
        vcpu->kick();
    }
    for (auto& vcpu : vcpus_) {
        vcpu->join();
    }
    if (gdb_server_) {
        gdb_server_->stop();
    }
    const uint64_t stopped_ns = trace::monotonic_ns();
    if (exit_tracer_) {
        exit_tracer_->finish();
    }
    if (config_.collect_stats()) {
        trace::ExitReport report;
        report.vm_seconds = static_cast<double>(stopped_ns - started_ns) / 1e9;
        for (const auto& vcpu : vcpus_) {
            report.vcpus.push_back(*vcpu->stats());
        }
        report.deliveries = deliveries_.snapshot();
        report.kvm = read_kvm_stats();
        if (exit_tracer_) {
            report.trace = trace::TraceSummary{
                exit_tracer_->lines_shown(), exit_tracer_->exits_not_shown(),
                exit_tracer_->limits().lines_per_second, exit_tracer_->limits().burst};
        }
        exit_report_ = std::move(report);
    }
    uart_->close_input();
    if (virtio_console_) {
        virtio_console_->close_input();
    }
    input.stop();
    timeline_.mark(Milestone::kVmStopped);
    return *control_.reason();
}

}  // namespace berth
