#pragma once

// Between the files of src/sched: what thread.cpp and scheduler.cpp ask of
// each other. Not for code outside src/sched.

#include "sched/thread.h"

namespace sched {

// The CPU index a new unpinned thread goes to: a running CPU with the
// shortest run queue.
unsigned choose_cpu_for_new_thread();
// Whether the CPU with that index is online and scheduling.
bool cpu_is_scheduling(unsigned cpu);
// A thread with its stack, registered, not yet runnable (no context):
// in storage of the caller's (an idle thread's), or on the heap.
lib::Result<void, ThreadError> set_up_thread(Thread& thread, const char* name, SpawnOptions options);
lib::Result<Thread*, ThreadError> create_thread(const char* name, SpawnOptions options);
// Puts a Runnable thread on its CPU's run queue and tells the CPU.
void enqueue(Thread& thread);
// First thing on a thread's own stack after a switch: lets go of the
// thread the CPU switched away from.
void finish_switch();
// The entry of a new thread (prepare_thread_stack's function): runs its
// function and ends it.
[[noreturn]] void thread_start(void* thread);
// Adds a thread to the list of all threads, and takes it off.
void register_thread(Thread& thread);
void unregister_thread(Thread& thread);
// For the idle thread: frees one ended detached thread; false if none.
bool reap_one_detached_thread();
// Fills the name and the stack description.
void name_thread(Thread& thread, const char* name);
// Panics when the calling thread may not be switched away: a spinlock held
// (named, with where it was taken) or preemption disabled. what: the
// operation, for the message.
void refuse_switch_while_locked(const char* what);
// After making a thread runnable on this CPU: switches at once when that
// thread outranks the caller and the caller could be preempted here (a
// thread, interrupts on, preemption allowed), instead of at the next tick.
void preempt_now_if_needed();

} // namespace sched
