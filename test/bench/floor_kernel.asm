; The boot floor: the least a Multiboot2 kernel can do and still be timed.
; GRUB enters it in 32-bit protected mode; it sets up COM1 as RayOS does,
; writes one line and leaves QEMU through isa-debug-exit with status 33.
; ci/benchmark.py boots it from an ISO with RayOS's own GRUB set-up, so the
; difference between the two boots is what RayOS itself costs, and from one
; with a plain set-up (plain_grub.cfg), which adds what RayOS's grub.cfg does.

MULTIBOOT2_MAGIC     equ 0xE85250D6
MULTIBOOT2_I386      equ 0
COM1                 equ 0x3F8
QEMU_EXIT_PORT       equ 0xF4
QEMU_EXIT_SUCCESS    equ 0x10           ; QEMU exits with (0x10 << 1) | 1 = 33

section .multiboot_header progbits alloc noexec nowrite align=8
header_start:
    dd MULTIBOOT2_MAGIC, MULTIBOOT2_I386, header_end - header_start
    dd -(MULTIBOOT2_MAGIC + MULTIBOOT2_I386 + (header_end - header_start))
    dw 0, 0                             ; end tag
    dd 8
header_end:

section .text progbits alloc exec nowrite align=16
bits 32
global floor_entry
floor_entry:
    mov esp, stack_top                  ; Multiboot2 leaves ESP undefined
    ; 115200 8N1, FIFO on: divisor 1, as src/drivers/uart16550.cpp does.
    mov dx, COM1 + 3
    mov al, 0x80                        ; DLAB on
    out dx, al
    mov dx, COM1
    mov al, 1
    out dx, al
    mov dx, COM1 + 1
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03                        ; 8 bits, no parity, one stop bit, DLAB off
    out dx, al
    mov dx, COM1 + 2
    mov al, 0xC7                        ; FIFO on and cleared
    out dx, al

    ; The TSC at the line, in hex, for the benchmark's -icount figure (under
    ; -icount it counts instructions: the same on every run).
    rdtsc
    mov edi, tsc_digits
    mov ebx, edx
    call write_hex32
    mov ebx, eax
    call write_hex32

    mov esi, ready_line
    call write_string
.leave:
    mov dx, QEMU_EXIT_PORT
    mov al, QEMU_EXIT_SUCCESS
    out dx, al
.halt:
    cli
    hlt
    jmp .halt

; ebx as 8 hex digits at edi, edi advanced past them. Clobbers ecx, edx.
write_hex32:
    mov ecx, 8
.digit:
    rol ebx, 4
    mov edx, ebx
    and edx, 0xF
    mov dl, [hex_digits + edx]
    mov [edi], dl
    inc edi
    loop .digit
    ret

; The NUL-terminated string at esi to COM1. Clobbers eax, ebx, edx, esi.
write_string:
    mov bl, [esi]
    test bl, bl
    jz .done
    mov dx, COM1 + 5
.wait_for_room:
    in al, dx
    test al, 0x20                       ; transmit holding register empty
    jz .wait_for_room
    mov dx, COM1
    mov al, bl
    out dx, al
    inc esi
    jmp write_string
.done:
    ret

section .rodata progbits alloc noexec nowrite align=4
hex_digits: db "0123456789abcdef"

section .data progbits alloc noexec write align=4
ready_line: db "[BOOT] floor ready, TSC 0x"
tsc_digits: db "0000000000000000", 13, 10, 0

section .bss nobits alloc noexec write align=16
    resb 256
stack_top:
