#include "vmm/common/mapped_file.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "vmm/common/error.h"
#include "vmm/common/read_file.h"

namespace berth {

MappedFile MappedFile::open(const std::string& path, const std::string& what) {
    RegularFile opened = open_regular_file(path, what);
    MappedFile file;
    file.fd_ = std::move(opened.fd);
    if (opened.size == 0) {
        return file;  // mmap refuses length 0; the callers refuse empty files
    }
    void* data = ::mmap(nullptr, static_cast<size_t>(opened.size), PROT_READ, MAP_PRIVATE,
                        file.fd_.get(), 0);
    if (data == MAP_FAILED) {
        throw UserError(fmt::format("cannot map {} {}: {}", what, path, std::strerror(errno)));
    }
    file.data_ = static_cast<const uint8_t*>(data);
    file.size_ = opened.size;
    return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : fd_(std::move(other.fd_)),
      data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
    if (this != &other) {
        unmap();
        fd_ = std::move(other.fd_);
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

MappedFile::~MappedFile() {
    unmap();
}

void MappedFile::unmap() {
    if (data_ != nullptr) {
        // const_cast: munmap takes void*; the mapping is Berth's own.
        ::munmap(const_cast<uint8_t*>(data_), size_);
        data_ = nullptr;
        size_ = 0;
    }
}

}  // namespace berth
