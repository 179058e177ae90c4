#pragma once

// What generic kernel code may ask of the CPU, without naming instructions.
// Implemented per architecture (src/arch/x86_64/cpu.cpp).

#include <stdint.h>

namespace arch {

// The most CPUs the kernel runs: it sizes the per-CPU tables.
inline constexpr unsigned kMaxCpus = 64;

// The kernel's GDT (with the TSS and its interrupt stacks) and the IDT:
// the first thing kernel_main does, so that every later fault is reported.
void init_descriptor_tables();

// The calling CPU's number: 0 for the boot CPU (also before
// init_descriptor_tables), then in bring-up order. For reports and logs.
unsigned current_cpu_index();
// Its local APIC ID, and how many CPUs run the kernel now.
uint32_t current_apic_id();
unsigned cpu_count_online();

// Timer interrupts taken so far by the CPU with that index (0: boot CPU),
// when each CPU runs its own timer (x86_64: its local APIC timer); 0
// otherwise.
uint64_t cpu_timer_ticks(unsigned cpu_index);

// Identifies the CPU, turns on the protections it offers (NX, WP, SMEP,
// SMAP, UMIP) and logs both as [CPU] lines. Returns whether NX is on.
bool init_cpu();

// The [CPU] lines on vendor, brand and features (as at boot).
void log_cpu_identity();

// Interrupts off, then halt for good: the end of every fatal path.
[[noreturn]] void halt_forever();

// A hint inside spin loops: lets a sibling hyperthread run and saves power.
void cpu_relax();

// One past the highest physical address this CPU can reach (MAXPHYADDR):
// device memory a firmware table or a boot loader places above it cannot
// be mapped (those bits of a page-table entry are reserved).
uint64_t physical_address_limit();

// The time stamp counter: cycles since reset, for timing boot phases.
uint64_t read_timestamp_counter();

// 64 random bits from the CPU's generator (RDRAND); false when the CPU has
// none or it failed ten times in a row (value is then untouched).
bool hardware_random(uint64_t& value);

} // namespace arch
