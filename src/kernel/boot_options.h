#pragma once

// The options RayOS understands on its command line, and what it does with
// each word: known options set a field, anything else is logged as a
// warning and ignored, so a typo is never silent.

#include <stdint.h>

#include "kernel/fault_injection.h"
#include "lib/string_view.h"
#include "sched/scheduler.h"

namespace kernel {

struct BootOptions {
    // "exit": leave QEMU with the success status once boot completes (CI
    // and the boot tests use it); without it the kernel halts and waits.
    bool exit_when_ready = false;
    // "console": once boot is complete, a command prompt on COM1 and the
    // keyboard (src/kernel/console.h) instead of idling.
    bool console = false;
    // "bench": once boot is complete, time kalloc+kfree pairs with the TSC
    // and print [BENCH] lines (ci/benchmark.sh reads them).
    bool benchmark = false;
    // "fault=<kind>": fail on purpose once boot is otherwise complete.
    const FaultKind* fault = nullptr; // none
    // "fault_cpu=<n>": the CPU that raises it (0, the boot CPU, by default).
    unsigned fault_cpu = 0;
    // "test" or "test=<patterns>": run the kernel tests (all, or those the
    // comma-separated suite[.test] patterns select) once boot is complete,
    // report them as KTAP and exit with success only if all passed.
    bool run_tests = false;
    lib::StringView test_selection;
    // "torture_percent=<n>": the torture tests run n% of their operations
    // (1..100, default 100; src/ktest/torture_scale.h).
    unsigned torture_percent = 100;
    // "timer_hz=<n>": the PIT's tick rate, 19..10000 (default 1000).
    uint32_t timer_hz = 1000;
    // "timeslice_ms=<n>": how long a thread runs before the tick preempts
    // it for another of the same priority, 1..1000 (default 10).
    uint32_t timeslice_ms = sched::kDefaultTimesliceMs;
    // "noapic": leave the local and I/O APICs off; the 8259 PICs and the
    // PIT serve interrupts and the tick, on one CPU.
    bool no_apic = false;
    // "noecam": leave the MCFG's ECAM window unused; PCI configuration
    // space through mechanism 1 (ports 0xCF8/0xCFC).
    bool no_ecam = false;
    // "lockdep=off" (or "on", the default): the lock-order validator
    // (src/sync/lock_validator.h).
    bool lockdep = true;
};

BootOptions parse_boot_options(lib::StringView command_line);

} // namespace kernel
