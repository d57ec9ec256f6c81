// Serves a parsed virtio-blk request (block_request.h) against the disk
// image: the "execute" half of virtio 1.2 §5.2.6, kept apart from the queue
// and the worker thread so that unit tests and the fuzz target can run it
// directly.
#pragma once

#include <cstdint>
#include <string_view>

#include "devices/virtio/blk/block_request.h"
#include "devices/virtio/blk/disk_image.h"

namespace berth::virtio {

struct BlockOutcome {
    uint8_t status = 0;         // VIRTIO_BLK_S_OK, or VIRTIO_BLK_S_IOERR when the host failed
    uint32_t data_written = 0;  // bytes written into the request's in_data
    int host_error = 0;         // the failing call's errno, for the device's log
};

// Performs `request` (parsed and checked against `disk`'s capacity):
// IN preadv into the guest's buffers, OUT pwritev from them, FLUSH
// fdatasync, GET_ID copies `device_id` (at most VIRTIO_BLK_ID_BYTES, NUL
// padded up to 20 bytes), DISCARD and WRITE_ZEROES each segment in order.
// Any host error (EIO, ENOSPC, ...) gives VIRTIO_BLK_S_IOERR, never a
// silent success. Does not write the status byte: the caller does, once.
BlockOutcome execute_block_request(DiskImage& disk, std::string_view device_id,
                                   const BlockRequest& request);

}  // namespace berth::virtio
