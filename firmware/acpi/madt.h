// Multiple APIC Description Table (ACPI 6.4 §5.2.12), signature "APIC".
#pragma once

#include <cstdint>
#include <vector>

#include "firmware/acpi/acpi_tables.h"
#include "firmware/acpi/sdt.h"

namespace berth::acpi {

// The fixed part (ACPI 6.4 Table 5.19); interrupt controller structures follow.
struct __attribute__((packed)) MadtHeader {
    SdtHeader header;
    uint32_t local_apic_address;
    uint32_t flags;
};
static_assert(sizeof(MadtHeader) == 44);

// Processor Local APIC Structure (ACPI 6.4 §5.2.12.2, Table 5.22).
struct __attribute__((packed)) MadtLocalApic {
    uint8_t type;    // MADT_PROCESSOR_LOCAL_APIC
    uint8_t length;  // 8
    uint8_t acpi_processor_uid;
    uint8_t apic_id;
    uint32_t flags;  // MADT_LAPIC_ENABLED
};
static_assert(sizeof(MadtLocalApic) == 8);

// I/O APIC Structure (ACPI 6.4 §5.2.12.3, Table 5.24).
struct __attribute__((packed)) MadtIoApic {
    uint8_t type;    // MADT_IO_APIC
    uint8_t length;  // 12
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t io_apic_address;
    uint32_t global_system_interrupt_base;
};
static_assert(sizeof(MadtIoApic) == 12);

// Interrupt Source Override Structure (ACPI 6.4 §5.2.12.5, Table 5.25).
struct __attribute__((packed)) MadtInterruptSourceOverride {
    uint8_t type;    // MADT_INTERRUPT_SOURCE_OVERRIDE
    uint8_t length;  // 10
    uint8_t bus;     // 0: ISA
    uint8_t source;  // ISA IRQ
    uint32_t global_system_interrupt;
    uint16_t flags;  // MPS INTI flags (Table 5.26)
};
static_assert(sizeof(MadtInterruptSourceOverride) == 10);

// Local APIC NMI Structure (ACPI 6.4 §5.2.12.7, Table 5.28).
struct __attribute__((packed)) MadtLocalApicNmi {
    uint8_t type;                // MADT_LOCAL_APIC_NMI
    uint8_t length;              // 6
    uint8_t acpi_processor_uid;  // 0xFF: all processors
    uint16_t flags;              // MPS INTI flags
    uint8_t local_apic_lint;     // LINTn input the NMI is wired to
};
static_assert(sizeof(MadtLocalApicNmi) == 6);

// MADT revision 5 is the format of ACPI 6.3 and 6.4.
inline constexpr uint8_t kMadtRevision = 5;

inline constexpr uint32_t MADT_PCAT_COMPAT = 1u << 0;    // Table 5.20: dual 8259s present too
inline constexpr uint8_t MADT_PROCESSOR_LOCAL_APIC = 0;  // Table 5.21
inline constexpr uint8_t MADT_IO_APIC = 1;
inline constexpr uint8_t MADT_INTERRUPT_SOURCE_OVERRIDE = 2;
inline constexpr uint8_t MADT_LOCAL_APIC_NMI = 4;
inline constexpr uint32_t MADT_LAPIC_ENABLED = 1u << 0;  // Table 5.23
// MPS INTI flags (Table 5.26): polarity in bits 1:0, trigger mode in bits 3:2.
inline constexpr uint16_t MPS_INTI_POLARITY_CONFORMS = 0b00;
inline constexpr uint16_t MPS_INTI_POLARITY_ACTIVE_HIGH = 0b01;
inline constexpr uint16_t MPS_INTI_POLARITY_ACTIVE_LOW = 0b11;
inline constexpr uint16_t MPS_INTI_TRIGGER_CONFORMS = 0b00 << 2;
inline constexpr uint16_t MPS_INTI_TRIGGER_EDGE = 0b01 << 2;
inline constexpr uint16_t MPS_INTI_TRIGGER_LEVEL = 0b11 << 2;

inline constexpr uint8_t kAllProcessorsUid = 0xff;  // §5.2.12.7
// APIC id 0xFF is the xAPIC broadcast id, and processor UID 0xFF means "all"
// in the NMI structure, so xAPIC entries can describe at most 254 CPUs.
inline constexpr uint32_t kMaxXapicCpus = 254;

// The MADT for `config`: one enabled Processor Local APIC per CPU (APIC id and
// UID n), the IOAPIC, the SCI's interrupt source override, and LINT1 as NMI.
// Expects a validated config (1..kMaxXapicCpus CPUs, IOAPIC below 4 GiB).
std::vector<uint8_t> build_madt(const AcpiConfig& config, uint32_t local_apic_address);

}  // namespace berth::acpi
