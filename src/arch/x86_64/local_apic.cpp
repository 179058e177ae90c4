#include "arch/x86_64/local_apic.h"

#include "arch/paging.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/local_apic_registers.h"
#include "arch/x86_64/local_apic_timer.h"
#include "arch/x86_64/vectors.h"
#include "kernel/panic.h"
#include "lib/atomic.h"
#include "sync/interrupt_guard.h"

namespace arch {
namespace {

LocalApicMode g_mode = LocalApicMode::None;
volatile uint32_t* g_window = nullptr; // xAPIC: the uncached MMIO page

lib::Atomic<uint64_t> g_spurious = 0;
lib::Atomic<uint64_t> g_errors = 0;
lib::Atomic<uint32_t> g_last_error_status = 0;

uint32_t read_register(LocalApicRegister reg)
{
    if (g_mode == LocalApicMode::X2Apic)
        return static_cast<uint32_t>(read_msr(static_cast<Msr>(x2apic_msr_number(reg))));
    return g_window[static_cast<uint16_t>(reg) / sizeof(uint32_t)];
}

void write_register(LocalApicRegister reg, uint32_t value)
{
    if (g_mode == LocalApicMode::X2Apic) {
        write_msr(static_cast<Msr>(x2apic_msr_number(reg)), value);
        return;
    }
    g_window[static_cast<uint16_t>(reg) / sizeof(uint32_t)] = value;
}

// The ESR latches errors only when written first (SDM Vol. 3A 11.5.3).
uint32_t read_error_status()
{
    write_register(LocalApicRegister::ErrorStatus, 0);
    return read_register(LocalApicRegister::ErrorStatus);
}

// No EOI for a spurious interrupt (SDM Vol. 3A 11.9).
void on_spurious(InterruptFrame&)
{
    g_spurious.fetch_add(1, lib::MemoryOrder::Relaxed);
}

void on_error(InterruptFrame&)
{
    g_last_error_status.store(read_error_status(), lib::MemoryOrder::Relaxed);
    g_errors.fetch_add(1, lib::MemoryOrder::Relaxed);
    local_apic_end_of_interrupt();
}

// The steps every CPU takes once the mode is set: enable the APIC with the
// spurious vector, the error LVT unmasked, LINT0/1 and the timer masked
// (the I/O APIC and the kernel timer claim what they need).
void enable_this_cpu()
{
    ApicBase base(read_msr(Msr::ApicBase));
    base.set_global_enable(true);
    write_msr(Msr::ApicBase, base.value());
    if (g_mode == LocalApicMode::X2Apic) {
        // xAPIC enabled first, then x2APIC: the only legal way up (SDM Vol. 3A 11.12.5).
        base.set_x2apic_enable(true);
        write_msr(Msr::ApicBase, base.value());
    }
    write_register(LocalApicRegister::TaskPriority, 0);
    write_register(LocalApicRegister::LvtTimer, LvtEntry().set_masked(true).value());
    write_register(LocalApicRegister::LvtLint0, LvtEntry().set_masked(true).value());
    write_register(LocalApicRegister::LvtLint1, LvtEntry().set_masked(true).value());
    write_register(LocalApicRegister::LvtError, LvtEntry().set_vector(kApicErrorVector).value());
    write_register(LocalApicRegister::SpuriousVector,
        SpuriousVector().set_vector(kApicSpuriousVector).set_software_enable(true).value());
    read_error_status(); // clears what was latched before
}

} // namespace

LocalApicMode init_boot_local_apic(uint64_t address, bool allow_x2apic)
{
    ApicBase base(read_msr(Msr::ApicBase));
    if (address == 0)
        address = base.base();
    set_interrupt_handler(kApicSpuriousVector, on_spurious);
    set_interrupt_handler(kApicErrorVector, on_error);
    if (allow_x2apic) {
        g_mode = LocalApicMode::X2Apic;
    } else {
        // Never through the direct map: that maps memory write-back.
        if (!map_device_page(kLocalApicWindow, address))
            PANIC("no frame for a page table to map the local APIC at {:#x}", address);
        g_window = reinterpret_cast<volatile uint32_t*>(kLocalApicWindow);
        g_mode = LocalApicMode::XApic;
    }
    enable_this_cpu();
    write_register(LocalApicRegister::LvtLint0,
        LvtEntry().set_delivery_mode(static_cast<uint32_t>(LvtDelivery::ExtInt)).value());
    return g_mode;
}

void cut_legacy_pic_wire()
{
    write_register(LocalApicRegister::LvtLint0, LvtEntry().set_masked(true).value());
}

void init_ap_local_apic()
{
    if (g_mode == LocalApicMode::None)
        PANIC("init_ap_local_apic before the boot CPU chose an APIC mode");
    enable_this_cpu();
    start_ap_local_apic_timer();
}

LocalApicMode local_apic_mode()
{
    return g_mode;
}

uint32_t local_apic_id()
{
    uint32_t id = read_register(LocalApicRegister::Id);
    // xAPIC: the ID is bits 24-31; x2APIC: all 32 bits (SDM Vol. 3A 11.4.6, 11.12.5.1).
    return g_mode == LocalApicMode::X2Apic ? id : id >> 24;
}

uint32_t read_local_apic(LocalApicRegister reg)
{
    return read_register(reg);
}

void write_local_apic(LocalApicRegister reg, uint32_t value)
{
    write_register(reg, value);
}

void local_apic_end_of_interrupt()
{
    write_register(LocalApicRegister::EndOfInterrupt, 0);
}

uint32_t broadcast_apic_id()
{
    // SDM Vol. 3A 11.6.1 and 11.12.9: all ones in the destination field.
    return g_mode == LocalApicMode::X2Apic ? 0xFFFFFFFFu : 0xFFu;
}

void send_ipi(IpiDestination destination, uint32_t apic_id, IpiDelivery delivery, uint8_t vector)
{
    InterruptCommand command;
    command.set_delivery_mode(static_cast<uint64_t>(delivery))
        .set_shorthand(static_cast<uint64_t>(destination))
        .set_assert_level(true); // INIT de-assert is for the 82489DX only
    if (delivery != IpiDelivery::Init && delivery != IpiDelivery::Nmi)
        command.set_vector(vector);
    if (destination == IpiDestination::Target && apic_id >= broadcast_apic_id())
        PANIC("IPI to APIC ID {:#x}: that is the broadcast ID (or beyond) in this APIC mode", apic_id);
    if (g_mode == LocalApicMode::X2Apic) {
        command.set_destination(apic_id);
        // A WRMSR to the x2APIC's ICR is not serializing (SDM Vol. 3A
        // 11.12.3): without a fence the IPI can overtake the stores it
        // announces (a mailbox, a shootdown request), and the target finds
        // nothing to do.
        asm volatile("mfence" ::: "memory");
        // One 64-bit MSR write is the whole send (SDM Vol. 3A 11.12.9).
        write_msr(
            static_cast<Msr>(x2apic_msr_number(LocalApicRegister::InterruptCommandLow)), command.value());
        return;
    }
    // Two writes: an interrupt between them whose handler sends an IPI of
    // its own (a wake-up) would change the destination under this one.
    sync::InterruptGuard interrupts;
    write_register(LocalApicRegister::InterruptCommandHigh, apic_id << 24);
    // The low half's write sends it.
    write_register(LocalApicRegister::InterruptCommandLow, static_cast<uint32_t>(command.value()));
    while (InterruptCommand(read_register(LocalApicRegister::InterruptCommandLow)).delivery_pending())
        asm volatile("pause");
}

void provoke_local_apic_error()
{
    if (g_mode == LocalApicMode::X2Apic) {
        constexpr uint8_t kIllegalVector = 3; // vectors 0-15 are illegal (SDM Vol. 3A 11.5.2)
        send_ipi(IpiDestination::Self, 0, IpiDelivery::Fixed, kIllegalVector);
        return;
    }
    write_register(LocalApicRegister::Reserved, 0);
}

uint32_t local_apic_error_status()
{
    return read_error_status();
}

LocalApicCounts local_apic_counts()
{
    return { g_spurious.load(lib::MemoryOrder::Relaxed), g_errors.load(lib::MemoryOrder::Relaxed),
        g_last_error_status.load(lib::MemoryOrder::Relaxed) };
}

} // namespace arch
