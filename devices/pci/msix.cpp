#include "devices/pci/msix.h"

#include <linux/pci_regs.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include <fmt/format.h>

namespace berth::pci {
namespace {

// Intel SDM vol. 3 §11.11.1: an x86 MSI is a write to 0xFEEx_xxxx (bits
// 31:20 = 0xFEE; the upper dword is reserved, so it must be zero).
constexpr uint64_t kMsiAddressMask = 0xffff'ffff'fff0'0000;
constexpr uint64_t kMsiAddressBase = 0xfee0'0000;

// §6.8.2.4: the Message Address must be dword aligned; bits 1:0 read as 0.
constexpr uint32_t kAddressLowWritable = ~uint32_t{3};

uint64_t full_address(uint32_t low, uint32_t high) {
    return (uint64_t{high} << 32) | low;
}

bool entry_masked(uint32_t control) {
    return (control & PCI_MSIX_ENTRY_CTRL_MASKBIT) != 0;
}

// The offset of an access inside [start, start + size) of `bar`, if it
// starts there.
std::optional<uint64_t> offset_in(unsigned bar, uint64_t offset, unsigned region_bar,
                                  uint64_t start, uint64_t size) {
    if (bar != region_bar || offset < start || offset - start >= size) {
        return std::nullopt;
    }
    return offset - start;
}

bool honoured_width(uint64_t offset, size_t size) {
    return (size == 4 || size == 8) && offset % size == 0;
}

}  // namespace

Msix::Msix(uint16_t vector_count, std::shared_ptr<MsiSink> sink) : sink_(std::move(sink)) {
    if (vector_count == 0 || vector_count > kMaxVectors) {
        throw std::invalid_argument(fmt::format("MSI-X: {} vectors", vector_count));
    }
    if (!sink_) {
        throw std::invalid_argument("MSI-X: no MSI sink");
    }
    entries_.resize(vector_count);
}

uint64_t Msix::table_size() const {
    return uint64_t{vector_count()} * PCI_MSIX_ENTRY_SIZE;
}

uint64_t Msix::pba_size() const {
    return (uint64_t{vector_count()} + 63) / 64 * 8;
}

uint8_t Msix::add_capability(ConfigSpace& config, const Placement& placement) {
    const auto check_region = [&](const char* what, uint8_t bar, uint32_t offset, uint64_t size) {
        const std::optional<BarSpec> spec = config.bar(bar);
        if (!spec || spec->kind == BarKind::kIo || (offset & ~PCI_MSIX_TABLE_OFFSET) != 0 ||
            offset > spec->size || size > spec->size - offset) {
            throw std::invalid_argument(
                fmt::format("MSI-X {} at BAR {} offset {:#x} does not fit", what, bar, offset));
        }
    };
    check_region("table", placement.table_bar, placement.table_offset, table_size());
    check_region("PBA", placement.pba_bar, placement.pba_offset, pba_size());
    if (placement.table_bar == placement.pba_bar &&
        placement.table_offset < placement.pba_offset + pba_size() &&
        placement.pba_offset < placement.table_offset + table_size()) {
        throw std::invalid_argument("MSI-X table and PBA overlap");
    }

    // The body after ID and next pointer: Message Control, Table, PBA.
    std::array<uint8_t, PCI_CAP_MSIX_SIZEOF - 2> body{};
    std::array<uint8_t, PCI_CAP_MSIX_SIZEOF - 2> write_mask{};
    const auto put32 = [](std::span<uint8_t> bytes, size_t at, uint32_t value) {
        for (size_t i = 0; i < 4; ++i) {
            bytes[at + i] = static_cast<uint8_t>(value >> (8 * i));
        }
    };
    const uint16_t control = static_cast<uint16_t>(vector_count() - 1);  // Table Size is N-1
    body[PCI_MSIX_FLAGS - 2] = static_cast<uint8_t>(control);
    body[PCI_MSIX_FLAGS - 1] = static_cast<uint8_t>(control >> 8);
    write_mask[PCI_MSIX_FLAGS - 1] = (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
    put32(body, PCI_MSIX_TABLE - 2, placement.table_offset | placement.table_bar);
    put32(body, PCI_MSIX_PBA - 2, placement.pba_offset | placement.pba_bar);

    const uint8_t offset = config.add_capability(PCI_CAP_ID_MSIX, body, write_mask);
    std::lock_guard lock(mutex_);
    placement_ = placement;
    capability_offset_ = offset;
    return offset;
}

void Msix::control_written(const ConfigSpace& config) {
    std::lock_guard lock(mutex_);
    if (capability_offset_ == 0) {
        return;
    }
    const uint16_t control = config.read_u16(capability_offset_ + PCI_MSIX_FLAGS);
    const bool enabled = (control & PCI_MSIX_FLAGS_ENABLE) != 0;
    const bool function_masked = (control & PCI_MSIX_FLAGS_MASKALL) != 0;
    if (enabled == enabled_ && function_masked == function_masked_) {
        return;
    }
    enabled_ = enabled;
    function_masked_ = function_masked;
    for (uint16_t index = 0; index < vector_count(); ++index) {
        deliver_unmasked_locked(index);
        observe_locked(index);
    }
}

Msix::Location Msix::locate_locked(unsigned bar, uint64_t offset) const {
    if (!placement_) {
        return {};
    }
    return {offset_in(bar, offset, placement_->table_bar, placement_->table_offset, table_size()),
            offset_in(bar, offset, placement_->pba_bar, placement_->pba_offset, pba_size())};
}

bool Msix::bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data) {
    std::lock_guard lock(mutex_);
    const auto [table, pba] = locate_locked(bar, offset);
    if (!table && !pba) {
        return false;
    }
    const uint64_t at = table ? *table : *pba;
    if (!honoured_width(at, data.size())) {
        std::fill(data.begin(), data.end(), 0xff);
        ++ignored_accesses_;
        return true;
    }
    // A qword access is two dword accesses, low one first.
    for (size_t done = 0; done < data.size(); done += 4) {
        const uint32_t value = table ? read_table_dword(at + done) : read_pba_dword(at + done);
        for (size_t i = 0; i < 4; ++i) {
            data[done + i] = static_cast<uint8_t>(value >> (8 * i));
        }
    }
    return true;
}

bool Msix::bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data) {
    std::lock_guard lock(mutex_);
    const auto [table, pba] = locate_locked(bar, offset);
    if (!table && !pba) {
        return false;
    }
    if (pba) {
        return true;  // §6.8.2.10: the PBA is read-only
    }
    if (!honoured_width(*table, data.size())) {
        ++ignored_accesses_;
        return true;
    }
    for (size_t done = 0; done < data.size(); done += 4) {
        uint32_t value = 0;
        for (size_t i = 0; i < 4; ++i) {
            value |= uint32_t{data[done + i]} << (8 * i);
        }
        write_table_dword(*table + done, value);
    }
    return true;
}

