#include "firmware/acpi/madt.h"

namespace berth::acpi {

std::vector<uint8_t> build_madt(const AcpiConfig& config, uint32_t local_apic_address) {
    MadtHeader madt{};
    madt.header = make_sdt_header("APIC", kMadtRevision);
    madt.local_apic_address = local_apic_address;
    // Berth's in-kernel irqchip has 8259s as well as the IOAPIC; PCAT_COMPAT
    // tells the OS to mask them before it switches to APIC mode.
    madt.flags = MADT_PCAT_COMPAT;

    std::vector<uint8_t> table;
    append_struct(table, madt);

    // §5.2.12.1: the boot processor's entry comes first. Berth's BSP is CPU 0.
    for (uint32_t cpu = 0; cpu < config.cpu_count; ++cpu) {
        MadtLocalApic lapic{};
        lapic.type = MADT_PROCESSOR_LOCAL_APIC;
        lapic.length = sizeof(MadtLocalApic);
        lapic.acpi_processor_uid = static_cast<uint8_t>(cpu);
        lapic.apic_id = static_cast<uint8_t>(cpu);
        lapic.flags = MADT_LAPIC_ENABLED;
        append_struct(table, lapic);
    }

    MadtIoApic ioapic{};
    ioapic.type = MADT_IO_APIC;
    ioapic.length = sizeof(MadtIoApic);
    ioapic.io_apic_id = config.ioapic_id;
    ioapic.io_apic_address = static_cast<uint32_t>(config.ioapic_address);
    ioapic.global_system_interrupt_base = 0;  // pins 0..23 are GSIs 0..23
    append_struct(table, ioapic);

    // KVM's default routing wires ISA IRQ n to IOAPIC pin n, so ISA IRQs need
    // no overrides (not even IRQ 0, which a PC wires to pin 2). The SCI needs
    // one anyway, for its polarity: without an override the OS programs the
    // SCI pin level-triggered active-LOW (ACPI 6.4 §5.2.9, SCI_INT), but
    // Berth's PM device asserts it by raising the line to 1, and KVM's IOAPIC
    // inverts the input of an active-low pin. Level (not edge) because the SCI
    // stays asserted while any enabled PM1 status bit is set.
    MadtInterruptSourceOverride sci{};
    sci.type = MADT_INTERRUPT_SOURCE_OVERRIDE;
    sci.length = sizeof(MadtInterruptSourceOverride);
    sci.bus = 0;
    sci.source = config.sci_irq;
    sci.global_system_interrupt = config.sci_irq;
    sci.flags = MPS_INTI_POLARITY_ACTIVE_HIGH | MPS_INTI_TRIGGER_LEVEL;
    append_struct(table, sci);

    // As on every PC: each local APIC's LINT1 input is the NMI. Flags conform
    // to the bus (edge, active high).
    MadtLocalApicNmi nmi{};
    nmi.type = MADT_LOCAL_APIC_NMI;
    nmi.length = sizeof(MadtLocalApicNmi);
    nmi.acpi_processor_uid = kAllProcessorsUid;
    nmi.flags = MPS_INTI_POLARITY_CONFORMS | MPS_INTI_TRIGGER_CONFORMS;
    nmi.local_apic_lint = 1;
    append_struct(table, nmi);

    finish_table(table);
    return table;
}

}  // namespace berth::acpi
