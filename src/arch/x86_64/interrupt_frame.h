#pragma once

// The register state at an interrupt, as asm/interrupt_stubs.asm lays it
// out on the stack: general registers pushed by the common stub, then the
// vector and error code pushed by the per-vector stub (0 where the CPU
// pushes none), then what the CPU pushed (Intel SDM Vol. 3A 6.14.1,
// Figure 6-9: in 64-bit mode SS:RSP are always pushed).

#include <stddef.h>
#include <stdint.h>

namespace arch {

struct InterruptFrame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error_code;
    uint64_t rip, cs, rflags, rsp, ss;
};

// The NASM stubs rely on these offsets.
static_assert(sizeof(InterruptFrame) == 22 * sizeof(uint64_t));
static_assert(offsetof(InterruptFrame, rax) == 14 * sizeof(uint64_t));
static_assert(offsetof(InterruptFrame, vector) == 15 * sizeof(uint64_t));
static_assert(offsetof(InterruptFrame, rip) == 17 * sizeof(uint64_t));

} // namespace arch
