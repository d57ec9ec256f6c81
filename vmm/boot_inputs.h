// Everything the user gave `berth run`, read and checked before KVM is
// touched: a bad kernel, initrd, size, disk or tap fails here with one clear
// line. Disk images are opened (and locked) and taps opened (or created) here
// too, and the Vm takes them over.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "devices/virtio/blk/disk_image.h"
#include "devices/virtio/net/tap.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/flat_image.h"
#include "vmm/boot/vmlinux.h"
#include "vmm/common/mapped_file.h"
#include "vmm/vm_config.h"

namespace berth {

// The Vm closes kernel_file and initrd once it has copied them into guest
// memory.
struct BootInputs {
    // With --image: the lab guest, and no kernel or initrd.
    std::optional<boot::FlatImage> image;
    // Mapped, not read: only the header pages are read before the loader
    // copies the rest straight into guest memory (boot/file_bytes.h).
    MappedFile kernel_file;
    // The bzImage's header, or for an ELF vmlinux the header a boot loader
    // supplies (boot::vmlinux_boot_header); `vmlinux` is set for the latter.
    boot::BzImage kernel;
    std::optional<boot::Vmlinux> vmlinux;
    MappedFile initrd;
    std::vector<virtio::DiskImage> disks;  // one per --disk, in order
    std::vector<virtio::Tap> taps;         // one per --net, in order
};

// Throws UserError naming the problem and what to do about it.
BootInputs load_boot_inputs(const VmConfig& config);

// MemTotal from /proc/meminfo, in bytes (0 when unknown).
uint64_t host_memory_size();

}  // namespace berth
