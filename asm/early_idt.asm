; An IDT for the stretch between long mode and the kernel's own IDT (the
; first thing kernel_main loads): a fault there ends in one [PANIC] line on
; COM1 and the failure exit, never in a triple fault. Built at run time:
; a gate holds its handler's address split in three, which the linker
; cannot compute.

%include "boot_constants.inc"

extern early_serial_ready
extern early_hex_digits

bits 64
section .boot.text

%include "early_serial.inc"
EARLY_SERIAL_ROUTINES 64, rbx, rax, rcx, rdx, 16

EARLY_STUB_SIZE equ 16
INTERRUPT_GATE  equ 0x8E    ; present, DPL 0, 64-bit interrupt gate

global install_early_idt
install_early_idt:
    push rbx
    mov rbx, early_idt
    xor ecx, ecx
.gate:
    mov rax, rcx
    shl rax, 4              ; * EARLY_STUB_SIZE
    add rax, early_exception_stubs
    mov rdx, rax            ; low qword: offset 15:0, selector, type, offset 31:16
    and edx, 0xFFFF
    or rdx, BOOT_GDT_CODE64 << 16
    mov r8, INTERRUPT_GATE
    shl r8, 40
    or rdx, r8
    mov r8, rax
    shr r8, 16
    and r8, 0xFFFF
    shl r8, 48
    or rdx, r8
    mov r9, rcx             ; gates are 16 bytes: beyond an address scale
    shl r9, 4
    mov [rbx + r9], rdx
    shr rax, 32             ; high qword: offset 63:32
    mov [rbx + r9 + 8], rax
    inc ecx
    cmp ecx, 32
    jb .gate
    lidt [early_idt_pointer]
    pop rbx
    ret

; One stub per exception vector, EARLY_STUB_SIZE apart: an error code (0
; where the CPU pushes none), the vector, then the common report.
align EARLY_STUB_SIZE
early_exception_stubs:
%assign vector 0
%rep 32
    align EARLY_STUB_SIZE
%if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30
%else
    push qword 0
%endif
    push qword vector
    jmp early_exception
%assign vector vector + 1
%endrep

; [RSP] = vector, [RSP + 8] = error code, [RSP + 16] = RIP.
early_exception:
    mov rbx, message_early_exception
    call serial_write_string_64
    mov rax, [rsp]
    call serial_write_hex_64
    mov rbx, message_early_rip
    call serial_write_string_64
    mov rax, [rsp + 16]
    call serial_write_hex_64
    mov rbx, message_early_error
    call serial_write_string_64
    mov rax, [rsp + 8]
    call serial_write_hex_64
    mov rbx, message_early_tail
    call serial_write_string_64
    STOP_MACHINE

section .boot.rodata
message_early_exception: db "[PANIC] CPU exception before the kernel's IDT was loaded: vector ", 0
message_early_rip:       db ", RIP ", 0
message_early_error:     db ", error code ", 0
message_early_tail:      db 13, 10, 0

align 8
early_idt_pointer:
    dw 32 * 16 - 1
    dq early_idt

section .boot.bss nobits alloc noexec write align=16
early_idt: resb 32 * 16
