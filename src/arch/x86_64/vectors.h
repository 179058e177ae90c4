#pragma once

// Interrupt vector numbers, declared once (Intel SDM Vol. 3A 6.3.1,
// Table 6-1 "Exceptions and Interrupts"). 0..31 are the CPU's exceptions;
// the 8259 PICs' 16 IRQs are remapped to start right after them.

#include <stdint.h>

namespace arch {

inline constexpr uint8_t kNmiVector = 2;
inline constexpr uint8_t kBreakpointVector = 3;
inline constexpr uint8_t kDoubleFaultVector = 8;
inline constexpr uint8_t kInvalidTssVector = 10;
inline constexpr uint8_t kSegmentNotPresentVector = 11;
inline constexpr uint8_t kStackSegmentFaultVector = 12;
inline constexpr uint8_t kGeneralProtectionVector = 13;
inline constexpr uint8_t kPageFaultVector = 14;
inline constexpr uint8_t kMachineCheckVector = 18;

inline constexpr unsigned kExceptionVectorCount = 32;
inline constexpr unsigned kVectorCount = 256;

// The first vector after the exceptions; the PIC's IRQs start here.
inline constexpr uint8_t kFirstIrqVector = kExceptionVectorCount;
inline constexpr uint8_t kPicIrqBaseVector = kFirstIrqVector;

// The I/O APIC's ISA IRQs: right after the (masked) 8259s' range, so a
// stray 8259 interrupt is never taken for an I/O APIC one.
inline constexpr uint8_t kIoApicIsaBaseVector = kPicIrqBaseVector + 16;
// The local APIC timer: the kernel tick when there is an APIC.
inline constexpr uint8_t kApicTimerVector = 0xE0;
// 0xF0-0xFD: inter-processor interrupts (the SMP work declares them).
// Raised by software (`int`) only, to run a kernel test's code in an
// interrupt handler (arch::run_in_interrupt_handler).
inline constexpr uint8_t kInterruptTestVector = 0xEF;
inline constexpr uint8_t kFirstIpiVector = 0xF0;
// Ends another CPU's idle halt so it looks at its mailbox; does nothing else.
inline constexpr uint8_t kWakeupVector = kFirstIpiVector;
// Asks another CPU to flush pages from its TLB, handled in the interrupt.
inline constexpr uint8_t kTlbShootdownVector = kFirstIpiVector + 1;
inline constexpr uint8_t kApicErrorVector = 0xFE;
// Bits 0-3 of the spurious vector read as 1 on old APICs: 0xFF fits all.
inline constexpr uint8_t kApicSpuriousVector = 0xFF;

// #TS, #NP, #SS and #GP push a selector error code (SDM Vol. 3A 6.13).
constexpr bool has_selector_error_code(uint64_t vector)
{
    return vector >= kInvalidTssVector && vector <= kGeneralProtectionVector;
}

} // namespace arch
