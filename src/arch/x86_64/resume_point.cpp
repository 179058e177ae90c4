#include "arch/resume_point.h"

#include <stddef.h>

namespace arch {

// registers[]: rbx, rbp, r12, r13, r14, r15, rsp (as the caller sees it),
// and the return address. Naked: the compiler must add no frame of its own,
// and no coverage counter (GCC puts one even in a naked function).
static_assert(offsetof(ResumePoint, registers) == 0);

[[gnu::naked, gnu::returns_twice, gnu::no_profile_instrument_function]] bool save_resume_point(ResumePoint*)
{
    asm volatile("movq %rbx, 0(%rdi)\n"
                 "movq %rbp, 8(%rdi)\n"
                 "movq %r12, 16(%rdi)\n"
                 "movq %r13, 24(%rdi)\n"
                 "movq %r14, 32(%rdi)\n"
                 "movq %r15, 40(%rdi)\n"
                 "leaq 8(%rsp), %rax\n" // the stack once this call has returned
                 "movq %rax, 48(%rdi)\n"
                 "movq (%rsp), %rax\n" // where this call returns to
                 "movq %rax, 56(%rdi)\n"
                 "xorl %eax, %eax\n" // false: saved, not resumed
                 "ret\n");
}

[[gnu::naked, noreturn, gnu::no_profile_instrument_function]] void resume(ResumePoint*)
{
    asm volatile("movq 0(%rdi), %rbx\n"
                 "movq 8(%rdi), %rbp\n"
                 "movq 16(%rdi), %r12\n"
                 "movq 24(%rdi), %r13\n"
                 "movq 32(%rdi), %r14\n"
                 "movq 40(%rdi), %r15\n"
                 "movq 48(%rdi), %rsp\n"
                 "movl $1, %eax\n" // true: resumed
                 "jmpq *56(%rdi)\n");
}

} // namespace arch
