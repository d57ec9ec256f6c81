// The host side of a virtio-blk disk: one raw image file (or block device),
// opened, checked and locked once at start-up, then read and written at byte
// offsets by the device's I/O worker.
//
// A raw image is the disk's bytes, nothing else: sector n of the guest's disk
// is bytes [512 n, 512 n + 512) of the file. Its size must be a non-zero
// multiple of 512 bytes, since virtio-blk counts its capacity in 512-byte
// sectors (virtio 1.2 §5.2.4).
//
// Locking. A writable image is locked with flock(LOCK_EX), a read-only one
// with flock(LOCK_SH), both without waiting: two Berths (or a Berth and any
// other program that uses flock, like QEMU's raw driver does with its own
// locks) can share an image read-only, but a writer excludes everyone else.
// The lock lasts as long as the file descriptor, so as long as this object.
//
// Threads: open() and the accessors from any thread; the I/O methods from one
// thread at a time (the device's worker), since they share a bounce buffer.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "vmm/common/unique_fd.h"
#include "vmm/vm_config.h"

namespace berth::virtio {

class DiskImage {
public:
    static constexpr uint64_t kSectorSize = 512;  // virtio 1.2 §5.2.4: capacity is in these

    // Opens the image `config` names and checks everything about it that
    // can be checked before the VM exists. Throws UserError, with one line
    // naming the path, the problem and the fix, when:
    // - the serial is longer than VIRTIO_BLK_ID_BYTES (20) bytes;
    // - the path is missing, cannot be reached, or is a directory, or is
    //   neither a regular file nor a block device;
    // - it cannot be opened for reading (read_only), or for reading and
    //   writing (otherwise), or direct=on and the file system refuses O_DIRECT;
    // - its size is 0 or not a multiple of 512 bytes;
    // - another process holds a conflicting flock() on it.
    // A read-only image is opened O_RDONLY: never for writing. Nothing is
    // written to the image here. Throws SystemError for host failures that
    // are no user's mistake.
    static DiskImage open(const DiskConfig& config);

    // Adopts an already open descriptor, without any check or lock: for
    // tests, and for fuzzing against an in-memory file. `size_bytes` is the
    // disk's size, a multiple of 512.
    DiskImage(UniqueFd fd, std::string path, uint64_t size_bytes, bool read_only, bool direct);

    DiskImage(DiskImage&&) noexcept;
    DiskImage& operator=(DiskImage&&) noexcept;
    DiskImage(const DiskImage&) = delete;
    DiskImage& operator=(const DiskImage&) = delete;
    ~DiskImage();

    uint64_t size_bytes() const { return size_bytes_; }
    uint64_t capacity_sectors() const { return size_bytes_ / kSectorSize; }
    bool read_only() const { return read_only_; }
    bool direct() const { return direct_; }
    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }

    // --- I/O, for the device's worker ------------------------------------
    //
    // Each moves exactly the bytes asked for and returns 0, or returns the
    // errno value of the failure (EIO for a read that meets the end of the
    // file: somebody shrank the image). Short transfers and EINTR are
    // retried. The caller keeps [offset, offset + length) inside
    // size_bytes(); offsets and lengths are multiples of 512 when direct().

    // Reads size-of-`buffers` bytes at `offset`, in order, into `buffers`.
    int read(uint64_t offset, std::span<const std::span<uint8_t>> buffers);
    // Writes `buffers`, in order, at `offset`. EBADF on a read-only image.
    int write(uint64_t offset, std::span<const std::span<const uint8_t>> buffers);
    // Makes every completed write durable: fdatasync(2). Nothing to do, and
    // 0, on a read-only image.
    int flush();
    // May deallocate [offset, offset + length): fallocate(PUNCH_HOLE). A
    // file system that cannot punch holes leaves the bytes as they are and
    // this still succeeds, since discarding is only a hint (virtio 1.2
    // §5.2.6.2: the device MAY deallocate).
    int discard(uint64_t offset, uint64_t length);
    // Makes [offset, offset + length) read back as zeros: fallocate
    // PUNCH_HOLE when `may_unmap`, else ZERO_RANGE, falling back to writing
    // zeros where the file system supports neither.
    int write_zeroes(uint64_t offset, uint64_t length, bool may_unmap);

private:
    struct FreeDeleter {
        void operator()(uint8_t* p) const;
    };
    using AlignedBuffer = std::unique_ptr<uint8_t[], FreeDeleter>;

    uint8_t* bounce_buffer();
    int read_bounced(uint64_t offset, std::span<const std::span<uint8_t>> buffers);
    int write_bounced(uint64_t offset, std::span<const std::span<const uint8_t>> buffers);
    int write_zeros_by_hand(uint64_t offset, uint64_t length);

    UniqueFd fd_;
    std::string path_;
    uint64_t size_bytes_ = 0;
    bool read_only_ = false;
    bool direct_ = false;
    // With O_DIRECT, guest buffers that are not 512-aligned go through this
    // aligned buffer (O_DIRECT refuses them with EINVAL). Allocated on first
    // use; also the source of zeros for write_zeros_by_hand().
    AlignedBuffer bounce_;
};

}  // namespace berth::virtio