uint32_t Msix::read_table_dword(uint64_t offset) const {
    const Entry& entry = entries_[offset / PCI_MSIX_ENTRY_SIZE];
    switch (offset % PCI_MSIX_ENTRY_SIZE) {
        case PCI_MSIX_ENTRY_LOWER_ADDR:
            return entry.address_low;
        case PCI_MSIX_ENTRY_UPPER_ADDR:
            return entry.address_high;
        case PCI_MSIX_ENTRY_DATA:
            return entry.data;
        default:  // PCI_MSIX_ENTRY_VECTOR_CTRL
            return entry.control;
    }
}

void Msix::write_table_dword(uint64_t offset, uint32_t value) {
    const auto index = static_cast<uint16_t>(offset / PCI_MSIX_ENTRY_SIZE);
    Entry& entry = entries_[index];
    const Entry before = entry;
    switch (offset % PCI_MSIX_ENTRY_SIZE) {
        case PCI_MSIX_ENTRY_LOWER_ADDR:
            entry.address_low = value & kAddressLowWritable;
            break;
        case PCI_MSIX_ENTRY_UPPER_ADDR:
            entry.address_high = value;
            break;
        case PCI_MSIX_ENTRY_DATA:
            entry.data = value;
            break;
        default:  // PCI_MSIX_ENTRY_VECTOR_CTRL
            // Bits 31:1 are reserved and read as 0.
            entry.control = value & PCI_MSIX_ENTRY_CTRL_MASKBIT;
            break;
    }
    if (entry.address_low == before.address_low && entry.address_high == before.address_high &&
        entry.data == before.data && entry.control == before.control) {
        return;
    }
    deliver_unmasked_locked(index);
    observe_locked(index);
}

uint32_t Msix::read_pba_dword(uint64_t offset) const {
    uint32_t value = 0;
    const uint64_t first = offset * 8;  // the vector of bit 0 of this dword
    for (uint64_t bit = 0; bit < 32 && first + bit < entries_.size(); ++bit) {
        if (entries_[first + bit].pending) {
            value |= uint32_t{1} << bit;
        }
    }
    return value;
}

bool Msix::masked_locked(const Entry& entry) const {
    return function_masked_ || entry_masked(entry.control);
}

Msix::Delivery Msix::send_locked(Entry& entry) {
    const uint64_t address = full_address(entry.address_low, entry.address_high);
    if ((address & kMsiAddressMask) != kMsiAddressBase) {
        ++dropped_messages_;
        return Delivery::kBadAddress;
    }
    sink_->send_msi(address, entry.data);
    return Delivery::kSent;
}

void Msix::deliver_unmasked_locked(uint16_t index) {
    Entry& entry = entries_[index];
    if (entry.pending && enabled_ && !masked_locked(entry)) {
        entry.pending = false;
        send_locked(entry);
    }
}

void Msix::observe_locked(uint16_t index) const {
    if (!observer_) {
        return;
    }
    const Entry& entry = entries_[index];
    observer_(index, view(entry), enabled_ && !masked_locked(entry));
}

Msix::Delivery Msix::notify(uint16_t vector) {
    std::lock_guard lock(mutex_);
    if (vector >= entries_.size()) {
        return Delivery::kNoSuchVector;
    }
    if (!enabled_) {
        return Delivery::kDisabled;
    }
    Entry& entry = entries_[vector];
    if (masked_locked(entry)) {
        entry.pending = true;
        return Delivery::kPending;
    }
    return send_locked(entry);
}

bool Msix::enabled() const {
    std::lock_guard lock(mutex_);
    return enabled_;
}

bool Msix::function_masked() const {
    std::lock_guard lock(mutex_);
    return function_masked_;
}

std::optional<MsixVector> Msix::vector(uint16_t index) const {
    std::lock_guard lock(mutex_);
    if (index >= entries_.size()) {
        return std::nullopt;
    }
    return view(entries_[index]);
}

MsixVector Msix::view(const Entry& entry) {
    return MsixVector{full_address(entry.address_low, entry.address_high), entry.data,
                      entry_masked(entry.control), entry.pending};
}

uint64_t Msix::dropped_messages() const {
    std::lock_guard lock(mutex_);
    return dropped_messages_;
}

uint64_t Msix::ignored_accesses() const {
    std::lock_guard lock(mutex_);
    return ignored_accesses_;
}

void Msix::set_vector_observer(VectorObserver observer) {
    std::lock_guard lock(mutex_);
    observer_ = std::move(observer);
}

}  // namespace berth::pci
