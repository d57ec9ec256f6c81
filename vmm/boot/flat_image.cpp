#include "vmm/boot/flat_image.h"

#include <sys/stat.h>

#include <fmt/format.h>

#include <algorithm>

#include "vmm/boot/guest_write.h"
#include "vmm/common/error.h"
#include "vmm/common/read_file.h"
#include "vmm/layout.h"

namespace berth::boot {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
// CS = 0 in real mode, so the entry is IP, a 16-bit register.
constexpr uint64_t kRealModeEntryLimit = 0x10000;
constexpr std::string_view kImageHint =
    "--image takes the path of a flat binary, e.g. one made with nasm -f bin";

void check_fits(uint64_t image_size, CpuMode mode, uint64_t memory_size) {
    const uint64_t load = flat_image_load_address(mode).value();
    if (mode == CpuMode::kReal && image_size > layout::kRealModeImageEnd.value() - load) {
        throw UserError(fmt::format(
            "the image is {} bytes, but a real-mode image loads at {:#x} and must end by {:#x} "
            "(at most {} bytes): make it smaller, or use --mode protected or long, which load "
            "at 1 MiB",
            image_size, load, layout::kRealModeImageEnd.value(),
            layout::kRealModeImageEnd.value() - load));
    }
    // A flat image must be contiguous: RAM from 0 up to the MMIO hole.
    const uint64_t ram_limit = layout::kMmioHoleStart.value();
    if (image_size > ram_limit - load) {
        throw UserError(fmt::format(
            "the image is {} bytes, more than the {} MiB of RAM between its load address {:#x} "
            "and the 32-bit MMIO hole at {:#x}: make it smaller",
            image_size, (ram_limit - load) / kMiB, load, ram_limit));
    }
    if (load + image_size > memory_size) {
        throw UserError(fmt::format(
            "the image is {} bytes; loaded at {:#x} it needs --memory of at least {} MiB, but "
            "the guest has {} MiB: give a larger --memory",
            image_size, load, (load + image_size + kMiB - 1) / kMiB, memory_size / kMiB));
    }
}

GuestAddress checked_entry(std::optional<uint64_t> entry, CpuMode mode, uint64_t load,
                           uint64_t end) {
    if (!entry) {
        return GuestAddress(load);
    }
    if (*entry < load || *entry >= end) {
        throw UserError(fmt::format(
            "--entry {:#x} is outside the image, which is loaded at [{:#x}, {:#x}): give an "
            "address inside it, or leave --entry out to start at its first byte",
            *entry, load, end));
    }
    if (mode == CpuMode::kReal && *entry >= kRealModeEntryLimit) {
        throw UserError(fmt::format(
            "--entry {:#x} is not below {:#x}: a real-mode guest starts with CS = 0 and IP = the "
            "entry, so give an entry in the first 64 KiB and far-jump from there",
            *entry, kRealModeEntryLimit));
    }
    return GuestAddress(*entry);
}

// Puts "image PATH: " in front of a place_flat_image refusal.
FlatImagePlacement place_named(const std::string& path, uint64_t image_size, CpuMode mode,
                               std::optional<uint64_t> entry, uint64_t memory_size) {
    try {
        return place_flat_image(image_size, mode, entry, memory_size);
    } catch (const UserError& error) {
        throw UserError(fmt::format("image {}: {}", path, error.what()));
    }
}

}  // namespace

GuestAddress flat_image_load_address(CpuMode mode) {
    return mode == CpuMode::kReal ? layout::kRealModeImageStart : layout::kFlatImageStart;
}

FlatImagePlacement place_flat_image(uint64_t image_size, CpuMode mode,
                                    std::optional<uint64_t> entry, uint64_t memory_size) {
    if (image_size == 0) {
        throw UserError(fmt::format("the image is empty: {}", kImageHint));
    }
    check_fits(image_size, mode, memory_size);
    const GuestAddress load = flat_image_load_address(mode);
    return FlatImagePlacement{
        .load = load,
        .size = image_size,
        .entry = checked_entry(entry, mode, load.value(), load.value() + image_size),
    };
}

FlatImage read_flat_image(const std::string& path, CpuMode mode, std::optional<uint64_t> entry,
                          uint64_t memory_size) {
    // A file too big for its place (a disk image given by mistake) is refused
    // from its size, before it is read; read_file reports a missing,
    // unreadable or non-regular file itself.
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
        place_named(path, static_cast<uint64_t>(info.st_size), mode, entry, memory_size);
    }
    FlatImage image;
    try {
        image.bytes = read_file(path, "image");
    } catch (const UserError& error) {
        throw UserError(fmt::format("{} ({})", error.what(), kImageHint));
    }
    // Again from what was read: the file may have changed since stat().
    image.placement = place_named(path, image.bytes.size(), mode, entry, memory_size);
    return image;
}

void load_flat_image(const GuestMemory& memory, const FlatImage& image) {
    write_guest(memory, image.placement.load, image.bytes, "the lab image");
}

}  // namespace berth::boot
