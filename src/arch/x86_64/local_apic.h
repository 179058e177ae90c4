#pragma once

// The local APIC of the CPU that runs the code (Intel SDM Vol. 3A ch. 11):
// in xAPIC mode through its 4 KiB MMIO window (mapped uncached and
// no-execute), in x2APIC mode through MSRs 0x800-0x8FF when the CPU offers
// it. One mode for all CPUs: the boot CPU picks it, the others follow.
//
// Owner: the "apic" work of issue 13. This header is the interface the SMP
// bring-up codes against; keep its names.

#include <stdint.h>

#include "arch/x86_64/local_apic_registers.h"

namespace arch {

enum class LocalApicMode : uint8_t {
    None, // no APIC, or turned off by the boot word `noapic`: 8259 and PIT
    XApic,
    X2Apic,
};

// ICR delivery modes used by the kernel (SDM Vol. 3A 11.6.1).
enum class IpiDelivery : uint8_t {
    Fixed = 0b000,
    Nmi = 0b100,
    Init = 0b101,
    Startup = 0b110,
};

enum class IpiDestination : uint8_t {
    Target = 0b00, // the APIC ID given
    Self = 0b01,
    AllIncludingSelf = 0b10,
    AllExcludingSelf = 0b11,
};

// Boot CPU: picks the mode (x2APIC when offered and allowed), maps the xAPIC
// window when needed, enables the APIC with its spurious and error vectors.
// address is the MADT's local APIC address (0: take IA32_APIC_BASE's).
LocalApicMode init_boot_local_apic(uint64_t address, bool allow_x2apic);
// The boot CPU's LINT0 starts as the 8259s' virtual wire (ExtINT, SDM Vol.
// 3A 11.5.1, as the BIOS leaves it), so PIC interrupts still arrive; once
// the I/O APIC has taken the ISA IRQs the wire is cut (masked).
void cut_legacy_pic_wire();
// Each other CPU, in the mode the boot CPU chose.
void init_ap_local_apic();

LocalApicMode local_apic_mode();
uint32_t local_apic_id(); // of the CPU that runs this

void local_apic_end_of_interrupt();

// The destination that means "every CPU" in the mode in use (0xFF in xAPIC
// mode, 0xFFFFFFFF in x2APIC mode): no CPU can be addressed by it or above.
uint32_t broadcast_apic_id();

// One register of this CPU's local APIC, in the mode chosen, for the other
// parts of the local APIC (its timer).
uint32_t read_local_apic(LocalApicRegister reg);
void write_local_apic(LocalApicRegister reg, uint32_t value);

// Sends an IPI and waits until the local APIC has accepted it (xAPIC:
// delivery status idle; x2APIC: the write is the send). vector is ignored
// for INIT and NMI; for Startup it is the page number of the trampoline.
void send_ipi(IpiDestination destination, uint32_t apic_id, IpiDelivery delivery, uint8_t vector);

// Spurious and error interrupts seen so far, for reports and tests.
struct LocalApicCounts {
    uint64_t spurious;
    uint64_t errors;
    uint32_t last_error_status; // ESR at the last error interrupt
};
LocalApicCounts local_apic_counts();

// Makes the local APIC report an error, for the kernel test of the error
// interrupt: xAPIC: a write to a reserved register ("illegal register
// address", ESR bit 7); x2APIC: a self IPI with the illegal vector 3 ("send
// illegal vector", bit 5), since a reserved MSR would fault instead.
void provoke_local_apic_error();
// The error status register, read as the SDM says (written first, which
// also clears it for the next errors).
uint32_t local_apic_error_status();

} // namespace arch
