#pragma once

// TLB shootdown: after the kernel unmaps a page or takes a right away from
// it, other CPUs may still hold the old translation in their TLBs and go on
// using it (reading a frame the heap gave back). The CPU that changed the
// tables flushes its own TLB, then asks every other online CPU by IPI
// (kTlbShootdownVector, answered in the interrupt handler, so a CPU busy
// with a long job answers too) and waits for all to acknowledge.

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/interrupt_frame.h"

namespace arch {

// Flushes the pages [start, start + pages * 4 KiB) from every other online
// CPU's TLB and returns when all have. Nothing to do with one CPU online.
// Initiators take turns; one waiting for its turn answers the requests it
// is sent meanwhile, so two initiators with interrupts off cannot wait on
// each other.
void flush_tlb_on_other_cpus(uint64_t start, size_t pages);

// The kTlbShootdownVector handler (installed by init_cross_cpu_interrupts).
void answer_tlb_shootdown_interrupt(InterruptFrame& frame);

} // namespace arch
