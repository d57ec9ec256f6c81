// libFuzzer target: PCI configuration space and BARs (devices/pci:
// config_space, config_ports, pci_bus, msix) driven the way a guest drives
// them: CONFIG_ADDRESS/CONFIG_DATA accesses of 1, 2, 4 (and, wrongly, 8)
// bytes at any port offset, MMIO and port accesses relative to BARs or
// anywhere, and device interrupts through MSI-X. The bus holds the host
// bridge and two functions (tests/fuzz/pci_function.h) with 32- and 64-bit
// memory BARs, I/O BARs and MSI-X tables in different places.
//
// It checks, after every step:
//   - configuration space: every bit outside what the spec lets the guest
//     change (Command's implemented bits, Cache Line Size, Interrupt Line,
//     BAR address bits above each BAR's size, MSI-X Enable and Function Mask)
//     keeps its value, so IDs, class, header type, Status, capability list,
//     BAR type bits and BAR size masks stay read-only; a write changes
//     exactly the writable bits of the bytes it addresses, in the function
//     CONFIG_ADDRESS selects, and nothing anywhere else; a read returns those
//     bytes, or all ones for an absent function or a disabled address;
//   - decoding: a BAR is decoded only at the address its register holds,
//     with its space enabled in Command, wholly inside its window and on no
//     other BAR; right after a write to a function, each of its BARs that
//     could be decoded is; the device hears of every change (bar_mapped());
//   - BAR accesses: one reaches the function exactly when it lies wholly
//     inside a decoded BAR, with the right BAR and offset, and never reaches
//     outside that BAR's registers; anything else reads all ones;
//   - MSI-X: table reads return what the guest wrote (address bits 1:0 and
//     reserved control bits as 0), accesses that are not aligned dwords or
//     qwords read all ones and write nothing, the PBA is read-only and shows
//     the pending vectors, notify() delivers, holds or refuses as the
//     vector's state says, a held message goes out when its vector is
//     unmasked and only then, and no message leaves for a bad address.
//
// Input: a 2-byte header, then 12-byte steps.
//   [0], [1]  MSI-X vectors of function A and of function B (modulo 64, plus 1)
//   step [0] % 5:
//     0  a raw access to port 0xCF8 + ([1] & 7) of 1 << ([3] & 3) bytes,
//        [1] bit 7: read; value [4..11]
//     1  CONFIG_ADDRESS for slot [1] & 31 (bit 5: function 1, bit 6: bus 1,
//        [3] bit 2: enable clear, bit 3: register bits 27:24 set), register
//        [2] & 0xfc, then CONFIG_DATA at byte [2] & 3, 1 << ([3] & 3) bytes,
//        [1] bit 7: write; value [4..11]
//     2  an access to function [1] % 3 (0: the host bridge), BAR
//        ([1] >> 2 & 7) % 6, at the address its register holds plus
//        [2..3], of 1 << ([1] >> 5 & 3) bytes, [1] bit 7: write; value [4..11]
//     3  an access to address [4..7] on the port bus ([1] bit 0) or the MMIO
//        bus, of 1 << ([1] >> 5 & 3) bytes, [1] bit 7: write; value [8..11]
//     4  function A or B ([1] bit 0) notifies vector [2]
//
// tests/fuzz/make_seeds.py writes the seeds in tests/fuzz/corpus/pci_config.
//
// clang-format off
// fuzz-sources: devices/pci/*.cpp devices/bus.cpp vmm/common/error.cpp
// clang-format on

#include <linux/pci_regs.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "devices/bus.h"
#include "devices/pci/config_ports.h"
#include "devices/pci/config_space.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_bus.h"
#include "tests/fuzz/check.h"
#include "tests/fuzz/pci_function.h"
#include "vmm/layout.h"

using namespace berth;
using namespace berth::pci;
using berth::pci::fuzz::PciFunction;

