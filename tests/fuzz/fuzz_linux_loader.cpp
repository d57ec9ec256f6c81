// libFuzzer target: the bzImage parser and the Linux loader
// (vmm/boot/bzimage, vmm/boot/linux_loader, vmm/boot/zero_page) on arbitrary
// kernel file bytes, with a guest memory size, an initrd size and a command
// line from the fuzzer. The seeds are synthetic bzImages (a setup header and
// a small payload), never a real kernel.
//
// Every input either loads or is refused with UserError; anything else thrown
// is a crash. It checks:
//   - parse_bzimage() accepts only what boot.rst and bzimage.h require (boot
//     flag, "HdrS", protocol 2.12+, XLF_KERNEL_64, LOADED_HIGH, init_size,
//     a power-of-two alignment when relocatable, syssize within the file), and
//     its payload is exactly the file after the setup sectors;
//   - a loaded kernel lies inside RAM below the MMIO hole, from 1 MiB on,
//     aligned (relocatable) or at pref_address (not), with init_size room;
//     the initrd page-aligned above it and below initrd_addr_max; every byte
//     of payload, initrd and command line (with its NUL) where the zero page
//     says; the zero page's e820 map sorted, apart, its RAM inside guest RAM;
//   - minimum_memory_size() is honest: with at least that much RAM the load
//     succeeds, and a load that succeeds never needed more;
//   - through guard pages right before and after every RAM mapping, that no
//     write lands outside guest memory (ASan does not see into mmap'd RAM).
//
// Input: a 6-byte header, then the kernel file.
//   [0]     RAM size: (value + 1) * 64 KiB
//   [1]     bit 0: 3 GiB more RAM (split around the MMIO hole at 3 GiB);
//           bit 1: a NUL in the middle of the command line;
//           bit 2: the initrd size counts 64-byte units, not bytes
//   [2..3]  initrd size (little-endian)
//   [4..5]  command line length (little-endian)
//   [6..]   the kernel file
//
// tests/fuzz/make_seeds.py writes the seeds in tests/fuzz/corpus/linux_loader.
//
// clang-format off
// fuzz-sources: vmm/boot/bzimage.cpp vmm/boot/linux_loader.cpp vmm/boot/file_bytes.cpp vmm/boot/vmlinux.cpp vmm/boot/zero_page.cpp vmm/memory/guest_memory.cpp vmm/memory/memory_layout.cpp vmm/common/error.cpp
// clang-format on

#include <asm/bootparam.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "tests/fuzz/boot_memory.h"
#include "tests/fuzz/check.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/linux_loader.h"
#include "vmm/common/error.h"
#include "vmm/layout.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/memory/memory_layout.h"

using namespace berth;
using namespace berth::boot;
using namespace berth::fuzz;

