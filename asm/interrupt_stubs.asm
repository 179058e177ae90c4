; Entry stubs for all 256 interrupt vectors. Each stub makes the stack look
; the same (an error code, real or 0, then the vector) and jumps to the
; common code, which saves every general register into an InterruptFrame
; (src/arch/x86_64/interrupt_frame.h) and calls interrupt_dispatch.

extern interrupt_dispatch

bits 64
section .text

; Vectors for which the CPU pushes an error code (Intel SDM Vol. 3A 6.15):
; #DF 8, #TS 10, #NP 11, #SS 12, #GP 13, #PF 14, #AC 17, #CP 21, #VC 29, #SX 30.
%macro INTERRUPT_STUB 1
align 16
interrupt_stub_%1:
%if %1 == 8 || (%1 >= 10 && %1 <= 14) || %1 == 17 || %1 == 21 || %1 == 29 || %1 == 30
%else
    push qword 0
%endif
    push qword %1
    jmp interrupt_common
%endmacro

%assign vector 0
%rep 256
    INTERRUPT_STUB vector
%assign vector vector + 1
%endrep

interrupt_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld                     ; the System V ABI expects DF clear at calls
    mov rdi, rsp            ; argument: the InterruptFrame
    mov rbx, rsp            ; callee-saved: the frame, to undo the alignment
    and rsp, -16            ; the ABI wants RSP 16-byte aligned at the call
    call interrupt_dispatch
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16             ; the vector and the error code
    iretq

section .rodata
; The stubs' addresses, indexed by vector, for the IDT.
%macro STUB_ADDRESS 1
    dq interrupt_stub_%1
%endmacro

global interrupt_stub_table
align 8
interrupt_stub_table:
%assign vector 0
%rep 256
    STUB_ADDRESS vector
%assign vector vector + 1
%endrep
