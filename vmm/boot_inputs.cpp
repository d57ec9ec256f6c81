#include "vmm/boot_inputs.h"

#include <fstream>
#include <string>

#include <fmt/format.h>

#include "vmm/boot/linux_loader.h"
#include "vmm/common/error.h"

namespace berth {

uint64_t host_memory_size() {
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit) {
        if (key == "MemTotal:") {
            return kib * 1024;
        }
    }
    return 0;
}

namespace {

// The kernel, the initrd, and whether they fit in --memory.
void load_linux_inputs(const VmConfig& config, BootInputs& inputs) {
    inputs.kernel_file = MappedFile::open(config.kernel_path, "kernel");
    const std::span<const uint8_t> kernel_bytes = inputs.kernel_file.bytes();
    try {
        // An ELF file is an uncompressed vmlinux; anything else must be a bzImage.
        if (boot::is_elf_file(kernel_bytes)) {
            inputs.vmlinux = boot::parse_vmlinux(kernel_bytes);
            inputs.kernel = boot::vmlinux_boot_header(*inputs.vmlinux);
        } else {
            inputs.kernel = boot::parse_bzimage(kernel_bytes);
        }
    } catch (const UserError& error) {
        throw UserError(fmt::format("kernel {}: {}", config.kernel_path, error.what()));
    }
    if (!config.initrd_path.empty()) {
        inputs.initrd = MappedFile::open(config.initrd_path, "initrd");
        if (inputs.initrd.empty()) {
            throw UserError(fmt::format("initrd {} is empty", config.initrd_path));
        }
    }

    // Also refuses a command line longer than the kernel accepts.
    const uint64_t needed =
        boot::minimum_memory_size(inputs.kernel, inputs.initrd.size(), config.cmdline.size());
    if (config.memory_size < needed) {
        throw UserError(fmt::format(
            "--memory {} MiB is too small for this kernel and initrd: give at least {} MiB",
            config.memory_size / kMiB, (needed + kMiB - 1) / kMiB));
    }
}

}  // namespace

BootInputs load_boot_inputs(const VmConfig& config) {
    if (config.cpus == 0 || config.cpus > kMaxCpus) {
        throw UserError(
            fmt::format("--cpus {} is out of range: give 1 to {}", config.cpus, kMaxCpus));
    }
    BootInputs inputs;
    const uint64_t host = host_memory_size();
    if (host != 0 && config.memory_size > host) {
        throw UserError(fmt::format("--memory {} MiB is more than this host's {} MiB of RAM",
                                    config.memory_size / kMiB, host / kMiB));
    }
    if (config.image) {
        inputs.image = boot::read_flat_image(config.image->path, config.image->mode,
                                             config.image->entry, config.memory_size);
    } else {
        load_linux_inputs(config, inputs);
    }
    for (const DiskConfig& disk : config.disks) {
        inputs.disks.push_back(virtio::DiskImage::open(disk));
    }
    // Last: a tap Berth creates is the one side effect of these checks, and it
    // goes away again when Berth exits.
    for (const NetConfig& net : config.nets) {
        inputs.taps.push_back(virtio::Tap::open(net.tap_name));
    }
    return inputs;
}

}  // namespace berth
