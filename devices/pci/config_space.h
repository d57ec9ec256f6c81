// The 256-byte configuration space of one PCI function with a type-0 header
// (PCI Local Bus Specification 3.0, §6.1 "Configuration Space Organization").
//
// Every byte has three masks, as in QEMU's model:
//   - write mask: bits the guest may change (all others are read-only),
//   - write-1-to-clear mask: bits a guest write of 1 clears (§6.2.3, Status),
// and the plain value. Berth's own set-up code (the device model) writes
// through set_u8/set_u16/set_u32, which ignore the masks.
//
// Base Address Registers (§6.2.5.1) need no special write path: a BAR's write
// mask covers only the address bits above its size, so the guest's "write
// all ones, read back" sizing sequence yields ~(size - 1) | type bits, and a
// 64-bit BAR is two consecutive registers of which the upper one is fully
// writable (for sizes below 4 GiB).
//
// Where a BAR may be decoded is a separate decision (bar_fits() below and
// PciBus): the register always holds what the guest wrote, so sizing works,
// but PciBus only maps a BAR whose whole range lies inside Berth's PCI window.
//
// Not thread-safe: PciBus serialises every configuration access.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace berth::pci {

// §6.2.5.1: memory BARs decode 32- or 64-bit addresses; I/O BARs 32-bit
// addresses in I/O space (x86 uses 16 of them).
enum class BarKind { kMemory32, kMemory64, kIo };

struct BarSpec {
    BarKind kind = BarKind::kMemory32;
    // A power of two: at least 16 bytes for memory, 4 for I/O (§6.2.5.1); at
    // most 2 GiB for a 32-bit memory BAR and 256 bytes for an I/O BAR (the
    // most an x86 I/O BAR may request, §6.2.5.1 "Implementation note").
    uint64_t size = 0;
    bool prefetchable = false;  // memory BARs only
};

// A range of addresses; used for the windows Berth decodes BARs in.
struct AddressWindow {
    uint64_t start = 0;
    uint64_t size = 0;
};

// Whether [address, address + size) lies wholly inside `window` without
// wrapping. This is Berth's whole policy for guest-written BAR addresses:
// Berth assigns every BAR at creation (as firmware would, and Linux keeps
// firmware-assigned BARs); a guest that moves a BAR anywhere outside the window
// the ACPI tables advertise for PCI (onto RAM, the IOAPIC, the LAPIC, ...) or
// onto another BAR gets no decoding there.
bool bar_fits(uint64_t address, uint64_t size, AddressWindow window);

class ConfigSpace {
public:
    static constexpr uint16_t kSize = 256;                   // PCI_CFG_SPACE_SIZE
    static constexpr uint8_t kFirstCapabilityOffset = 0x40;  // right after the header

    // The identification registers of §6.2.1, read-only to the guest.
    struct Identity {
        uint16_t vendor_id = 0;
        uint16_t device_id = 0;
        uint32_t class_code = 0;  // 24 bits: base class, sub-class, programming interface
        uint8_t revision_id = 0;
        uint16_t subsystem_vendor_id = 0;
        uint16_t subsystem_id = 0;
        uint8_t interrupt_pin = 0;  // 0 none, 1..4 INTA#..INTD#
    };

    explicit ConfigSpace(const Identity& identity);

    // Guest accesses of any width. An access that does not lie wholly inside
    // the 256 bytes reads all ones and writes nothing (there is no extended
    // configuration space).
    void read(uint16_t offset, std::span<uint8_t> data) const;
    void write(uint16_t offset, std::span<const uint8_t> data);

    // Little-endian value of `size` (1, 2 or 4) bytes, for Berth's own code.
    uint32_t read_value(uint16_t offset, unsigned size) const;
    uint8_t read_u8(uint16_t offset) const { return static_cast<uint8_t>(read_value(offset, 1)); }
    uint16_t read_u16(uint16_t offset) const {
        return static_cast<uint16_t>(read_value(offset, 2));
    }
    uint32_t read_u32(uint16_t offset) const { return read_value(offset, 4); }

    // Set-up by the device model: store a value, ignoring the masks.
    void set_u8(uint16_t offset, uint8_t value);
    void set_u16(uint16_t offset, uint16_t value);
    void set_u32(uint16_t offset, uint32_t value);
    // Make `mask`'s bits of the `size`-byte register at `offset` guest-writable
    // (or write-1-to-clear); bits outside `mask` become read-only (or normal).
    void set_write_mask(uint16_t offset, unsigned size, uint32_t mask);
    void set_w1c_mask(uint16_t offset, unsigned size, uint32_t mask);

    uint16_t command() const;

    // Base Address Registers, §6.2.5.1. A 64-bit BAR takes `index` and
    // `index + 1`. Throws std::invalid_argument for a bad index, a size that
    // is not a power of two in range, or a register already in use; these are
    // mistakes in Berth's device models, not guest errors.
    void add_bar(unsigned index, const BarSpec& spec);
    // The BAR described at `index`: nullopt for an unused register or the
    // upper half of a 64-bit BAR.
    std::optional<BarSpec> bar(unsigned index) const;
    // The address currently in the BAR register(s), type bits removed: what the
    // guest last wrote (all ones rounded to the size while it sizes the BAR).
    uint64_t bar_address(unsigned index) const;
    // Berth's placement of the BAR; `address` must be aligned to its size.
    void set_bar_address(unsigned index, uint64_t address);
    // Whether the command register enables decoding for this BAR's space.
    bool bar_decoding_enabled(unsigned index) const;

    // Appends a capability (§6.7) and links it at the end of the list:
    // writes the ID, a next pointer of 0, then `body` (the bytes after the ID
    // and next pointer); `body_write_mask` (same length as `body`, or empty
    // for all read-only) says which of its bits the guest may write. Sets
    // PCI_STATUS_CAP_LIST. Returns the capability's offset (dword aligned).
    // Throws std::length_error when the configuration space is full.
    uint8_t add_capability(uint8_t id, std::span<const uint8_t> body,
                           std::span<const uint8_t> body_write_mask = {});

private:
    std::array<uint8_t, kSize> bytes_{};
    std::array<uint8_t, kSize> write_mask_{};
    std::array<uint8_t, kSize> w1c_mask_{};
    std::array<std::optional<BarSpec>, 6> bars_{};  // PCI_STD_NUM_BARS
    uint8_t last_capability_ = 0;                   // offset of the list's tail, 0 if empty
    uint16_t next_free_ = kFirstCapabilityOffset;
};

}  // namespace berth::pci