namespace {

constexpr size_t kHeaderSize = 2;
constexpr size_t kStepSize = 12;
constexpr size_t kMaxSteps = 512;
constexpr uint32_t kLatchedBits = 0x8fff'fffc;  // config_ports.h: enable, 27:24, 23:2
constexpr uint16_t kCommandWritable = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                                      PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
                                      PCI_COMMAND_INTX_DISABLE;
constexpr uint64_t kMsiWindowMask = 0xffff'ffff'fff0'0000;  // Intel SDM 11.11.1: 0xFEEx_xxxx
constexpr uint64_t kMsiWindow = 0xfee0'0000;

constexpr size_t kSlots = 3;        // the host bridge, A and B
constexpr size_t kMaxVectors = 64;  // per function

using Config = std::array<uint8_t, ConfigSpace::kSize>;
// Fixed sizes: a step allocates nothing, which under ASan is most of its cost.
using Configs = std::array<Config, kSlots>;
using Pending = std::array<std::bitset<kMaxVectors>, kSlots>;
using Message = std::pair<uint64_t, uint32_t>;

NO_COVERAGE uint64_t le(std::span<const uint8_t> bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < bytes.size() && i < 8; ++i) {
        value |= uint64_t{bytes[i]} << (8 * i);
    }
    return value;
}

NO_COVERAGE void put_le(std::span<uint8_t> bytes, uint64_t value) {
    for (size_t i = 0; i < bytes.size(); ++i) {
        bytes[i] = static_cast<uint8_t>(value >> (8 * i));
    }
}

NO_COVERAGE bool all_ones(std::span<const uint8_t> bytes) {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t byte) { return byte == 0xff; });
}

class RecordingSink final : public MsiSink {
public:
    void send_msi(uint64_t address, uint32_t data) override {
        CHECK((address & kMsiWindowMask) == kMsiWindow);
        sent.emplace_back(address, data);
    }
    std::vector<Message> sent;
};

// One MSI-X table entry as the guest wrote it (§6.8.2.4-§6.8.2.9).
struct ShadowEntry {
    uint32_t address_low = 0;
    uint32_t address_high = 0;
    uint32_t data = 0;
    uint32_t control = PCI_MSIX_ENTRY_CTRL_MASKBIT;
    uint64_t address() const { return (uint64_t{address_high} << 32) | address_low; }
};

struct FunctionLayout {
    std::vector<std::pair<unsigned, BarSpec>> bars;
    Msix::Placement placement;
};

// Function A: MSI-X table and PBA in a 32-bit BAR; function B: the table in
// a 64-bit BAR, the PBA in another, and the smallest BARs of each kind.
const FunctionLayout kLayoutA{{{0, {BarKind::kMemory32, 0x2000, false}},
                               {1, {BarKind::kIo, 0x20, false}},
                               {2, {BarKind::kMemory64, 0x4000, true}}},
                              {0, 0, 0, 0x1000}};
const FunctionLayout kLayoutB{{{0, {BarKind::kIo, 0x100, false}},
                               {1, {BarKind::kMemory32, 0x10, false}},
                               {2, {BarKind::kMemory64, 0x8000, false}},
                               {4, {BarKind::kMemory32, 0x1000, false}}},
                              {2, 0x4000, 4, 0x800}};

// A slot on the bus, with what the target knows about it from the spec.
struct Slot {
    unsigned number = 0;
    std::shared_ptr<PciFunction> function;  // null for the host bridge
    const FunctionLayout* layout = nullptr;
    Config initial{};
    Config may_change{};  // bits the guest may change
    uint8_t msix_capability = 0;
    std::vector<ShadowEntry> table;

    NO_COVERAGE std::optional<BarSpec> bar(unsigned index) const {
        if (layout) {
            for (const auto& [at, spec] : layout->bars) {
                if (at == index) {
                    return spec;
                }
            }
        }
        return std::nullopt;
    }
};

NO_COVERAGE void set_bits(Config& mask, unsigned offset, unsigned size, uint64_t bits) {
    put_le(std::span(mask).subspan(offset, size), bits);
}

