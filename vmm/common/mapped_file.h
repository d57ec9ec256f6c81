// A regular file the user named (a kernel, an initrd), open and mapped
// read-only. Parsers look at its bytes through the mapping, so only the
// pages they touch (a header) are read; loaders copy the rest with pread()
// through fd(), straight into guest memory (boot/file_bytes.h), so that a
// large file never occupies Berth's own memory.
//
// A mapping has one hazard a read() has not: touching a page beyond the end
// of a file that someone truncated meanwhile raises SIGBUS. Berth touches
// only the header pages, right after opening; the bulk copy uses pread(),
// which reports a shrunk file as an error instead.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "vmm/common/unique_fd.h"

namespace berth {

class MappedFile {
public:
    MappedFile() = default;  // no file: empty bytes(), fd() -1
    // `what` names the file for the user ("kernel", "initrd"); any failure
    // is a UserError naming the path and the reason.
    static MappedFile open(const std::string& path, const std::string& what);

    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const uint8_t> bytes() const { return {data_, size_}; }
    uint64_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    int fd() const { return fd_.get(); }

private:
    void unmap();

    UniqueFd fd_;
    const uint8_t* data_ = nullptr;
    uint64_t size_ = 0;
};

}  // namespace berth
