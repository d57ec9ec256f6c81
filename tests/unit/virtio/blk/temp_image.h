// Disk image files for the virtio-blk tests: a private temporary folder,
// removed with everything in it when the test ends, and files of known
// contents in it.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace berth::virtio::testing {

// Byte i of a disk filled with this differs from its neighbours and from the
// same offset of another sector, so a read from the wrong place shows.
inline std::vector<uint8_t> disk_pattern(size_t size, uint8_t seed = 0) {
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i) {
        bytes[i] = static_cast<uint8_t>((i * 7 + i / 512 + seed) % 251);
    }
    return bytes;
}

class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/berth-blk-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) {
            ADD_FAILURE() << "mkdtemp " << pattern;
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::string& path() const { return path_; }
    std::string file_path(const std::string& name) const { return path_ + "/" + name; }

    // Writes `contents` to a new file `name`; returns its path.
    std::string make_file(const std::string& name, const std::vector<uint8_t>& contents,
                          mode_t mode = 0644) const {
        const std::string path = file_path(name);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(contents.data()),
                  static_cast<std::streamsize>(contents.size()));
        out.close();
        EXPECT_TRUE(out.good()) << path;
        EXPECT_EQ(::chmod(path.c_str(), mode), 0);
        return path;
    }

    static std::vector<uint8_t> read_file(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
    }

private:
    std::string path_;
};

}  // namespace berth::virtio::testing