namespace {

constexpr size_t kHeaderSize = 6;
constexpr uint64_t kRamUnit = 64 << 10;
constexpr uint64_t kPage = 0x1000;

template <typename T>
T file_field(std::span<const uint8_t> file, size_t offset) {
    T value;
    std::memcpy(&value, file.data() + offset, sizeof(T));
    return value;
}

#define HEADER_FIELD(file, field)                   \
    file_field<decltype(setup_header::field)>(file, \
                                              kSetupHeaderOffset + offsetof(setup_header, field))

// What bzimage.h promises about a header parse_bzimage() accepted, read
// straight from the file.
NO_COVERAGE void check_parsed(std::span<const uint8_t> file, const BzImage& kernel) {
    CHECK(HEADER_FIELD(file, boot_flag) == kBootFlag);
    CHECK(HEADER_FIELD(file, header) == kHdrSMagic);
    CHECK(HEADER_FIELD(file, version) >= kMinimumBootProtocol);
    CHECK(HEADER_FIELD(file, xloadflags) & XLF_KERNEL_64);
    CHECK(HEADER_FIELD(file, loadflags) & LOADED_HIGH);
    CHECK(kernel.init_size != 0 && kernel.init_size == HEADER_FIELD(file, init_size));
    if (kernel.relocatable) {
        CHECK(std::has_single_bit(kernel.kernel_alignment));
    }
    const uint8_t sects = HEADER_FIELD(file, setup_sects);
    CHECK(kernel.setup_sects == (sects == 0 ? kDefaultSetupSects : sects));
    CHECK(kernel.payload_offset == (kernel.setup_sects + 1u) * kSectorSize);
    CHECK(kernel.payload_offset + kernel.payload_size == file.size());
    CHECK(uint64_t{HEADER_FIELD(file, syssize)} * 16 <= kernel.payload_size);
    CHECK(kernel.setup_header_length <= sizeof(setup_header));
    CHECK(std::equal(kernel.setup_header_bytes.begin(),
                     kernel.setup_header_bytes.begin() + kernel.setup_header_length,
                     file.begin() + kSetupHeaderOffset));
}

NO_COVERAGE void check_loaded(const GuestMemory& memory, const BzImage& kernel,
                              std::span<const uint8_t> file, std::span<const uint8_t> initrd,
                              const std::string& cmdline, const LinuxBootInfo& info,
                              uint64_t ram_end) {
    const uint64_t load = info.kernel_load.value();
    CHECK(info.kernel_reserved_size == std::max<uint64_t>(kernel.init_size, kernel.payload_size));
    CHECK(load >= layout::kHighMemStart.value());
    CHECK(load + info.kernel_reserved_size <= ram_end);
    CHECK(kernel.relocatable ? load % kernel.kernel_alignment == 0 : load == kernel.pref_address);
    CHECK(info.entry_point == info.kernel_load + kStartup64Offset);
    CHECK(memory_holds(memory, load, kernel.payload(file)));

    CHECK(info.initrd_size == initrd.size());
    if (initrd.empty()) {
        CHECK(info.initrd.value() == 0);
    } else {
        const uint64_t start = info.initrd.value();
        CHECK(start % kPage == 0 && start >= load + info.kernel_reserved_size);
        CHECK(start + initrd.size() <= std::min(ram_end, uint64_t{kernel.initrd_addr_max} + 1));
        CHECK(memory_holds(memory, start, initrd));
    }
    const auto* text = reinterpret_cast<const uint8_t*>(cmdline.c_str());
    CHECK(memory_holds(memory, layout::kCmdlineStart.value(), std::span(text, cmdline.size() + 1)));

    const std::optional<boot_params> params = memory.read_obj<boot_params>(info.zero_page);
    CHECK(params.has_value());
    CHECK(params->hdr.code32_start == load);
    CHECK(params->hdr.cmd_line_ptr == layout::kCmdlineStart.value());
    CHECK(params->hdr.ramdisk_image == info.initrd.value());
    CHECK(params->hdr.ramdisk_size == initrd.size());
    CHECK(params->acpi_rsdp_addr == layout::kAcpiStart.value());
    check_e820(memory, *params);
}

// The initrd: the first `size` bytes of one pattern made once, since
// filling megabytes per input would cost more than the whole load.
std::span<const uint8_t> initrd_bytes(size_t size) {
    static const std::vector<uint8_t> pattern = [] {
        std::vector<uint8_t> bytes(0xffff * 64);
        for (size_t i = 0; i < bytes.size(); ++i) {
            bytes[i] = static_cast<uint8_t>(i * 13 + 5);
        }
        return bytes;
    }();
    return std::span(pattern).first(size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderSize) {
        return 0;
    }
    const uint64_t low_ram = (data[0] + 1u) * kRamUnit;
    const uint64_t ram_size = (data[1] & 1) ? layout::kMmioHoleStart.value() + low_ram : low_ram;
    const std::span<const uint8_t> initrd =
        initrd_bytes((data[2] | (data[3] << 8)) * ((data[1] & 4) ? 64u : 1u));
    std::string cmdline(data[4] | (data[5] << 8), 'c');
    if ((data[1] & 2) && !cmdline.empty()) {
        cmdline[cmdline.size() / 2] = '\0';
    }
    const std::span<const uint8_t> file(data + kHeaderSize, size - kHeaderSize);

    BzImage kernel;
    try {
        kernel = parse_bzimage(file);
    } catch (const UserError&) {
        return 0;
    }
    check_parsed(file, kernel);

    const GuestMemory memory = GuestMemory::create(x86_ram_ranges(ram_size));
    const uint64_t ram_end = memory.regions()[0].size;
    for (const MemoryRegion& region : memory.regions()) {
        madvise(region.host, region.size, MADV_NOHUGEPAGE);  // touch 4 KiB, not 2 MiB
    }
    const GuardPages guards(memory);

    std::optional<uint64_t> minimum;
    try {
        minimum = minimum_memory_size(kernel, initrd.size(), cmdline.size());
    } catch (const UserError&) {
    }
    const bool has_nul = cmdline.find('\0') != std::string::npos;
    try {
        const LinuxBootInfo info =
            load_linux(memory, kernel, file, initrd, cmdline, layout::kAcpiStart);
        CHECK(!has_nul && minimum.has_value() && *minimum <= ram_end);
        check_loaded(memory, kernel, file, initrd, cmdline, info, ram_end);
    } catch (const UserError&) {
        // The CLI refuses a --memory below the minimum; above it, nothing may fail.
        CHECK(has_nul || !minimum.has_value() || *minimum > ram_end);
    }
    return 0;
}
