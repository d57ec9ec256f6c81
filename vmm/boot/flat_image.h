// Loading a lab guest: a flat binary (no headers, byte 0 is loaded at the
// load address; `nasm -f bin`, `objcopy -O binary`) copied into guest RAM at
// the place its CPU mode implies (docs/lab-machine.md):
//   real       0x7c00, like a BIOS boot sector; it must end by 0x9fc00, the
//              end of conventional RAM.
//   protected,
//   long       0x100000 (1 MiB); it must end in RAM below the 32-bit MMIO hole.
// The entry is the load address unless `--entry` names another address
// inside the image; in real mode it must be below 64 KiB (CS = 0, IP = entry).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vmm/boot/cpu_mode.h"
#include "vmm/memory/guest_memory.h"

namespace berth::boot {

// Where an image of a given size goes, and where the vCPU starts.
struct FlatImagePlacement {
    GuestAddress load;  // the image's first byte
    uint64_t size = 0;  // bytes, never 0
    GuestAddress entry;
    GuestAddress end() const { return load + size; }  // one past the last byte
};

// The address an image for `mode` is loaded at.
GuestAddress flat_image_load_address(CpuMode mode);

// Checks an image of `image_size` bytes against its place in a guest of
// `memory_size` bytes (the --memory value) and `entry` against the image.
// Throws UserError naming the problem and its fix (for an empty image, one
// too big for its place, an entry outside it or, in real mode, at or above
// 64 KiB); the messages name the image by its size, so callers put its
// path in front. Pure: touches nothing.
FlatImagePlacement place_flat_image(uint64_t image_size, CpuMode mode,
                                    std::optional<uint64_t> entry, uint64_t memory_size);

struct FlatImage {
    std::vector<uint8_t> bytes;
    FlatImagePlacement placement;
};

// Reads the image at `path` and places it with place_flat_image. Throws
// UserError, naming `path`, for a missing or unreadable file, a directory or
// other non-regular file, and for everything place_flat_image refuses; a file
// too big for its place is refused before it is read. Call it before any
// guest memory exists: every error it raises is bad input (exit status 2).
FlatImage read_flat_image(const std::string& path, CpuMode mode, std::optional<uint64_t> entry,
                          uint64_t memory_size);

// Copies the image to its load address. `memory` must be at least the
// memory_size read_flat_image checked against; a UserError otherwise.
void load_flat_image(const GuestMemory& memory, const FlatImage& image);

}  // namespace berth::boot
