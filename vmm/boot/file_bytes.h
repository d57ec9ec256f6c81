// The bytes of a kernel or initrd as the loaders (linux_loader.h) see them:
// a view for the parsers, and copy_to() for the bulk copy into guest memory.
// Tests and fuzzers pass bytes already in memory; `berth run` passes a
// MappedFile, whose bytes copy_to() reads with pread() straight from the page
// cache into guest RAM. So a 50 MB vmlinux is copied once, not read into a
// buffer of Berth's and copied again, and never adds to Berth's peak memory.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "vmm/common/mapped_file.h"

namespace berth::boot {

class FileBytes {
public:
    FileBytes() = default;  // an empty file (no initrd)
    // Implicit on purpose: a span or vector of bytes is a file held in memory.
    FileBytes(std::span<const uint8_t> bytes) : view_(bytes) {}                 // NOLINT
    FileBytes(const std::vector<uint8_t>& bytes) : view_(bytes) {}              // NOLINT
    FileBytes(const MappedFile& file) : view_(file.bytes()), fd_(file.fd()) {}  // NOLINT

    std::span<const uint8_t> view() const { return view_; }
    uint64_t size() const { return view_.size(); }
    bool empty() const { return view_.empty(); }

    // Copies the file's bytes [offset, offset + destination.size()) into
    // `destination`. Throws std::invalid_argument when that range is not
    // inside the file (a loader's bug), and UserError naming `what` ("the
    // kernel") when the file cannot be read or has shrunk since it was opened.
    void copy_to(uint64_t offset, std::span<uint8_t> destination, std::string_view what) const;

private:
    std::span<const uint8_t> view_;
    int fd_ = -1;  // -1: the bytes are in memory
};

}  // namespace berth::boot
