#pragma once

// The local APIC's registers (Intel SDM Vol. 3A 11.4.4 Figure 11-5, Table
// 11-1, 11.5.1 Figure 11-8, 11.6.1 Figure 11-12, 11.9 Figure 11-23) as
// typed values. Pure: no instruction, so the bit positions are checked
// below at compile time.

#include <stdint.h>

#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/register_bits.h"

namespace arch {

// xAPIC MMIO offsets; in x2APIC mode the MSR is 0x800 + offset / 16.
enum class LocalApicRegister : uint16_t {
    Reserved = 0x040, // no register: writing it is an error (Table 11-1)
    Id = 0x020,
    Version = 0x030,
    TaskPriority = 0x080,
    EndOfInterrupt = 0x0B0,
    SpuriousVector = 0x0F0,
    ErrorStatus = 0x280,
    InterruptCommandLow = 0x300,
    InterruptCommandHigh = 0x310, // xAPIC only: x2APIC's ICR is one 64-bit MSR
    LvtTimer = 0x320,
    LvtLint0 = 0x350,
    LvtLint1 = 0x360,
    LvtError = 0x370,
    TimerInitialCount = 0x380,
    TimerCurrentCount = 0x390,
    TimerDivide = 0x3E0,
};

constexpr uint32_t x2apic_msr_number(LocalApicRegister reg)
{
    return static_cast<uint32_t>(Msr::X2ApicFirst) + (static_cast<uint32_t>(reg) >> 4);
}
static_assert(x2apic_msr_number(LocalApicRegister::EndOfInterrupt) == 0x80B);
static_assert(x2apic_msr_number(LocalApicRegister::InterruptCommandLow) == 0x830);

struct ApicBase : RegisterBits<ApicBase> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(boot_processor, 8)
    REGISTER_BIT(x2apic_enable, 10)
    REGISTER_BIT(global_enable, 11)
    REGISTER_ADDRESS(base, 12, 40)
};
static_assert(ApicBase(0xFEE00900).base() == 0xFEE00000);
static_assert(ApicBase().set_x2apic_enable(true).set_global_enable(true).value() == 0xC00);

struct SpuriousVector : RegisterBits<SpuriousVector, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(vector, 0, 8)
    REGISTER_BIT(software_enable, 8)
};
static_assert(SpuriousVector().set_vector(0xFF).set_software_enable(true).value() == 0x1FF);

enum class LvtDelivery : uint8_t { Fixed = 0b000, Nmi = 0b100, ExtInt = 0b111 };

enum class LvtTimerMode : uint8_t { OneShot = 0b00, Periodic = 0b01, TscDeadline = 0b10 };

// A local vector table entry (timer, LINT0/1, error).
struct LvtEntry : RegisterBits<LvtEntry, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(vector, 0, 8)
    REGISTER_FIELD(delivery_mode, 8, 3)
    REGISTER_BIT(masked, 16)
    REGISTER_FIELD(timer_mode, 17, 2)
};
static_assert(LvtEntry().set_masked(true).set_timer_mode(1).value() == 0x30000);

// The interrupt command register, both halves (xAPIC: destination in bits
// 56-63; x2APIC: the full 32-bit ID in bits 32-63).
struct InterruptCommand : RegisterBits<InterruptCommand> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(vector, 0, 8)
    REGISTER_FIELD(delivery_mode, 8, 3)
    REGISTER_BIT(delivery_pending, 12) // xAPIC only
    REGISTER_BIT(assert_level, 14)
    REGISTER_BIT(level_triggered, 15)
    REGISTER_FIELD(shorthand, 18, 2)
    REGISTER_FIELD(destination, 32, 32)
};
static_assert(InterruptCommand().set_delivery_mode(0b101).set_assert_level(true).value() == 0x4500);

// The error status register (SDM Vol. 3A 11.5.3, Figure 11-9).
struct ErrorStatus : RegisterBits<ErrorStatus, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_BIT(send_checksum, 0)
    REGISTER_BIT(receive_checksum, 1)
    REGISTER_BIT(send_accept, 2)
    REGISTER_BIT(receive_accept, 3)
    REGISTER_BIT(redirectable_ipi, 4)
    REGISTER_BIT(send_illegal_vector, 5)
    REGISTER_BIT(receive_illegal_vector, 6)
    REGISTER_BIT(illegal_register_address, 7)
};
static_assert(ErrorStatus().set_send_illegal_vector(true).value() == 0x20);

// Divide configuration (Figure 11-10): bits 0, 1 and 3 encode the divisor.
enum class TimerDivide : uint32_t { By1 = 0b1011, By16 = 0b0011 };

} // namespace arch
