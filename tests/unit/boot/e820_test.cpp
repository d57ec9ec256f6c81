#include "vmm/boot/zero_page.h"

#include <asm/e820.h>
#include <gtest/gtest.h>

#include "vmm/layout.h"

namespace berth::boot {
namespace {

constexpr uint64_t kMiB = 1ull << 20;
constexpr uint64_t kGiB = 1ull << 30;

struct Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
    bool operator==(const Entry&) const = default;
};

// boot_e820_entry is packed; copy it into something gtest can print and compare.
std::vector<Entry> e820_for(uint64_t memory_size) {
    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(memory_size));
    std::vector<Entry> entries;
    for (const boot_e820_entry& entry : build_e820_map(memory)) {
        entries.push_back({entry.addr, entry.size, entry.type});
    }
    return entries;
}

void PrintTo(const Entry& entry, std::ostream* out) {
    *out << std::hex << "[0x" << entry.addr << ", 0x" << entry.addr + entry.size << ") type "
         << std::dec << entry.type;
}

// The properties every map must have, whatever the memory size.
void expect_well_formed(const std::vector<Entry>& map, uint64_t memory_size) {
    ASSERT_FALSE(map.empty());
    EXPECT_LE(map.size(), size_t{E820_MAX_ENTRIES_ZEROPAGE});
    uint64_t ram = 0;
    for (size_t i = 0; i < map.size(); ++i) {
        EXPECT_GT(map[i].size, 0u);
        if (i > 0) {
            EXPECT_LE(map[i - 1].addr + map[i - 1].size, map[i].addr) << "entries overlap or are "
                                                                         "out of order at "
                                                                      << i;
        }
        if (map[i].type == E820_RAM) {
            ram += map[i].size;
            // No RAM in the MMIO hole.
            EXPECT_TRUE(map[i].addr + map[i].size <= layout::kMmioHoleStart.value() ||
                        map[i].addr >= layout::kMmioHoleEnd.value());
        }
    }
    // All of it is RAM except the EBDA..1 MiB carve-out.
    EXPECT_EQ(ram, memory_size - (layout::kHighMemStart.value() - layout::kEbdaStart.value()));

    // The ACPI tables lie wholly inside one reserved entry.
    const uint64_t acpi = layout::kAcpiStart.value();
    bool acpi_reserved = false;
    for (const Entry& entry : map) {
        if (entry.addr <= acpi && acpi + layout::kAcpiSize <= entry.addr + entry.size) {
            acpi_reserved = entry.type == E820_RESERVED;
        }
    }
    EXPECT_TRUE(acpi_reserved);
}

TEST(E820, SmallGuest) {
    const std::vector<Entry> map = e820_for(256 * kMiB);
    const std::vector<Entry> expected = {
        {0, 0x9fc00, E820_RAM},
        {0x9fc00, 0x400, E820_RESERVED},
        {0xe0000, 0x20000, E820_RESERVED},
        {0x100000, 256 * kMiB - 0x100000, E820_RAM},
    };
    EXPECT_EQ(map, expected);
    expect_well_formed(map, 256 * kMiB);
}

TEST(E820, ExactlyThreeGiBStopsAtTheHole) {
    const std::vector<Entry> map = e820_for(3 * kGiB);
    ASSERT_EQ(map.size(), 4u);
    EXPECT_EQ(map.back(), (Entry{0x100000, 3 * kGiB - 0x100000, E820_RAM}));
    expect_well_formed(map, 3 * kGiB);
}

TEST(E820, LargeGuestContinuesAboveFourGiB) {
    const std::vector<Entry> map = e820_for(5 * kGiB);
    ASSERT_EQ(map.size(), 5u);
    EXPECT_EQ(map[3], (Entry{0x100000, 3 * kGiB - 0x100000, E820_RAM}));
    EXPECT_EQ(map[4], (Entry{4 * kGiB, 2 * kGiB, E820_RAM}));
    expect_well_formed(map, 5 * kGiB);
}

}  // namespace
}  // namespace berth::boot
