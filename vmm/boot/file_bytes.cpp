#include "vmm/boot/file_bytes.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "vmm/boot/vmlinux.h"
#include "vmm/common/error.h"

namespace berth::boot {

void FileBytes::copy_to(uint64_t offset, std::span<uint8_t> destination,
                        std::string_view what) const {
    if (!inside_file(offset, destination.size(), size())) {
        throw std::invalid_argument("FileBytes::copy_to: range outside the file");
    }
    if (fd_ < 0) {
        std::copy_n(view_.begin() + static_cast<std::ptrdiff_t>(offset), destination.size(),
                    destination.begin());
        return;
    }
    size_t done = 0;
    while (done < destination.size()) {
        const ssize_t count = ::pread(fd_, destination.data() + done, destination.size() - done,
                                      static_cast<off_t>(offset + done));
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            throw UserError(fmt::format("cannot read {}: {}", what, std::strerror(errno)));
        }
        if (count == 0) {
            throw UserError(fmt::format(
                "{} file shrank while Berth was loading it: do not change it during a boot", what));
        }
        done += static_cast<size_t>(count);
    }
}

}  // namespace berth::boot
