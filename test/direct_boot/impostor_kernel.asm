; The impostor kernel: misbehaves on request, so the harness's own tests
; (test/test_harness_meta.py) can show that every way a kernel can go wrong
; is classified as what it is, and that only a real pass passes.
;
; QEMU boots it directly (-kernel, Multiboot version 1). Its script is the
; part of the command line (-append) after the first '#':
;     #<action>#<text>
; It prints <text> on COM1, '|' starting a new line, then does <action>:
;     exit=XX   write the hex byte XX to isa-debug-exit (QEMU exits (XX << 1) | 1)
;     triple    load an empty IDT and raise #BP: a triple fault
;     hang      halt with interrupts off, forever
;     reset     pulse the reset line through the keyboard controller
; A missing or unknown script ends in "[IMPOSTOR] FATAL" and the failure exit.

%include "boot_constants.inc"
%include "early_serial.inc"
%include "flat_multiboot1.inc"

%define KEYBOARD_COMMAND_PORT   0x64
%define KEYBOARD_PULSE_RESET    0xFE

FLAT_MULTIBOOT1_HEADER impostor_entry

impostor_entry:
    cli
    cld
    mov esp, stack_top
    cmp eax, MB1_BOOT_MAGIC
    jne no_script
    call serial_setup_32            ; (uses EAX)
    test dword [ebx], MB1_INFO_FLAG_CMDLINE
    jz no_script
    mov esi, [ebx + 16]             ; cmdline
    call skip_past_hash
    mov edi, esi                    ; the action
    call skip_past_hash             ; ESI: the text

.print:
    lodsb
    test al, al
    jz do_action
    cmp al, '|'
    jne .print_byte
    mov al, 13
    call serial_write_byte_32
    mov al, 10
.print_byte:
    call serial_write_byte_32
    jmp .print

; ESI: a string. Returns ESI just past its next '#'; no '#' is no script.
skip_past_hash:
    lodsb
    test al, al
    jz no_script
    cmp al, '#'
    jne skip_past_hash
    ret

; EDI: the action, ended by '#'.
do_action:
    mov al, 13
    call serial_write_byte_32
    mov al, 10
    call serial_write_byte_32
    cmp dword [edi], 'exit'
    jne .not_exit
    cmp byte [edi + 4], '='
    jne unknown_action
    mov al, [edi + 5]
    call hex_digit
    shl al, 4
    mov ah, al
    mov al, [edi + 6]
    call hex_digit
    or al, ah
    mov dx, QEMU_EXIT_PORT
    out dx, al
    jmp halt_forever                ; without isa-debug-exit: a hang, as a kernel's would be
.not_exit:
    cmp dword [edi], 'trip'
    jne .not_triple
    lidt [empty_idt]
    int3
.not_triple:
    cmp dword [edi], 'hang'
    je halt_forever
    cmp dword [edi], 'rese'
    jne unknown_action
    mov al, KEYBOARD_PULSE_RESET
    out KEYBOARD_COMMAND_PORT, al
halt_forever:
    cli
    hlt
    jmp halt_forever

; AL: an ASCII hex digit. Returns its value in AL.
hex_digit:
    cmp al, '9'
    jbe .decimal
    or al, 0x20                     ; lower case
    sub al, 'a' - 10
    ret
.decimal:
    sub al, '0'
    ret

no_script:
    mov ebx, message_no_script
    jmp fatal
unknown_action:
    mov ebx, message_unknown_action
fatal:
    call serial_write_string_32
    STOP_MACHINE

EARLY_SERIAL_ROUTINES 32, ebx, eax, ecx, edx, 8

early_hex_digits:           db "0123456789abcdef"
early_serial_ready:         db 0
message_no_script:          db "[IMPOSTOR] FATAL: no '#<action>#<text>' script on the command line", 13, 10, 0
message_unknown_action:     db "[IMPOSTOR] FATAL: unknown action (exit=XX, triple, hang or reset)", 13, 10, 0

align 8, db 0
empty_idt:
    dw 0                            ; limit 0: every vector is outside it
    dd 0

FLAT_IMAGE_END
