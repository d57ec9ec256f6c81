// MSI-X (PCI Local Bus 3.0 §6.8.2): the capability in configuration space,
// the vector table and the Pending Bit Array that live in a memory BAR, and
// the delivery rules for masked vectors.
//
//   capability  ID, next, Message Control (table size N-1, Function Mask,
//               MSI-X Enable), Table offset/BIR, PBA offset/BIR (12 bytes)
//   table       N entries of 16 bytes: Message Address low, high, Message
//               Data, Vector Control (bit 0: Mask, set at reset)
//   PBA         one Pending bit per vector, in qwords
//
// A vector that fires while it is masked (its own Mask bit or the Function
// Mask) sets its Pending bit instead; the message goes out, and the bit
// clears, as soon as the vector is unmasked (§6.8.2.9). Messages leave through
// an MsiSink, so this file knows nothing of KVM.
//
// Threads: table and PBA accesses come from vCPU threads, notify() from device
// threads, control_written() from configuration writes; one mutex protects
// the whole state. The sink and the observer are called with it held and
// must not call back into this object.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "devices/pci/config_space.h"

namespace berth::pci {

// Where MSI messages go: the VM implements it with KVM_SIGNAL_MSI (or an
// irqfd with a KVM_SET_GSI_ROUTING entry), tests with a recorder.
class MsiSink {
public:
    virtual ~MsiSink() = default;
    virtual void send_msi(uint64_t address, uint32_t data) = 0;
};

// One table entry as the transport sees it.
struct MsixVector {
    uint64_t address = 0;
    uint32_t data = 0;
    bool masked = true;  // the entry's own Mask bit (Function Mask not included)
    bool pending = false;
    bool operator==(const MsixVector&) const = default;
};

class Msix {
public:
    static constexpr uint16_t kMaxVectors = 2048;  // an 11-bit Table Size field

    // Where the table and the PBA live: a BAR index and an 8-byte aligned
    // offset inside it (the low 3 bits of the register carry the BIR).
    struct Placement {
        uint8_t table_bar = 0;
        uint32_t table_offset = 0;
        uint8_t pba_bar = 0;
        uint32_t pba_offset = 0;
    };

    // What notify() did with a message.
    enum class Delivery {
        kSent,          // through the sink
        kPending,       // masked: the Pending bit is set
        kDisabled,      // MSI-X Enable is clear: the transport may use INTx
        kNoSuchVector,  // beyond the table (e.g. virtio's VIRTIO_MSI_NO_VECTOR)
        kBadAddress,    // the guest programmed an address outside the MSI window
    };

    // 1..kMaxVectors vectors; throws std::invalid_argument otherwise.
    Msix(uint16_t vector_count, std::shared_ptr<MsiSink> sink);

    uint16_t vector_count() const { return static_cast<uint16_t>(entries_.size()); }
    uint64_t table_size() const;  // bytes: 16 per vector
    uint64_t pba_size() const;    // bytes: whole qwords

    // Appends the capability to `config` and remembers where it is. The BARs
    // named by `placement` must already be in `config` and large enough, and
    // the table and PBA must not overlap; otherwise std::invalid_argument.
    uint8_t add_capability(ConfigSpace& config, const Placement& placement);

    // Called after every guest write to configuration space: picks up the
    // Enable and Function Mask bits and sends messages they unmask.
    void control_written(const ConfigSpace& config);

    // A guest access to `bar` at `offset`: handles it and returns true when it
    // falls in the table or the PBA, returns false (touching nothing) when it
    // is elsewhere in the BAR. Per §6.8.2 only aligned dword and qword
    // accesses are honoured; others read all ones and write nothing. The PBA
    // is read-only.
    bool bar_read(unsigned bar, uint64_t offset, std::span<uint8_t> data);
    bool bar_write(unsigned bar, uint64_t offset, std::span<const uint8_t> data);

    // The device wants to interrupt through `vector`.
    Delivery notify(uint16_t vector);

    bool enabled() const;
    bool function_masked() const;
    std::optional<MsixVector> vector(uint16_t index) const;
    // Messages dropped because of a bad address, accesses ignored for their width.
    uint64_t dropped_messages() const;
    uint64_t ignored_accesses() const;

    // Called (under the lock) whenever what a vector would deliver changes: its
    // address, data, Mask bit, or the function-wide Enable or Function Mask.
    // `deliverable` is true when a message would go out now. A transport that
    // delivers through irqfds updates KVM's routing here.
    using VectorObserver =
        std::function<void(uint16_t index, const MsixVector& vector, bool deliverable)>;
    void set_vector_observer(VectorObserver observer);

private:
    // Where a BAR access falls: its offset inside the table or the PBA (at
    // most one is set; neither when MSI-X is not placed in that BAR).
    struct Location {
        std::optional<uint64_t> table;
        std::optional<uint64_t> pba;
    };
    Location locate_locked(unsigned bar, uint64_t offset) const;

    struct Entry {
        uint32_t address_low = 0;
        uint32_t address_high = 0;
        uint32_t data = 0;
        uint32_t control = 1;  // PCI_MSIX_ENTRY_CTRL_MASKBIT: masked at reset
        bool pending = false;
    };

    static MsixVector view(const Entry& entry);
    bool masked_locked(const Entry& entry) const;
    Delivery send_locked(Entry& entry);
    void deliver_unmasked_locked(uint16_t index);
    void observe_locked(uint16_t index) const;
    uint32_t read_table_dword(uint64_t offset) const;
    void write_table_dword(uint64_t offset, uint32_t value);
    uint32_t read_pba_dword(uint64_t offset) const;

    const std::shared_ptr<MsiSink> sink_;
    mutable std::mutex mutex_;  // protects everything below
    std::vector<Entry> entries_;
    std::optional<Placement> placement_;
    uint8_t capability_offset_ = 0;
    bool enabled_ = false;
    bool function_masked_ = false;
    uint64_t dropped_messages_ = 0;
    uint64_t ignored_accesses_ = 0;
    VectorObserver observer_;
};

}  // namespace berth::pci
