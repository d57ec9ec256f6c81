#include "devices/virtio/blk/disk_image.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/virtio_blk.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vmm/common/error.h"

namespace berth::virtio {

namespace {

// Bounce buffer: a multiple of every logical block size O_DIRECT may demand
// (512 or 4096), aligned to a page.
constexpr size_t kBounceSize = 1 << 20;
constexpr size_t kBounceAlignment = 4096;

std::string option_text(const DiskConfig& config) {
    return "--disk " + config.path + (config.read_only ? ",ro" : "");
}

[[noreturn]] void refuse(const DiskConfig& config, const std::string& problem_and_fix) {
    throw UserError(option_text(config) + ": " + problem_and_fix);
}

void check_kind(const DiskConfig& config, mode_t mode) {
    if (S_ISDIR(mode)) {
        refuse(config, "is a directory; give the path of a raw disk image file");
    }
    if (!S_ISREG(mode) && !S_ISBLK(mode)) {
        refuse(config, "is neither a regular file nor a block device; give a raw disk image file");
    }
}

[[noreturn]] void refuse_open(const DiskConfig& config, int error) {
    switch (error) {
        case ENOENT:
            refuse(config,
                   "no such file; check the path, or create an image (truncate -s 1G PATH)");
        case ENOTDIR:
            refuse(config, "a component of the path is not a directory; check the path");
        case EISDIR:
            refuse(config, "is a directory; give the path of a raw disk image file");
        case EACCES:
        case EPERM:
            if (config.read_only) {
                refuse(config, "not readable (permission denied); fix its permissions");
            }
            refuse(config,
                   "not writable (permission denied); fix its permissions, or add ,ro to give "
                   "the guest a read-only disk");
        case EROFS:
            refuse(config,
                   "is on a read-only file system; add ,ro to give the guest a read-only disk");
        case ETXTBSY:
            refuse(config, "is a program being run; give a disk image instead");
        case EINVAL:
            if (config.direct) {
                refuse(config,
                       "its file system does not support direct=on (O_DIRECT); drop direct=on");
            }
            break;
        default:
            break;
    }
    refuse(config, std::string("cannot open it: ") + std::strerror(error));
}

uint64_t image_size(const DiskConfig& config, int fd, const struct stat& info) {
    if (S_ISBLK(info.st_mode)) {
        uint64_t size = 0;
        if (::ioctl(fd, BLKGETSIZE64, &size) != 0) {
            throw SystemError("BLKGETSIZE64 on " + config.path, errno);
        }
        return size;
    }
    return static_cast<uint64_t>(info.st_size);
}

void check_size(const DiskConfig& config, uint64_t size) {
    if (size == 0) {
        refuse(config, "is empty (0 bytes); give it a size, for example truncate -s 1G PATH");
    }
    if (size % DiskImage::kSectorSize != 0) {
        const uint64_t rounded = (size / DiskImage::kSectorSize + 1) * DiskImage::kSectorSize;
        refuse(config, "is " + std::to_string(size) +
                           " bytes, not a multiple of 512 (the sector size); resize it, for "
                           "example truncate -s " +
                           std::to_string(rounded) + " PATH");
    }
}

void lock(const DiskConfig& config, int fd) {
    // Without waiting: a VMM that blocks at start-up on someone else's lock
    // looks hung. flock(2) locks belong to the open file description, so two
    // opens in one process exclude each other too.
    const int operation = (config.read_only ? LOCK_SH : LOCK_EX) | LOCK_NB;
    while (::flock(fd, operation) != 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno == EWOULDBLOCK) {
            if (config.read_only) {
                refuse(config,
                       "in use by another process that writes it (locked), or named by another "
                       "writable --disk; stop it first");
            }
            refuse(config,
                   "in use by another process (locked), or named by another --disk; stop it "
                   "or add ,ro");
        }
        throw SystemError("flock " + config.path, errno);
    }
}

// The buffers as an iovec array. pwritev(2) takes `struct iovec`, whose base
// is a non-const void*, though it only reads through it: hence const_cast.
template <typename Byte>
std::vector<iovec> to_iovecs(std::span<const std::span<Byte>> buffers) {
    std::vector<iovec> iov;
    iov.reserve(buffers.size());
    for (std::span<Byte> buffer : buffers) {
        if (!buffer.empty()) {
            iov.push_back({const_cast<uint8_t*>(buffer.data()), buffer.size()});
        }
    }
    return iov;
}

// preadv/pwritev until every byte of `iov` moved, retrying short transfers
// and EINTR; at most IOV_MAX buffers per call.
int transfer_all(int fd, bool write, std::vector<iovec> iov, uint64_t offset) {
    size_t first = 0;
    while (first < iov.size()) {
        const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
        // offset < the image's size, which st_size held: it fits an off_t.
        const auto at = static_cast<off_t>(offset);
        const ssize_t done =
            write ? ::pwritev(fd, &iov[first], count, at) : ::preadv(fd, &iov[first], count, at);
        if (done < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (done == 0) {
            return EIO;  // end of file: the image shrank under us
        }
        offset += static_cast<uint64_t>(done);
        for (auto left = static_cast<size_t>(done); left > 0;) {
            iovec& head = iov[first];
            if (left >= head.iov_len) {
                left -= head.iov_len;
                ++first;
            } else {
                head.iov_base = static_cast<uint8_t*>(head.iov_base) + left;
                head.iov_len -= left;
                left = 0;
            }
        }
    }
    return 0;
}

int transfer_all(int fd, bool write, uint8_t* data, size_t length, uint64_t offset) {
    return transfer_all(fd, write, {iovec{data, length}}, offset);
}

// O_DIRECT wants the memory address and the length of each buffer aligned
// to the device's logical block size (512 on almost every device).
template <typename Byte>
bool aligned_for_direct(std::span<const std::span<Byte>> buffers) {
    return std::all_of(buffers.begin(), buffers.end(), [](std::span<Byte> buffer) {
        return reinterpret_cast<uintptr_t>(buffer.data()) % DiskImage::kSectorSize == 0 &&
               buffer.size() % DiskImage::kSectorSize == 0;
    });
}

int punch_or_zero(int fd, int mode, uint64_t offset, uint64_t length) {
    // Both below an image size that fits an off_t.
    while (::fallocate(fd, mode, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

// fallocate's answer for "this file system (or file) cannot do that mode".
bool unsupported(int error) {
    return error == EOPNOTSUPP || error == ENOSYS || error == EINVAL || error == ENODEV;
}

}  // namespace

void DiskImage::FreeDeleter::operator()(uint8_t* p) const {
    std::free(p);
}

DiskImage DiskImage::open(const DiskConfig& config) {
    if (config.serial.size() > VIRTIO_BLK_ID_BYTES) {
        refuse(config, "serial=" + config.serial + " is " + std::to_string(config.serial.size()) +
                           " bytes, longer than the " + std::to_string(VIRTIO_BLK_ID_BYTES) +
                           " virtio-blk allows; shorten it");
    }
    if (config.path.empty()) {
        throw UserError("--disk: the path is empty; give the path of a raw disk image file");
    }
    // Look before opening: opening a FIFO would block, a directory fails
    // with a less helpful message.
    struct stat info {};
    if (::stat(config.path.c_str(), &info) != 0) {
        refuse_open(config, errno);
    }
    check_kind(config, info.st_mode);

    // O_NONBLOCK keeps open(2) from waiting should the path have become a
    // FIFO since stat(); it is cleared below and changes nothing for files.
    int flags = (config.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK;
    if (config.direct) {
        flags |= O_DIRECT;
    }
    UniqueFd fd(::open(config.path.c_str(), flags));
    if (!fd.valid()) {
        refuse_open(config, errno);
    }
    if (::fcntl(fd.get(), F_SETFL, flags & ~(O_NONBLOCK | O_CLOEXEC | O_ACCMODE)) != 0) {
        throw SystemError("fcntl F_SETFL on " + config.path, errno);
    }
    // What was opened is what counts (the path may have changed since stat).
    if (::fstat(fd.get(), &info) != 0) {
        throw SystemError("fstat " + config.path, errno);
    }
    check_kind(config, info.st_mode);
    const uint64_t size = image_size(config, fd.get(), info);
    check_size(config, size);
    lock(config, fd.get());
    return DiskImage(std::move(fd), config.path, size, config.read_only, config.direct);
}

DiskImage::DiskImage(UniqueFd fd, std::string path, uint64_t size_bytes, bool read_only,
                     bool direct)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      size_bytes_(size_bytes),
      read_only_(read_only),
      direct_(direct) {}

DiskImage::DiskImage(DiskImage&&) noexcept = default;
DiskImage& DiskImage::operator=(DiskImage&&) noexcept = default;
DiskImage::~DiskImage() = default;

uint8_t* DiskImage::bounce_buffer() {
    if (!bounce_) {
        bounce_.reset(static_cast<uint8_t*>(std::aligned_alloc(kBounceAlignment, kBounceSize)));
    }
    return bounce_.get();
}

int DiskImage::read(uint64_t offset, std::span<const std::span<uint8_t>> buffers) {
    if (direct_ && !aligned_for_direct(buffers)) {
        return read_bounced(offset, buffers);
    }
    const int error = transfer_all(fd_.get(), false, to_iovecs(buffers), offset);
    // Some devices want 4096-byte alignment: go through the bounce buffer,
    // whose address and size are multiples of 4096.
    if (error == EINVAL && direct_) {
        return read_bounced(offset, buffers);
    }
    return error;
}

int DiskImage::write(uint64_t offset, std::span<const std::span<const uint8_t>> buffers) {
    if (read_only_) {
        return EBADF;  // opened O_RDONLY anyway; say so without a system call
    }
    if (direct_ && !aligned_for_direct(buffers)) {
        return write_bounced(offset, buffers);
    }
    const int error = transfer_all(fd_.get(), true, to_iovecs(buffers), offset);
    if (error == EINVAL && direct_) {
        return write_bounced(offset, buffers);
    }
    return error;
}

int DiskImage::read_bounced(uint64_t offset, std::span<const std::span<uint8_t>> buffers) {
    uint8_t* bounce = bounce_buffer();
    if (bounce == nullptr) {
        return ENOMEM;
    }
    // Fill the bounce buffer, copy it out across the guest's buffers, repeat.
    size_t index = 0;
    size_t within = 0;  // bytes of buffers[index] already filled
    for (;;) {
        size_t wanted = 0;
        for (size_t i = index; i < buffers.size() && wanted < kBounceSize; ++i) {
            wanted += buffers[i].size() - (i == index ? within : 0);
        }
        wanted = std::min(wanted, kBounceSize);
        if (wanted == 0) {
            return 0;
        }
        if (const int error = transfer_all(fd_.get(), false, bounce, wanted, offset)) {
            return error;
        }
        offset += wanted;
        for (size_t copied = 0; copied < wanted;) {
            std::span<uint8_t> buffer = buffers[index];
            const size_t piece = std::min(buffer.size() - within, wanted - copied);
            std::memcpy(buffer.data() + within, bounce + copied, piece);
            copied += piece;
            within += piece;
            if (within == buffer.size()) {
                ++index;
                within = 0;
            }
        }
    }
}

int DiskImage::write_bounced(uint64_t offset, std::span<const std::span<const uint8_t>> buffers) {
    uint8_t* bounce = bounce_buffer();
    if (bounce == nullptr) {
        return ENOMEM;
    }
    // Gather up to a bounce buffer's worth of the guest's bytes, write, repeat.
    size_t index = 0;
    size_t within = 0;
    for (;;) {
        size_t gathered = 0;
        while (index < buffers.size() && gathered < kBounceSize) {
            std::span<const uint8_t> buffer = buffers[index];
            const size_t piece = std::min(buffer.size() - within, kBounceSize - gathered);
            std::memcpy(bounce + gathered, buffer.data() + within, piece);
            gathered += piece;
            within += piece;
            if (within == buffer.size()) {
                ++index;
                within = 0;
            }
        }
        if (gathered == 0) {
            return 0;
        }
        if (const int error = transfer_all(fd_.get(), true, bounce, gathered, offset)) {
            return error;
        }
        offset += gathered;
    }
}

int DiskImage::flush() {
    if (read_only_) {
        return 0;  // nothing was written through this descriptor
    }
    while (::fdatasync(fd_.get()) != 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

int DiskImage::discard(uint64_t offset, uint64_t length) {
    if (read_only_) {
        return EBADF;
    }
    if (length == 0) {
        return 0;
    }
    const int error =
        punch_or_zero(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
    return unsupported(error) ? 0 : error;
}

int DiskImage::write_zeroes(uint64_t offset, uint64_t length, bool may_unmap) {
    if (read_only_) {
        return EBADF;
    }
    if (length == 0) {
        return 0;
    }
    // A punched hole reads back as zeros, on files and on block devices
    // (which then discard, or write zeros themselves).
    if (may_unmap) {
        const int error =
            punch_or_zero(fd_.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
        if (!unsupported(error)) {
            return error;
        }
    }
    const int error =
        punch_or_zero(fd_.get(), FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, offset, length);
    if (!unsupported(error)) {
        return error;
    }
    return write_zeros_by_hand(offset, length);
}

int DiskImage::write_zeros_by_hand(uint64_t offset, uint64_t length) {
    uint8_t* zeros = bounce_buffer();
    if (zeros == nullptr) {
        return ENOMEM;
    }
    std::memset(zeros, 0, kBounceSize);  // it may hold a bounced request's bytes
    while (length > 0) {
        const auto piece = static_cast<size_t>(std::min<uint64_t>(length, kBounceSize));
        if (const int error = transfer_all(fd_.get(), true, zeros, piece, offset)) {
            return error;
        }
        offset += piece;
        length -= piece;
    }
    return 0;
}

}  // namespace berth::virtio
