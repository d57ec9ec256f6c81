#include "devices/pci/config_space.h"

#include <linux/pci_regs.h>

#include <algorithm>
#include <bit>
#include <stdexcept>

#include <fmt/format.h>

namespace berth::pci {
namespace {

static_assert(ConfigSpace::kSize == PCI_CFG_SPACE_SIZE);

// §6.2.2: the Command bits a function without special cycles, VGA snooping,
// memory-write-and-invalidate or fast back-to-back transactions implements.
constexpr uint16_t kCommandWritable = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                                      PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                                      PCI_COMMAND_INTX_DISABLE;
// §6.2.3: the Status error bits are "set by hardware, cleared by writing 1".
constexpr uint16_t kStatusWriteOneToClear =
    PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |
    PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;

// x86 I/O BARs decode 16 address bits; the upper half reads as zero.
constexpr uint32_t kIoBarAddressBits = 0xffff;
constexpr uint64_t kMaxIoBarSize = 256;
constexpr uint64_t kMinIoBarSize = 4;
constexpr uint64_t kMinMemoryBarSize = 16;
constexpr uint64_t kMax32BitBarSize = 1ull << 31;

uint16_t bar_offset(unsigned index) {
    return static_cast<uint16_t>(PCI_BASE_ADDRESS_0 + 4 * index);
}

// The bits of a BAR register that carry its type rather than its address.
uint32_t type_bits(const BarSpec& spec) {
    switch (spec.kind) {
        case BarKind::kIo:
            return PCI_BASE_ADDRESS_SPACE_IO;
        case BarKind::kMemory32:
            return PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32 |
                   (spec.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
        case BarKind::kMemory64:
            return PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64 |
                   (spec.prefetchable ? PCI_BASE_ADDRESS_MEM_PREFETCH : 0);
    }
    return 0;
}

// The address bits the guest may write: everything above the size. Sizing
// (write ~0, read back) then returns these bits plus the type bits.
uint64_t address_mask(const BarSpec& spec) {
    const uint64_t above_size = ~(spec.size - 1);
    switch (spec.kind) {
        case BarKind::kIo:
            return above_size & kIoBarAddressBits & PCI_BASE_ADDRESS_IO_MASK;
        case BarKind::kMemory32:
            return above_size & 0xffff'ffffu & PCI_BASE_ADDRESS_MEM_MASK;
        case BarKind::kMemory64:
            return above_size & ~uint64_t{0xf};
    }
    return 0;
}

}  // namespace

bool bar_fits(uint64_t address, uint64_t size, AddressWindow window) {
    uint64_t end = 0;
    uint64_t window_end = 0;
    if (size == 0 || __builtin_add_overflow(address, size, &end) ||
        __builtin_add_overflow(window.start, window.size, &window_end)) {
        return false;
    }
    return address >= window.start && end <= window_end;
}

ConfigSpace::ConfigSpace(const Identity& identity) {
    set_u16(PCI_VENDOR_ID, identity.vendor_id);
    set_u16(PCI_DEVICE_ID, identity.device_id);
    set_u8(PCI_REVISION_ID, identity.revision_id);
    // PCI_CLASS_REVISION is the dword holding the revision and the class code.
    set_u32(PCI_CLASS_REVISION, (identity.class_code << 8) | identity.revision_id);
    set_u8(PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL);  // single function
    set_u16(PCI_SUBSYSTEM_VENDOR_ID, identity.subsystem_vendor_id);
    set_u16(PCI_SUBSYSTEM_ID, identity.subsystem_id);
    set_u8(PCI_INTERRUPT_PIN, identity.interrupt_pin);

    set_write_mask(PCI_COMMAND, 2, kCommandWritable);
    set_w1c_mask(PCI_STATUS, 2, kStatusWriteOneToClear);
    set_write_mask(PCI_CACHE_LINE_SIZE, 1, 0xff);
    set_write_mask(PCI_INTERRUPT_LINE, 1, 0xff);  // scratch for the OS (§6.2.4)
    // The expansion ROM BAR stays read-only zero: sizing it reads 0, "no ROM".
}

void ConfigSpace::read(uint16_t offset, std::span<uint8_t> data) const {
    if (offset >= kSize || data.size() > size_t{kSize} - offset) {
        std::fill(data.begin(), data.end(), 0xff);
        return;
    }
    std::copy_n(bytes_.begin() + offset, data.size(), data.begin());
}

void ConfigSpace::write(uint16_t offset, std::span<const uint8_t> data) {
    if (offset >= kSize || data.size() > size_t{kSize} - offset) {
        return;
    }
    for (size_t i = 0; i < data.size(); ++i) {
        const size_t at = offset + i;
        const uint8_t kept = bytes_[at] & static_cast<uint8_t>(~write_mask_[at]);
        uint8_t value = kept | (data[i] & write_mask_[at]);
        value &= static_cast<uint8_t>(~(data[i] & w1c_mask_[at]));
        bytes_[at] = value;
    }
}

uint32_t ConfigSpace::read_value(uint16_t offset, unsigned size) const {
    uint32_t value = 0;
    for (unsigned i = 0; i < size && offset + i < kSize; ++i) {
        value |= uint32_t{bytes_[offset + i]} << (8 * i);
    }
    return value;
}

void ConfigSpace::set_u8(uint16_t offset, uint8_t value) {
    bytes_.at(offset) = value;
}

void ConfigSpace::set_u16(uint16_t offset, uint16_t value) {
    set_u8(offset, static_cast<uint8_t>(value));
    set_u8(offset + 1, static_cast<uint8_t>(value >> 8));
}

void ConfigSpace::set_u32(uint16_t offset, uint32_t value) {
    set_u16(offset, static_cast<uint16_t>(value));
    set_u16(offset + 2, static_cast<uint16_t>(value >> 16));
}

void ConfigSpace::set_write_mask(uint16_t offset, unsigned size, uint32_t mask) {
    for (unsigned i = 0; i < size; ++i) {
        write_mask_.at(offset + i) = static_cast<uint8_t>(mask >> (8 * i));
    }
}

void ConfigSpace::set_w1c_mask(uint16_t offset, unsigned size, uint32_t mask) {
    for (unsigned i = 0; i < size; ++i) {
        w1c_mask_.at(offset + i) = static_cast<uint8_t>(mask >> (8 * i));
    }
}

uint16_t ConfigSpace::command() const {
    return read_u16(PCI_COMMAND);
}

void ConfigSpace::add_bar(unsigned index, const BarSpec& spec) {
    const bool is64 = spec.kind == BarKind::kMemory64;
    const unsigned registers = is64 ? 2 : 1;
    if (index >= bars_.size() || index + registers > bars_.size()) {
        throw std::invalid_argument(fmt::format("PCI BAR index {} out of range", index));
    }
    for (unsigned i = index; i < index + registers; ++i) {
        // A register is in use if it holds a BAR or the upper half of one.
        if (bars_[i] || (i > 0 && bars_[i - 1] && bars_[i - 1]->kind == BarKind::kMemory64)) {
            throw std::invalid_argument(fmt::format("PCI BAR {} is already in use", i));
        }
    }
    const bool io = spec.kind == BarKind::kIo;
    const uint64_t min = io ? kMinIoBarSize : kMinMemoryBarSize;
    const uint64_t max = io ? kMaxIoBarSize : (is64 ? (1ull << 63) : kMax32BitBarSize);
    if (!std::has_single_bit(spec.size) || spec.size < min || spec.size > max ||
        (io && spec.prefetchable)) {
        throw std::invalid_argument(
            fmt::format("PCI BAR {}: invalid size {:#x}", index, spec.size));
    }
    bars_[index] = spec;
    const uint64_t mask = address_mask(spec);
    set_u32(bar_offset(index), type_bits(spec));
    set_write_mask(bar_offset(index), 4, static_cast<uint32_t>(mask));
    if (is64) {
        set_u32(bar_offset(index + 1), 0);
        set_write_mask(bar_offset(index + 1), 4, static_cast<uint32_t>(mask >> 32));
    }
}

std::optional<BarSpec> ConfigSpace::bar(unsigned index) const {
    return index < bars_.size() ? bars_[index] : std::nullopt;
}

uint64_t ConfigSpace::bar_address(unsigned index) const {
    const std::optional<BarSpec> spec = bar(index);
    if (!spec) {
        return 0;
    }
    uint64_t value = read_u32(bar_offset(index));
    if (spec->kind == BarKind::kMemory64) {
        value |= uint64_t{read_u32(bar_offset(index + 1))} << 32;
    }
    return value & address_mask(*spec);
}

void ConfigSpace::set_bar_address(unsigned index, uint64_t address) {
    const std::optional<BarSpec> spec = bar(index);
    if (!spec || (address & address_mask(*spec)) != address) {
        throw std::invalid_argument(
            fmt::format("PCI BAR {}: address {:#x} does not fit the BAR", index, address));
    }
    set_u32(bar_offset(index), static_cast<uint32_t>(address) | type_bits(*spec));
    if (spec->kind == BarKind::kMemory64) {
        set_u32(bar_offset(index + 1), static_cast<uint32_t>(address >> 32));
    }
}

bool ConfigSpace::bar_decoding_enabled(unsigned index) const {
    const std::optional<BarSpec> spec = bar(index);
    if (!spec) {
        return false;
    }
    const uint16_t enable = spec->kind == BarKind::kIo ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
    return (command() & enable) != 0;
}

uint8_t ConfigSpace::add_capability(uint8_t id, std::span<const uint8_t> body,
                                    std::span<const uint8_t> body_write_mask) {
    if (!body_write_mask.empty() && body_write_mask.size() != body.size()) {
        throw std::invalid_argument("PCI capability: write mask and body differ in length");
    }
    const size_t length = 2 + body.size();  // ID and next pointer first
    if (length > size_t{kSize} - next_free_) {
        throw std::length_error(
            fmt::format("PCI capability {:#x} does not fit in configuration space", id));
    }
    const auto offset = static_cast<uint8_t>(next_free_);
    set_u8(offset + PCI_CAP_LIST_ID, id);
    set_u8(offset + PCI_CAP_LIST_NEXT, 0);
    for (size_t i = 0; i < body.size(); ++i) {
        set_u8(static_cast<uint16_t>(offset + 2 + i), body[i]);
        write_mask_[offset + 2 + i] = body_write_mask.empty() ? 0 : body_write_mask[i];
    }
    if (last_capability_ == 0) {
        set_u8(PCI_CAPABILITY_LIST, offset);
        set_u16(PCI_STATUS, read_u16(PCI_STATUS) | PCI_STATUS_CAP_LIST);
    } else {
        set_u8(last_capability_ + PCI_CAP_LIST_NEXT, offset);
    }
    last_capability_ = offset;
    // §6.7: each capability starts on a dword boundary.
    next_free_ = static_cast<uint16_t>((next_free_ + length + 3) & ~size_t{3});
    return offset;
}

}  // namespace berth::pci
