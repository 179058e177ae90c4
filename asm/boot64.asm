; First code in the higher half: switch to the kernel stack and call the
; C++ entry. EDI = Multiboot2 magic, ESI = physical address of the boot
; information, both zero-extended by asm/boot32.asm.

extern kernel_main

bits 64
section .text

global higher_half_entry
higher_half_entry:
    mov rsp, kernel_stack_top   ; 16-byte aligned (defined below)
    xor ebp, ebp                ; ends the frame-pointer chain for backtraces
    call kernel_main
    ; kernel_main never returns; stop cleanly should that ever change.
.halt:
    cli
    hlt
    jmp .halt

; The boot CPU's kernel stack, above a guard page that the paging code
; leaves unmapped (src/arch/x86_64/kernel_address_space.cpp): an overflow faults
; on the guard instead of running into whatever lies below.
KERNEL_STACK_SIZE equ 64 * 1024

section .bss nobits alloc noexec write align=4096
global kernel_stack_guard
global kernel_stack_bottom
global kernel_stack_top
kernel_stack_guard:
    resb 4096
kernel_stack_bottom:
    resb KERNEL_STACK_SIZE
kernel_stack_top:
