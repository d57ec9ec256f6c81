// What the two boot-loader fuzz targets (fuzz_linux_loader, fuzz_vmlinux)
// check guest memory with: guard pages around RAM, byte comparison, and the
// zero page's e820 map.
#pragma once

#include <asm/bootparam.h>
#include <asm/e820.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "tests/fuzz/check.h"
#include "vmm/memory/guest_memory.h"

namespace berth::fuzz {

// Inaccessible pages right before and after each RAM mapping, where they are
// free to take: a stray write there faults instead of corrupting the heap
// (ASan does not see into mmap'd RAM).
class GuardPages {
public:
    explicit GuardPages(const GuestMemory& memory) {
        const long page = sysconf(_SC_PAGESIZE);
        for (const MemoryRegion& region : memory.regions()) {
            add(region.host - page, page);
            add(region.host + region.size, page);
        }
    }
    ~GuardPages() {
        for (const auto& [address, size] : guards_) {
            munmap(address, size);
        }
    }
    GuardPages(const GuardPages&) = delete;
    GuardPages& operator=(const GuardPages&) = delete;

private:
    void add(uint8_t* address, long size) {
        void* got = mmap(address, size, PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (got == MAP_FAILED) {
            return;  // something else lives there already
        }
        guards_.emplace_back(got, size);
    }
    std::vector<std::pair<void*, size_t>> guards_;
};

// Whether guest memory at `address` holds exactly `bytes`.
NO_COVERAGE inline bool memory_holds(const GuestMemory& memory, uint64_t address,
                                     std::span<const uint8_t> bytes) {
    const auto held = memory.slice(GuestAddress(address), bytes.size());
    return held && std::ranges::equal(*held, bytes);
}

// The zero page's e820 map: within its table, sorted, entries apart, and
// every RAM entry inside guest RAM.
NO_COVERAGE inline void check_e820(const GuestMemory& memory, const boot_params& params) {
    CHECK(params.e820_entries <= E820_MAX_ENTRIES_ZEROPAGE);
    uint64_t previous_end = 0;
    for (unsigned i = 0; i < params.e820_entries; ++i) {
        const boot_e820_entry& entry = params.e820_table[i];
        CHECK(entry.size > 0 && entry.addr >= previous_end);
        previous_end = entry.addr + entry.size;
        if (entry.type == E820_RAM) {
            CHECK(memory.contains(GuestAddress(entry.addr), entry.size));
        }
    }
}

}  // namespace berth::fuzz
