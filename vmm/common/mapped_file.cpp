#include "vmm/common/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "vmm/common/error.h"

namespace berth {

MappedFile MappedFile::open(const std::string& path, const std::string& what) {
    MappedFile file;
    file.fd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.fd_.valid()) {
        throw UserError(fmt::format("cannot open {} {}: {}", what, path, std::strerror(errno)));
    }
    struct stat info {};
    if (fstat(file.fd_.get(), &info) != 0) {
        throw UserError(fmt::format("cannot stat {} {}: {}", what, path, std::strerror(errno)));
    }
    if (!S_ISREG(info.st_mode)) {
        throw UserError(fmt::format("{} {} is not a regular file", what, path));
    }
    if (info.st_size == 0) {
        return file;  // mmap refuses length 0; the callers refuse empty files
    }
    void* data = ::mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ, MAP_PRIVATE,
                        file.fd_.get(), 0);
    if (data == MAP_FAILED) {
        throw UserError(fmt::format("cannot map {} {}: {}", what, path, std::strerror(errno)));
    }
    file.data_ = static_cast<const uint8_t*>(data);
    file.size_ = static_cast<uint64_t>(info.st_size);
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
