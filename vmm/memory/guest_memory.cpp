#include "vmm/memory/guest_memory.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "vmm/common/error.h"

namespace berth {

namespace {

constexpr uint64_t kHugePageSize = 2ull << 20;

// Maps `size` bytes of anonymous memory at a 2 MiB-aligned host address, so
// that transparent huge pages can back it and KVM can map the guest with
// 2 MiB pages too (guest and host addresses then agree modulo 2 MiB). Fewer,
// larger pages mean shorter nested page walks: Linux's decompressor alone
// ran about twice as long on 4 KiB pages in the nested sandbox.
uint8_t* map_aligned(uint64_t size) {
    const uint64_t padded = size + kHugePageSize;
    void* mapping = mmap(nullptr, padded, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mapping == MAP_FAILED) {
        throw SystemError("mmap of guest RAM", errno);
    }
    const auto start = reinterpret_cast<uintptr_t>(mapping);
    const uintptr_t aligned = (start + kHugePageSize - 1) & ~(kHugePageSize - 1);
    // Give back the unaligned head and the tail beyond `size`.
    if (aligned > start) {
        munmap(mapping, aligned - start);
    }
    const uintptr_t end = aligned + size;
    if (start + padded > end) {
        munmap(reinterpret_cast<void*>(end), start + padded - end);
    }
    auto* host = reinterpret_cast<uint8_t*>(aligned);
    // Only a hint: a host with THP disabled keeps 4 KiB pages.
    madvise(host, size, MADV_HUGEPAGE);
    return host;
}

}  // namespace

GuestMemory GuestMemory::create(const std::vector<RamRange>& ranges) {
    GuestMemory memory(std::vector<MemoryRegion>{});  // owns what is mapped so far if we throw
    for (const RamRange& range : ranges) {
        memory.regions_.push_back({range.start, range.size, map_aligned(range.size)});
    }
    return memory;
}

GuestMemory::GuestMemory(GuestMemory&& other) noexcept
    : regions_(std::exchange(other.regions_, {})) {}

GuestMemory& GuestMemory::operator=(GuestMemory&& other) noexcept {
    if (this != &other) {
        unmap_all();
        regions_ = std::exchange(other.regions_, {});
    }
    return *this;
}

GuestMemory::~GuestMemory() {
    unmap_all();
}

void GuestMemory::unmap_all() {
    for (const MemoryRegion& region : regions_) {
        munmap(region.host, region.size);
    }
    regions_.clear();
}

uint64_t GuestMemory::total_size() const {
    uint64_t total = 0;
    for (const MemoryRegion& region : regions_) {
        total += region.size;
    }
    return total;
}

std::optional<std::span<uint8_t>> GuestMemory::slice(GuestAddress address, uint64_t length) const {
    for (const MemoryRegion& region : regions_) {
        if (address < region.start) {
            continue;
        }
        const uint64_t offset = address.value() - region.start.value();
        // Written so that nothing can overflow: offset < size is checked first.
        if (offset >= region.size && !(offset == region.size && length == 0)) {
            continue;
        }
        if (length > region.size - offset) {
            return std::nullopt;  // starts in this region but runs past its end
        }
        return std::span<uint8_t>(region.host + offset, length);
    }
    return std::nullopt;
}

bool GuestMemory::contains(GuestAddress address, uint64_t length) const {
    return slice(address, length).has_value();
}

bool GuestMemory::read(GuestAddress address, std::span<uint8_t> out) const {
    auto source = slice(address, out.size());
    if (!source) {
        return false;
    }
    if (out.empty()) {
        return true;  // memcpy with an empty span's null pointer would be undefined
    }
    std::memcpy(out.data(), source->data(), out.size());
    return true;
}

bool GuestMemory::write(GuestAddress address, std::span<const uint8_t> data) const {
    auto target = slice(address, data.size());
    if (!target) {
        return false;
    }
    if (data.empty()) {
        return true;
    }
    std::memcpy(target->data(), data.data(), data.size());
    return true;
}

}  // namespace berth
