#pragma once

// The Multiple APIC Description Table, signature "APIC" (ACPI 6.4 5.2.12):
// which CPUs the machine has (by local APIC ID), where its I/O APICs are,
// how legacy ISA IRQs map onto global system interrupts, and which
// interrupt pins carry NMIs.
//
// parse_madt reads the table's structure; check_madt then judges what it
// says against the rest of the machine (RAM, the I/O APICs' sizes), which
// only the kernel knows. Either one names the field of a table that lies.

#include <stddef.h>
#include <stdint.h>

#include "acpi/acpi_error.h"
#include "acpi/sdt_header.h"
#include "lib/result.h"

namespace acpi {

inline constexpr char kMadtSignature[] = "APIC";

// MPS INTI flags (ACPI 6.4 Table 5.26): polarity and trigger mode of an
// interrupt input. Conforming means "as the bus defines it": for ISA,
// active high and edge triggered.
enum class Polarity : uint8_t {
    Conforming = 0,
    ActiveHigh = 1,
    ActiveLow = 3,
};
enum class TriggerMode : uint8_t {
    Conforming = 0,
    Edge = 1,
    Level = 3,
};

// Processor Local APIC (type 0) or Processor Local x2APIC (type 9).
struct MadtProcessor {
    uint32_t apic_id;
    uint32_t acpi_uid; // the processor's ACPI UID (type 0: the 8-bit processor ID)
    bool enabled; // flags bit 0: usable now
    bool online_capable; // flags bit 1: may be enabled later (only meaningful when !enabled)
    bool from_x2apic_entry;
    uint32_t entry_offset; // where its entry starts, in bytes from the table's start
};

// I/O APIC (type 1).
struct MadtIoApic {
    uint8_t id;
    uint64_t address; // physical, of its 4 KiB register window
    uint32_t gsi_base; // the first global system interrupt it serves
};

// Interrupt Source Override (type 2): ISA IRQ source arrives on gsi.
struct MadtInterruptOverride {
    uint8_t bus; // 0: ISA
    uint8_t source_irq;
    uint32_t gsi;
    Polarity polarity;
    TriggerMode trigger;
};

// NMI Source (type 3): a GSI wired to NMI.
struct MadtNmiSource {
    uint32_t gsi;
    Polarity polarity;
    TriggerMode trigger;
};

// Local APIC NMI (type 4) and Local x2APIC NMI (type 10): which LINT pin of
// which processors carries NMI.
struct MadtLocalApicNmi {
    static constexpr uint32_t kAllProcessors = 0xFFFFFFFF; // UID 0xFF (type 4) or 0xFFFFFFFF (type 10)
    uint32_t acpi_uid;
    uint8_t lint; // 0 or 1
    Polarity polarity;
    TriggerMode trigger;
};

struct Madt {
    static constexpr size_t kMaxProcessors = 256;
    static constexpr size_t kMaxIoApics = 16;
    static constexpr size_t kMaxOverrides = 32;
    static constexpr size_t kMaxNmiSources = 16;
    static constexpr size_t kMaxLocalApicNmis = 32;

    uint64_t local_apic_address; // the table's 32-bit field, or the type 5 override when present
    bool local_apic_address_overridden;
    bool pc_at_compatible; // flags bit 0 (PCAT_COMPAT): the machine also has 8259s

    MadtProcessor processors[kMaxProcessors];
    size_t processor_count;
    MadtIoApic io_apics[kMaxIoApics];
    size_t io_apic_count;
    MadtInterruptOverride overrides[kMaxOverrides];
    size_t override_count;
    MadtNmiSource nmi_sources[kMaxNmiSources];
    size_t nmi_source_count;
    MadtLocalApicNmi local_apic_nmis[kMaxLocalApicNmis];
    size_t local_apic_nmi_count;
    size_t unknown_entry_count; // entry types this reader skips (by their length)

    size_t enabled_processor_count() const;
    // The GSI a legacy ISA IRQ arrives on, with the override applied
    // (identity when there is none), and its polarity and trigger mode
    // (Conforming stays Conforming: for ISA that means active high, edge).
    MadtInterruptOverride route_isa_irq(uint8_t irq) const;
    // The I/O APIC serving gsi given each one's redirection entry count
    // (as MadtLimits::io_apic_entry_counts), or nullptr.
    const MadtIoApic* io_apic_for_gsi(uint32_t gsi, const uint32_t* io_apic_entry_counts) const;
};

// Structure only: the header's signature and length, each entry's type and
// length (an entry cut short or running past the table is rejected), and
// the counts above their capacities. A MADT that lies is rejected whole.
lib::Result<Madt, AcpiError> parse_madt(const SdtView& table);
// The same into a Madt the caller owns (the kernel keeps its ~6 KiB in a
// static rather than on a stack); on failure madt holds nothing useful.
lib::Result<void, AcpiError> parse_madt_into(const SdtView& table, Madt& madt);

// What the kernel knows that the table does not.
struct MadtLimits {
    // Whether [physical, physical + length) overlaps memory the memory map
    // calls usable RAM.
    bool (*overlaps_ram)(uint64_t physical, uint64_t length, const void* context);
    const void* context;
    // Redirection entries of io_apics[i] as its version register says, or 0
    // when not yet read (then overrides are not checked against it).
    const uint32_t* io_apic_entry_counts;
};

// Meaning: at least one enabled processor, no APIC ID twice (among the
// processors that are enabled or online capable: firmware lists absent
// sockets with placeholder IDs), no I/O APIC or local APIC window over RAM,
// no two I/O APICs serving the same GSIs, every override's GSI served by
// some I/O APIC, overrides only for ISA (bus 0), no reserved polarity or
// trigger mode (2) and LINT 0 or 1 in any entry.
lib::Result<void, AcpiError> check_madt(const Madt& madt, uint64_t table_physical, const MadtLimits& limits);

} // namespace acpi
