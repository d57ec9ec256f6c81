#include "vmm/common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "vmm/common/error.h"
#include "vmm/common/unique_fd.h"

namespace berth {

RegularFile open_regular_file(const std::string& path, const std::string& what) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        throw UserError(fmt::format("cannot open {} {}: {}", what, path, std::strerror(errno)));
    }
    struct stat info {};
    if (fstat(fd.get(), &info) != 0) {
        throw UserError(fmt::format("cannot stat {} {}: {}", what, path, std::strerror(errno)));
    }
    if (!S_ISREG(info.st_mode)) {
        throw UserError(fmt::format("{} {} is not a regular file", what, path));
    }
    return RegularFile{std::move(fd), static_cast<uint64_t>(info.st_size)};
}

std::vector<uint8_t> read_file(const std::string& path, const std::string& what) {
    const RegularFile file = open_regular_file(path, what);
    std::vector<uint8_t> data(static_cast<size_t>(file.size));
    size_t done = 0;
    while (done < data.size()) {
        ssize_t count = ::read(file.fd.get(), data.data() + done, data.size() - done);
        if (count < 0 && errno == EINTR) {
            continue;
        }
        if (count < 0) {
            throw UserError(fmt::format("cannot read {} {}: {}", what, path, std::strerror(errno)));
        }
        if (count == 0) {
            data.resize(done);  // the file shrank while we read it
            break;
        }
        done += static_cast<size_t>(count);
    }
    return data;
}

}  // namespace berth
