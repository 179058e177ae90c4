#pragma once

// Deliberate misuse of the kernel heap, for fault injection: each function
// does one thing a buggy caller does, and the heap (or the MMU, for the
// execute) must catch it. None returns when the protection works.

namespace mm {

void misuse_execute_heap_block(); // call into a heap block: #PF, no-execute
void misuse_write_after_free(); // caught when the block is handed out again
void misuse_double_free();
void misuse_free_foreign_pointer(); // a pointer into the middle of a live block
void misuse_overwrite_block_header(); // an underrun from the block below

} // namespace mm