// §6.2.2-§6.2.5 and §6.8.2.3, from the spec rather than from ConfigSpace's masks.
NO_COVERAGE Config writable_bits(const Slot& slot) {
    Config mask{};
    set_bits(mask, PCI_COMMAND, 2, kCommandWritable);
    mask[PCI_CACHE_LINE_SIZE] = 0xff;
    mask[PCI_INTERRUPT_LINE] = 0xff;
    for (unsigned index = 0; index < 6; ++index) {
        const std::optional<BarSpec> spec = slot.bar(index);
        if (!spec) {
            continue;
        }
        const uint64_t above_size = ~(spec->size - 1);
        const unsigned offset = PCI_BASE_ADDRESS_0 + 4 * index;
        switch (spec->kind) {
            case BarKind::kIo:
                set_bits(mask, offset, 4, above_size & 0xfffc);
                break;
            case BarKind::kMemory32:
                set_bits(mask, offset, 4, above_size & 0xffff'fff0);
                break;
            case BarKind::kMemory64:
                set_bits(mask, offset, 8, above_size & ~uint64_t{0xf});
                break;
        }
    }
    if (slot.msix_capability) {
        mask[slot.msix_capability + PCI_MSIX_FLAGS + 1] =
            (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
    }
    return mask;
}

// pci_find_capability(): the list must be well formed.
NO_COVERAGE uint8_t find_msix(const Config& config) {
    uint8_t position = config[PCI_CAPABILITY_LIST];
    for (int ttl = 48; position != 0; --ttl) {
        CHECK(ttl > 0 && position >= 0x40 && position % 4 == 0);
        if (config[position + PCI_CAP_LIST_ID] == PCI_CAP_ID_MSIX) {
            return position;
        }
        position = config[position + PCI_CAP_LIST_NEXT];
    }
    return 0;
}

class Machine {
public:
    Machine(uint16_t vectors_a, uint16_t vectors_b) {
        slots_[0] = Slot{.number = PciBus::kHostBridgeSlot};
        slots_[1] = add(kLayoutA, "fuzz-a", vectors_a);
        slots_[2] = add(kLayoutB, "fuzz-b", vectors_b);
        for (Slot& slot : slots_) {
            slot.initial = config(slot);
            slot.msix_capability = find_msix(slot.initial);
            CHECK((slot.msix_capability != 0) == (slot.function != nullptr));
            slot.may_change = writable_bits(slot);
        }
        check_decoding(nullptr);
    }

    void step(std::span<const uint8_t> step);

private:
    Slot add(const FunctionLayout& layout, const char* name, uint16_t vectors) {
        auto function =
            std::make_shared<PciFunction>(name, layout.bars, vectors, layout.placement, sink_);
        const unsigned number = bus_->add_device(function);
        return Slot{.number = number,
                    .function = function,
                    .layout = &layout,
                    .table = std::vector<ShadowEntry>(vectors)};
    }

    NO_COVERAGE Config config(const Slot& slot) {
        Config bytes{};
        bus_->config_read(0, static_cast<uint8_t>(slot.number), 0, 0, bytes);
        return bytes;
    }
    NO_COVERAGE Configs configs() {
        Configs all;
        for (size_t s = 0; s < kSlots; ++s) {
            all[s] = config(slots_[s]);
        }
        return all;
    }

    struct Target {
        size_t slot;
        uint16_t offset;
    };
    std::optional<Target> data_target(uint64_t port, size_t size) const;
    void port_access(uint64_t port, std::span<uint8_t> bytes, bool write);
    void check_config_write(const Configs& before, std::optional<Target> target,
                            std::span<const uint8_t> value);
    void bar_access(bool io, uint64_t address, std::span<uint8_t> bytes, bool write);
    void check_msix_access(Slot& slot, unsigned bar, uint64_t offset,
                           std::span<const uint8_t> bytes, bool write);
    void notify(Slot& slot, uint16_t vector);
    uint64_t bar_register(const Config& config, unsigned index, BarKind kind) const;
    void check_decoding(const Slot* written);
    void check_msix(const Pending& pending_before, std::vector<Message> expected);
    Pending pending() const;

    devices::Bus mmio_{"mmio"};
    devices::Bus io_{"io"};
    const PciWindows windows_{{layout::kPciMmioStart.value(), layout::kPciMmioSize},
                              {layout::kPciIoStart, layout::kPciIoSize}};
    std::shared_ptr<PciBus> bus_ = std::make_shared<PciBus>(mmio_, io_, windows_);
    ConfigPorts ports_{bus_};
    std::shared_ptr<RecordingSink> sink_ = std::make_shared<RecordingSink>();
    std::array<Slot, kSlots> slots_;
    uint32_t latch_ = 0;  // what CONFIG_ADDRESS should hold
};

// Where a CONFIG_DATA access of `size` bytes at port offset `port` lands, by
// config_ports.h and pci_bus.h: nowhere unless the address is enabled, on
// bus 0, function 0 of an occupied slot, and the access stays inside both
// CONFIG_DATA and the 256 bytes.
NO_COVERAGE std::optional<Machine::Target> Machine::data_target(uint64_t port, size_t size) const {
    if (port < 4 || port >= 8 || size > 8 - port || !(latch_ & 0x8000'0000)) {
        return std::nullopt;
    }
    const unsigned bus = (latch_ >> 16) & 0xff;
    const unsigned device = (latch_ >> 11) & 0x1f;
    const unsigned function = (latch_ >> 8) & 7;
    const unsigned offset = ((latch_ >> 16) & 0xf00) + (latch_ & 0xfc) + (port - 4);
    if (bus != 0 || function != 0 || offset + size > ConfigSpace::kSize) {
        return std::nullopt;
    }
    for (size_t i = 0; i < slots_.size(); ++i) {
        if (slots_[i].number == device) {
            return Target{i, static_cast<uint16_t>(offset)};
        }
    }
    return std::nullopt;
}

NO_COVERAGE void Machine::port_access(uint64_t port, std::span<uint8_t> bytes, bool write) {
    const Configs before = configs();
    const auto pending_before = pending();
    if (port == 0 && bytes.size() == 4) {  // CONFIG_ADDRESS itself
        if (write) {
            ports_.write(port, bytes);
            latch_ = static_cast<uint32_t>(le(bytes)) & kLatchedBits;
        } else {
            ports_.read(port, bytes);
            CHECK(le(bytes) == latch_);
        }
        CHECK(configs() == before);
        return;
    }
    const std::optional<Target> target = data_target(port, bytes.size());
    if (!write) {
        ports_.read(port, bytes);
        if (target) {
            const Config& config = before[target->slot];
            CHECK(std::equal(bytes.begin(), bytes.end(), config.begin() + target->offset));
        } else {
            CHECK(all_ones(bytes));
        }
        CHECK(configs() == before);
        return;
    }
    ports_.write(port, bytes);
    check_config_write(before, target, bytes);
    check_decoding(target ? &slots_[target->slot] : nullptr);
    check_msix(pending_before, {});
}

NO_COVERAGE void Machine::check_config_write(const Configs& before, std::optional<Target> target,
                                             std::span<const uint8_t> value) {
    for (size_t s = 0; s < slots_.size(); ++s) {
        const Slot& slot = slots_[s];
        const Config after = config(slot);
        for (unsigned i = 0; i < ConfigSpace::kSize; ++i) {
            // Read-only bits keep their first value, whatever was written.
            CHECK(((after[i] ^ slot.initial[i]) & ~slot.may_change[i]) == 0);
            const bool written = target && target->slot == s && i >= target->offset &&
                                 i < target->offset + value.size();
            if (written) {
                const uint8_t mask = slot.may_change[i];
                CHECK((after[i] & mask) == (value[i - target->offset] & mask));
            } else {
                CHECK(after[i] == before[s][i]);
            }
        }
    }
}

NO_COVERAGE uint64_t Machine::bar_register(const Config& config, unsigned index,
                                           BarKind kind) const {
    const unsigned offset = PCI_BASE_ADDRESS_0 + 4 * index;
    const uint64_t low = le(std::span(config).subspan(offset, 4));
    switch (kind) {
        case BarKind::kIo:
            return low & PCI_BASE_ADDRESS_IO_MASK;
        case BarKind::kMemory32:
            return low & PCI_BASE_ADDRESS_MEM_MASK;
        case BarKind::kMemory64:
            return (low & PCI_BASE_ADDRESS_MEM_MASK) |
                   (le(std::span(config).subspan(offset + 4, 4)) << 32);
    }
    return 0;
}

NO_COVERAGE bool fits(uint64_t address, uint64_t size, const AddressWindow& window) {
    return address >= window.start && address - window.start <= window.size &&
           size <= window.size - (address - window.start);
}

struct Range {
    uint64_t start;
    uint64_t size;
    bool io;
    NO_COVERAGE bool overlaps(const Range& other) const {
        return io == other.io && start < other.start + other.size && other.start < start + size;
    }
};

NO_COVERAGE void Machine::check_decoding(const Slot* written) {
    std::array<Range, kSlots * 6> decoded;
    size_t decoded_count = 0;
    std::array<Range, 6> undecoded;  // could be decoded, and are not
    size_t undecoded_count = 0;
    for (const Slot& slot : slots_) {
        const Config bytes = config(slot);
        const uint16_t command =
            static_cast<uint16_t>(le(std::span(bytes).subspan(PCI_COMMAND, 2)));
        for (unsigned bar = 0; bar < 6; ++bar) {
            const std::optional<uint64_t> mapping = bus_->bar_mapping(slot.number, bar);
            const std::optional<BarSpec> spec = slot.bar(bar);
            if (!spec) {
                CHECK(!mapping.has_value());
                continue;
            }
            CHECK(slot.function->notified_mapping(bar) == mapping);
            const bool io = spec->kind == BarKind::kIo;
            const uint64_t address = bar_register(bytes, bar, spec->kind);
            const bool enabled = command & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY);
            const bool in_window = fits(address, spec->size, io ? windows_.io : windows_.mmio);
            if (mapping) {
                CHECK(enabled && in_window && *mapping == address);
                decoded[decoded_count++] = {address, spec->size, io};
            } else if (enabled && in_window && &slot == written) {
                undecoded[undecoded_count++] = {address, spec->size, io};
            }
        }
    }
    for (size_t i = 0; i < decoded_count; ++i) {
        for (size_t j = i + 1; j < decoded_count; ++j) {
            CHECK(!decoded[i].overlaps(decoded[j]));
        }
    }
    // Right after a write, a BAR that fits and meets no decoded one is decoded.
    for (size_t i = 0; i < undecoded_count; ++i) {
        CHECK(std::any_of(decoded.begin(), decoded.begin() + decoded_count,
                          [&](const Range& other) { return undecoded[i].overlaps(other); }));
    }
}

NO_COVERAGE void Machine::bar_access(bool io, uint64_t address, std::span<uint8_t> bytes,
                                     bool write) {
    // Which decoded BAR should see it: one that holds all of it.
    std::optional<size_t> expected_slot;
    PciFunction::Access expected{};
    for (size_t s = 0; s < slots_.size(); ++s) {
        const Slot& slot = slots_[s];
        for (unsigned bar = 0; bar < 6; ++bar) {
            const std::optional<uint64_t> mapping = bus_->bar_mapping(slot.number, bar);
            const std::optional<BarSpec> spec = slot.bar(bar);
            if (!mapping || (spec->kind == BarKind::kIo) != io || address < *mapping ||
                address - *mapping >= spec->size ||
                bytes.size() > spec->size - (address - *mapping)) {
                continue;
            }
            expected_slot = s;
            expected = {bar, address - *mapping, bytes.size(), write};
        }
    }
    std::vector<uint64_t> accesses;
    for (const Slot& slot : slots_) {
        accesses.push_back(slot.function ? slot.function->accesses() : 0);
    }
    const auto pending_before = pending();
    devices::Bus& bus = io ? io_ : mmio_;
    const bool handled = write ? bus.write(address, bytes) : bus.read(address, bytes);
    CHECK(handled == expected_slot.has_value());
    for (size_t s = 0; s < slots_.size(); ++s) {
        const Slot& slot = slots_[s];
        if (s == expected_slot) {
            CHECK(slot.function->accesses() == accesses[s] + 1);
            CHECK(slot.function->last_access() == expected);
        } else if (slot.function) {
            CHECK(slot.function->accesses() == accesses[s]);
        }
    }
    if (!expected_slot) {
        CHECK(write || all_ones(bytes));
        check_msix(pending_before, {});
        return;
    }
    check_msix_access(slots_[*expected_slot], expected.bar, expected.offset, bytes, write);
    check_msix(pending_before, {});
}

// An access the function received at `offset` of BAR `bar`: against the
// shadow table when it falls into the MSI-X table or PBA.
NO_COVERAGE void Machine::check_msix_access(Slot& slot, unsigned bar, uint64_t offset,
                                            std::span<const uint8_t> bytes, bool write) {
    const Msix::Placement& placement = slot.layout->placement;
    const uint64_t table_size = slot.table.size() * PCI_MSIX_ENTRY_SIZE;
    const uint64_t pba_size = (slot.table.size() + 63) / 64 * 8;
    const bool in_table = bar == placement.table_bar && offset >= placement.table_offset &&
                          offset - placement.table_offset < table_size;
    const bool in_pba = bar == placement.pba_bar && offset >= placement.pba_offset &&
                        offset - placement.pba_offset < pba_size;
    if (!in_table && !in_pba) {
        return;
    }
    const uint64_t at = offset - (in_table ? placement.table_offset : placement.pba_offset);
    const bool honoured = (bytes.size() == 4 || bytes.size() == 8) && at % bytes.size() == 0;
    if (!honoured) {
        CHECK(write || all_ones(bytes));
        return;
    }
    for (size_t done = 0; done < bytes.size(); done += 4) {
        const uint64_t dword = at + done;
        const auto value = static_cast<uint32_t>(le(bytes.subspan(done, 4)));
        if (in_pba) {
            if (!write) {
                uint32_t pending_bits = 0;
                for (uint64_t bit = 0; bit < 32 && dword * 8 + bit < slot.table.size(); ++bit) {
                    const auto vector =
                        slot.function->msix().vector(static_cast<uint16_t>(dword * 8 + bit));
                    pending_bits |= vector->pending ? 1u << bit : 0;
                }
                CHECK(value == pending_bits);
            }
            continue;
        }
        ShadowEntry& entry = slot.table[dword / PCI_MSIX_ENTRY_SIZE];
        uint32_t* field = nullptr;
        uint32_t writable = ~0u;
        switch (dword % PCI_MSIX_ENTRY_SIZE) {
            case PCI_MSIX_ENTRY_LOWER_ADDR:
                field = &entry.address_low;
                writable = ~3u;  // §6.8.2.4: dword aligned
                break;
            case PCI_MSIX_ENTRY_UPPER_ADDR:
                field = &entry.address_high;
                break;
            case PCI_MSIX_ENTRY_DATA:
                field = &entry.data;
                break;
            default:
                field = &entry.control;
                writable = PCI_MSIX_ENTRY_CTRL_MASKBIT;  // the rest is reserved
                break;
        }
        if (write) {
            *field = value & writable;
        } else {
            CHECK(value == *field);
        }
    }
}

NO_COVERAGE Pending Machine::pending() const {
    Pending all;
    for (size_t s = 0; s < kSlots; ++s) {
        for (uint16_t v = 0; v < slots_[s].table.size(); ++v) {
            all[s][v] = slots_[s].function->msix().vector(v)->pending;
        }
    }
    return all;
}

// The MSI-X state after a step, against the shadow table and the capability's
// control bits. A vector whose Pending bit cleared must have sent its message
// (unless its address is bad); `expected` holds any other the step sent.
NO_COVERAGE void Machine::check_msix(const Pending& pending_before, std::vector<Message> expected) {
    for (size_t s = 0; s < slots_.size(); ++s) {
        const Slot& slot = slots_[s];
        if (!slot.function) {
            continue;
        }
        Msix& msix = slot.function->msix();
        const Config bytes = config(slot);
        const uint8_t control = bytes[slot.msix_capability + PCI_MSIX_FLAGS + 1];
        const bool enabled = control & (PCI_MSIX_FLAGS_ENABLE >> 8);
        const bool function_masked = control & (PCI_MSIX_FLAGS_MASKALL >> 8);
        CHECK(msix.enabled() == enabled && msix.function_masked() == function_masked);
        for (uint16_t v = 0; v < slot.table.size(); ++v) {
            const MsixVector vector = *msix.vector(v);
            const ShadowEntry& entry = slot.table[v];
            CHECK(vector.address == entry.address() && vector.data == entry.data);
            CHECK(vector.masked == ((entry.control & PCI_MSIX_ENTRY_CTRL_MASKBIT) != 0));
            const bool deliverable = enabled && !function_masked && !vector.masked;
            CHECK(!(vector.pending && deliverable));  // it would have gone out
            if (pending_before[s][v] && !vector.pending) {
                CHECK(deliverable);
                if ((vector.address & kMsiWindowMask) == kMsiWindow) {
                    expected.emplace_back(vector.address, vector.data);
                }
            }
        }
    }
    std::sort(expected.begin(), expected.end());
    std::sort(sink_->sent.begin(), sink_->sent.end());
    CHECK(sink_->sent == expected);
    sink_->sent.clear();
}

NO_COVERAGE void Machine::notify(Slot& slot, uint16_t vector) {
    const auto pending_before = pending();
    const Msix::Delivery delivery = slot.function->msix().notify(vector);
    const Config bytes = config(slot);
    const uint8_t control = bytes[slot.msix_capability + PCI_MSIX_FLAGS + 1];
    std::vector<Message> expected;
    if (vector >= slot.table.size()) {
        CHECK(delivery == Msix::Delivery::kNoSuchVector);
    } else if (!(control & (PCI_MSIX_FLAGS_ENABLE >> 8))) {
        CHECK(delivery == Msix::Delivery::kDisabled);
    } else if ((control & (PCI_MSIX_FLAGS_MASKALL >> 8)) ||
               (slot.table[vector].control & PCI_MSIX_ENTRY_CTRL_MASKBIT)) {
        CHECK(delivery == Msix::Delivery::kPending);
        CHECK(slot.function->msix().vector(vector)->pending);
    } else if ((slot.table[vector].address() & kMsiWindowMask) != kMsiWindow) {
        CHECK(delivery == Msix::Delivery::kBadAddress);
    } else {
        CHECK(delivery == Msix::Delivery::kSent);
        expected.emplace_back(slot.table[vector].address(), slot.table[vector].data);
    }
    check_msix(pending_before, expected);
}

void Machine::step(std::span<const uint8_t> step) {
    std::array<uint8_t, 8> value{};
    std::copy_n(step.begin() + 4, 8, value.begin());
    const bool write = (step[1] & 0x80) != 0;
    switch (step[0] % 5) {
        case 0:
            port_access(step[1] & 7, std::span(value).first(size_t{1} << (step[3] & 3)), !write);
            break;
        case 1: {
            uint32_t address = 0x8000'0000 | (step[1] & 0x1f) << 11 | (step[2] & 0xfc);
            address |= (step[1] & 0x20) ? 1u << 8 : 0;   // function 1
            address |= (step[1] & 0x40) ? 1u << 16 : 0;  // bus 1
            address &= (step[3] & 4) ? ~0x8000'0000u : ~0u;
            address |= (step[3] & 8) ? 0x0f00'0000u : 0;  // register 0xf00 and up
            std::array<uint8_t, 4> latch{};
            put_le(latch, address);
            port_access(ConfigPorts::kConfigAddress, latch, true);
            port_access(ConfigPorts::kConfigData + (step[2] & 3),
                        std::span(value).first(size_t{1} << (step[3] & 3)), write);
            break;
        }
        case 2: {
            const Slot& slot = slots_[step[1] % 3];
            const unsigned bar = ((step[1] >> 2) & 7) % 6;
            const std::optional<BarSpec> spec = slot.bar(bar);
            const bool io = spec && spec->kind == BarKind::kIo;
            const uint64_t base =
                spec ? bar_register(config(slot), bar, spec->kind) : windows_.mmio.start;
            bar_access(io, base + le(step.subspan(2, 2)),
                       std::span(value).first(size_t{1} << ((step[1] >> 5) & 3)), write);
            break;
        }
        case 3: {
            std::array<uint8_t, 8> small{};  // [8..11], zero-extended
            std::copy_n(step.begin() + 8, 4, small.begin());
            bar_access(step[1] & 1, le(step.subspan(4, 4)),
                       std::span(small).first(size_t{1} << ((step[1] >> 5) & 3)), write);
            break;
        }
        default:
            notify(slots_[1 + (step[1] & 1)], step[2]);
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < kHeaderSize) {
        return 0;
    }
    Machine machine(static_cast<uint16_t>(data[0] % kMaxVectors + 1),
                    static_cast<uint16_t>(data[1] % kMaxVectors + 1));
    const std::span input(data + kHeaderSize, size - kHeaderSize);
    for (size_t step = 0; step < kMaxSteps && (step + 1) * kStepSize <= input.size(); ++step) {
        machine.step(input.subspan(step * kStepSize, kStepSize));
    }
    return 0;
}
