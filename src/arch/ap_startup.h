#pragma once

// Starting the other CPUs (application processors, APs), as generic code
// sees it: a trampoline page below 1 MiB that the frame allocator never
// hands out, and one call per AP that starts it and waits for it to report
// in. Implemented per architecture (src/arch/x86_64/ap_startup.cpp).

#include <stdint.h>

namespace arch {

struct PerCpu;

// The physical page the APs start on (asm/ap_trampoline.asm says why this
// one). mm::init_physical_memory keeps it out of the frame allocator.
inline constexpr uint64_t kApTrampolinePhysical = 0x8000;

// How long an AP has to report in after its last Startup IPI. An AP
// answers within about 1 ms here, but under TCG a host busy with other
// work can leave a virtual CPU unscheduled for tens of milliseconds (100 ms
// lost one at -smp 4 during a build); Linux waits seconds for a first sign
// of life.
inline constexpr uint32_t kApAnswerTimeoutMs = 1000;

// nullptr when this machine can start other CPUs; otherwise why not, for
// the log (x86_64: there is no local APIC to send the Startup IPIs).
const char* why_other_cpus_cannot_start();

// nullptr when the CPU with this hardware ID (as the MADT lists it) can be
// sent its start-up; otherwise why not (x86_64: the ID is the broadcast
// ID of the APIC mode in use, so an INIT "to" it would reach every CPU,
// this one included).
const char* why_cpu_cannot_be_started(uint32_t hardware_id);

// The calling CPU's ID as the MADT lists it and send_init addresses it,
// read from the hardware now (x86_64: the local APIC's ID register, all 32
// bits in x2APIC mode, where CPUID's initial ID would give only 8).
uint32_t hardware_cpu_id();

// Boot CPU, on the way to an AP start: allocates the AP's block, its
// kernel stack and IST stacks (each above an unmapped guard page), and its
// GDT and TSS. nullptr when memory runs out (the AP is then left out), and
// for index 0 (the boot CPU's) or one past kMaxCpus. Preparing an index
// twice without releasing it panics (its stack pages are mapped).
PerCpu* prepare_application_processor(unsigned index, uint32_t apic_id);

// Undoes prepare_application_processor for a CPU that never started (or
// a test): unmaps and frees its stacks and frees its block.
void release_application_processor(PerCpu& cpu);

// Copies the trampoline to its page and maps the page at its own address
// for the bring-up. False, with a warning logged, when the machine cannot
// start APs this way (the page is not usable RAM, the kernel's PML4 lies
// above 4 GiB, no frame for a page table).
bool install_ap_trampoline(bool page_is_usable_ram);
// Unmaps the trampoline page again (the frame stays reserved).
void remove_ap_trampoline();

// The bring-up in two steps, so that the SDM's 10 ms wait after INIT is
// paid once for all APs, not once per AP: INIT to each AP to be started,
// then one wait_after_init, then start_application_processor for each.
void send_init(uint32_t apic_id);
// Intel SDM Vol. 3A 9.4.4.1 (and MP specification B.4): 10 ms after the
// last INIT before the first Startup IPI, timed with the TSC.
void wait_after_init(uint64_t cycles_per_ms);

// SIPI, SIPI to cpu.apic_id (which got its INIT and the wait after it) with
// the SDM's 200 us waits, then waits up to kApAnswerTimeoutMs for the AP to
// report in. One AP at a time: they share the trampoline page. True when it
// answered; false after an INIT that parks it again, so its stacks may be
// freed.
bool start_application_processor(PerCpu& cpu, uint64_t cycles_per_ms);

} // namespace arch
