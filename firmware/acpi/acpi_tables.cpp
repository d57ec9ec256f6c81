#include "firmware/acpi/acpi_tables.h"

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "firmware/acpi/dsdt.h"
#include "firmware/acpi/facs.h"
#include "firmware/acpi/fadt.h"
#include "firmware/acpi/madt.h"
#include "firmware/acpi/root_tables.h"
#include "vmm/layout.h"

namespace berth::acpi {
namespace {

inline constexpr uint64_t kTableAlignment = 8;
inline constexpr uint8_t kMaxIsaIrq = 15;
inline constexpr uint8_t kMaxSleepType = 7;  // SLP_TYP is 3 bits of PM1_CNT

// The image being laid out: tables placed one after another from `base`, each
// at a guest-physical address with the alignment it asks for.
class ImageBuilder {
public:
    explicit ImageBuilder(GuestAddress base) : base_(base) {}

    // Places `table` and returns its guest-physical address.
    uint64_t place(const std::vector<uint8_t>& table, uint64_t alignment) {
        const uint64_t offset = aligned_end(alignment);
        bytes_.resize(offset, 0);
        bytes_.insert(bytes_.end(), table.begin(), table.end());
        return address_of(offset);
    }

    // Rewrites bytes already placed (the RSDP, which is first but written last).
    void overwrite(uint64_t address, const std::vector<uint8_t>& table) {
        const uint64_t offset = address - base_.value();
        if (offset > bytes_.size() || table.size() > bytes_.size() - offset) {
            throw std::logic_error("ACPI image overwrite outside the image");
        }
        std::copy(table.begin(), table.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(offset));
    }

    std::vector<uint8_t> take() { return std::move(bytes_); }

private:
    // The first offset at or after the current end whose address is aligned.
    uint64_t aligned_end(uint64_t alignment) const {
        const uint64_t end = bytes_.size();
        const uint64_t misalignment = address_of(end) % alignment;
        return misalignment == 0 ? end : end + (alignment - misalignment);
    }

    // Below 4 GiB: build_acpi_tables checks base, and the image is small.
    uint64_t address_of(uint64_t offset) const { return base_.value() + offset; }

    GuestAddress base_;
    std::vector<uint8_t> bytes_;
};

void validate(const AcpiConfig& config, GuestAddress base) {
    if (config.cpu_count == 0 || config.cpu_count > kMaxXapicCpus) {
        throw std::invalid_argument("ACPI tables describe 1 to " + std::to_string(kMaxXapicCpus) +
                                    " CPUs, not " + std::to_string(config.cpu_count));
    }
    if (config.sci_irq > kMaxIsaIrq) {
        throw std::invalid_argument("the SCI must be an ISA IRQ (0..15)");
    }
    if (config.s5_sleep_type > kMaxSleepType) {
        throw std::invalid_argument("SLP_TYP is a 3-bit field");
    }
    if (config.ioapic_address > UINT32_MAX) {
        throw std::invalid_argument("the MADT's IOAPIC address is 32 bits");
    }
    // The _CRS memory descriptor holds a 32-bit minimum, maximum and length:
    // an empty window or one past 4 GiB would read maximum < minimum.
    if (config.pci && (config.pci->mmio_size == 0 ||
                       uint64_t{config.pci->mmio_start} + config.pci->mmio_size > (1ull << 32))) {
        throw std::invalid_argument("the PCI memory window must be non-empty and below 4 GiB");
    }
    if (base.value() % kRsdpAlignment != 0) {
        throw std::invalid_argument("the RSDP (first in the ACPI image) must be 16-byte aligned");
    }
}

uint32_t low_address(uint64_t address) {
    if (address > UINT32_MAX) {
        throw std::invalid_argument("ACPI tables must lie below 4 GiB (the RSDT is 32-bit)");
    }
    return static_cast<uint32_t>(address);
}

}  // namespace

AcpiConfig default_acpi_config(uint32_t cpu_count) {
    AcpiConfig config;
    config.cpu_count = cpu_count;
    config.ioapic_address = layout::kIoapicStart.value();
    config.ioapic_id = static_cast<uint8_t>(cpu_count);  // validated by build_acpi_tables
    config.pm1a_evt_port = layout::kAcpiPm1aEvtPort;
    config.pm1a_cnt_port = layout::kAcpiPm1aCntPort;
    config.sci_irq = static_cast<uint8_t>(layout::kAcpiSciIrq);
    config.s5_sleep_type = layout::kS5SleepType;
    config.reset_port = layout::kI8042CommandPort;
    config.reset_value = 0xfe;  // i8042 command "pulse output port bit 0": CPU reset
    return config;
}

AcpiTables build_acpi_tables(const AcpiConfig& config, GuestAddress base, uint64_t max_size) {
    validate(config, base);
    // Everything the image will hold sits below 4 GiB if its limit does.
    uint64_t limit = 0;
    if (__builtin_add_overflow(base.value(), max_size, &limit) || limit > (1ull << 32)) {
        throw std::invalid_argument("the ACPI image must lie below 4 GiB");
    }

    ImageBuilder image(base);
    // RSDP first, so that it sits at `base`; its pointers are known only at
    // the end, so it is written then.
    const uint64_t rsdp = image.place(std::vector<uint8_t>(sizeof(Rsdp), 0), kRsdpAlignment);
    const uint64_t facs = image.place(build_facs(), kFacsAlignment);
    const uint64_t dsdt = image.place(build_dsdt(config), kTableAlignment);

    // The tables the XSDT and RSDT list. To add one (MCFG, ...), place it here.
    std::vector<uint64_t> listed;
    listed.push_back(
        image.place(build_fadt(config, low_address(facs), low_address(dsdt)), kTableAlignment));
    listed.push_back(
        image.place(build_madt(config, low_address(layout::kLapicStart.value())), kTableAlignment));

    const uint64_t xsdt = image.place(build_xsdt(listed), kTableAlignment);
    const uint64_t rsdt = image.place(build_rsdt(listed), kTableAlignment);
    image.overwrite(rsdp, build_rsdp(low_address(rsdt), xsdt));

    AcpiTables tables{GuestAddress(rsdp), image.take()};
    if (tables.bytes.size() > max_size) {
        throw std::invalid_argument("ACPI tables need " + std::to_string(tables.bytes.size()) +
                                    " bytes, more than the " + std::to_string(max_size) +
                                    " available");
    }
    return tables;
}

}  // namespace berth::acpi
