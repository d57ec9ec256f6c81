// Guest RAM: one anonymous host mapping per RAM range, and bounds-checked
// access to it. Every other component reads and writes guest memory through
// this class; none does pointer arithmetic on guest addresses itself.
//
// An access succeeds only when the whole range [address, address + length)
// lies inside one mapped region. Guest-controlled addresses and lengths are
// therefore safe to pass straight in: a bad one yields false or nullopt.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>
#include <vector>

#include "vmm/memory/guest_address.h"
#include "vmm/memory/memory_layout.h"

namespace berth {

struct MemoryRegion {
    GuestAddress start;
    uint64_t size = 0;
    uint8_t* host = nullptr;  // start of the host mapping
};

class GuestMemory {
public:
    // Maps each range with mmap(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE) at a
    // 2 MiB-aligned address, advised for transparent huge pages;
    // pages cost host memory only once the guest touches them.
    // Throws SystemError when the host refuses the mapping.
    static GuestMemory create(const std::vector<RamRange>& ranges);

    GuestMemory(GuestMemory&& other) noexcept;
    GuestMemory& operator=(GuestMemory&& other) noexcept;
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;
    ~GuestMemory();

    const std::vector<MemoryRegion>& regions() const { return regions_; }
    uint64_t total_size() const;

    bool contains(GuestAddress address, uint64_t length) const;

    // Host view of [address, address + length), or nullopt when that range is
    // not entirely inside one region.
    std::optional<std::span<uint8_t>> slice(GuestAddress address, uint64_t length) const;

    bool read(GuestAddress address, std::span<uint8_t> out) const;
    bool write(GuestAddress address, std::span<const uint8_t> data) const;

    // Copy a plain struct out of guest memory (copy first, then validate:
    // the guest may change the original at any time).
    template <typename T>
    std::optional<T> read_obj(GuestAddress address) const {
        static_assert(std::is_trivially_copyable_v<T>);
        T value;
        if (!read(address, std::span(reinterpret_cast<uint8_t*>(&value), sizeof(T)))) {
            return std::nullopt;
        }
        return value;
    }

    template <typename T>
    bool write_obj(GuestAddress address, const T& value) const {
        static_assert(std::is_trivially_copyable_v<T>);
        return write(address, std::span(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
    }

private:
    explicit GuestMemory(std::vector<MemoryRegion> regions) : regions_(std::move(regions)) {}
    void unmap_all();

    std::vector<MemoryRegion> regions_;
};

}  // namespace berth
