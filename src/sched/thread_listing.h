#pragma once

// What the console's `threads` command shows: one row per thread, taken
// as a snapshot with the thread list locked and printed after the lock is
// let go (printing at 115200 baud with interrupts off would stall every
// other CPU that spawns or ends a thread meanwhile).

#include <stddef.h>
#include <stdint.h>

#include "sched/thread.h"

namespace sched {

struct ThreadRow {
    uint64_t id;
    char name[kThreadNameCapacity];
    ThreadState state;
    Priority priority;
    unsigned cpu; // where it runs, or last ran
    unsigned pinned_cpu; // kAnyCpu: none
    uint64_t run_time_cycles; // up to the moment of the snapshot
};

const char* priority_name(Priority priority);

// The cycles a thread has run, its current stint included when it is
// running now (run_time_cycles() only counts up to its last switch away).
uint64_t run_time_cycles_until(const Thread& thread, uint64_t now_tsc);

// Copies up to capacity rows; returns how many threads there were (more
// than capacity: the rest were left out).
size_t snapshot_threads(ThreadRow* rows, size_t capacity);

// Logs the table: a header line, one line per thread, then
// "<n> threads, <m> CPUs scheduling". Run times in ms from the TSC's rate.
void log_thread_table();

} // namespace sched
