; The thread switch: saves the callee-saved registers (System V: rbx, rbp,
; r12-r15) and the stack pointer of the thread that stops, loads the other
; thread's and returns into it. Everything else is either caller-saved (the
; C++ caller of switch_thread_context expects it clobbered) or, when the
; switch happens inside an interrupt handler, already saved in the
; InterruptFrame on the stopping thread's stack. The layout of what is
; pushed is arch::SwitchFrame (src/arch/x86_64/thread_context.cpp), which
; static_asserts these offsets.

bits 64
section .text

; void switch_thread_context(uint64_t* save_stack_pointer /* rdi */,
;                            uint64_t load_stack_pointer /* rsi */)
; Called with interrupts off.
global switch_thread_context
switch_thread_context:
    push rbp                ; SwitchFrame.rbp, at +40
    push rbx                ; +32
    push r12                ; +24
    push r13                ; +16
    push r14                ; +8
    push r15                ; +0
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret                     ; SwitchFrame.return_address, at +48

; Where a new thread's first switch returns to: arch::prepare_thread_stack
; leaves the entry function in r12 and its argument in r13. The entry never
; returns; if it did, ud2 makes that an invalid-opcode report, not a jump
; into whatever lies above the stack.
global thread_entry_trampoline
thread_entry_trampoline:
    mov rdi, r13
    call r12
    ud2
