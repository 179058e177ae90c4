; The hand-off loader: lets a boot test give RayOS a Multiboot2 information
; structure of its own making, through the kernel's real entry point.
;
; GRUB always builds a well-formed structure, so the kernel's checks of a
; malformed one could only be tested on the host. QEMU can boot a Multiboot
; (version 1) kernel directly (-kernel), and this is one: QEMU enters it in
; 32-bit protected mode, paging off, flat segments, with two modules (-initrd
; "rayos.elf,handoff.bin"):
;   module 0  the RayOS kernel ELF, loaded here by its program headers
;             (physical addresses), the way GRUB's multiboot2 command does;
;   module 1  a hand-off record (test/harness/multiboot2.py writes it):
;             the EAX and EBX to enter the kernel with, and the bytes to
;             place at a physical address first (usually the structure).
; Then it jumps to the kernel's entry point as a Multiboot2 loader would.
;
; Anything unexpected ends in a "[LOADER] FATAL:" line and the failure exit,
; so a broken test set-up is never mistaken for a kernel result.

%include "boot_constants.inc"
%include "early_serial.inc"
%include "flat_multiboot1.inc"

%define MB1_MODULE_SIZE         16         ; mod_start, mod_end, string, reserved

%define HANDOFF_MAGIC           0x444E4852 ; "RHND" little-endian
%define HANDOFF_HEADER_SIZE     32         ; magic, eax, ebx, copy_to, length, 3 reserved

%define ELF_MAGIC               0x464C457F ; "\x7FELF"
%define ELF_CLASS_64            2
%define ELF_MACHINE_X86_64      62
%define ELF_PT_LOAD             1

FLAT_MULTIBOOT1_HEADER loader_entry

loader_entry:
    cli
    cld
    mov esp, stack_top
    cmp eax, MB1_BOOT_MAGIC
    jne .not_multiboot1
    test dword [ebx], MB1_INFO_FLAG_MODULES
    jz .wrong_modules
    cmp dword [ebx + 20], 2         ; mods_count
    jne .wrong_modules
    mov esi, [ebx + 24]             ; mods_addr
    mov eax, [esi + MB1_MODULE_SIZE]
    mov [handoff_start], eax
    mov ecx, [esi + MB1_MODULE_SIZE + 4]
    sub ecx, eax
    mov [handoff_size], ecx
    mov ebp, [esi]                  ; the kernel's ELF file
    call load_kernel_elf
    call place_handoff_bytes

    mov ebx, message_handing_over
    call serial_write_string_32
    mov esi, [handoff_start]
    mov eax, [esi + 4]
    call serial_write_hex_32
    mov ebx, message_ebx
    call serial_write_string_32
    mov eax, [esi + 8]
    call serial_write_hex_32
    mov ebx, message_newline
    call serial_write_string_32

    mov eax, [esi + 4]
    mov ebx, [esi + 8]
    jmp [kernel_entry]

.not_multiboot1:
    mov ebx, message_not_multiboot1
    jmp fatal
.wrong_modules:
    mov ebx, message_wrong_modules
    jmp fatal

; EBP = the ELF file. Copies each PT_LOAD segment to its physical address and
; zeroes the rest of its memory size; remembers the entry point.
load_kernel_elf:
    cmp dword [ebp], ELF_MAGIC
    jne .not_elf64
    cmp byte [ebp + 4], ELF_CLASS_64
    jne .not_elf64
    cmp word [ebp + 18], ELF_MACHINE_X86_64
    jne .not_elf64
    cmp dword [ebp + 28], 0         ; e_entry must be a 32-bit physical address
    jne .entry_too_high
    mov eax, [ebp + 24]
    mov [kernel_entry], eax
    mov edx, ebp
    add edx, [ebp + 32]             ; e_phoff (the file is far below 4 GiB)
    movzx ecx, word [ebp + 56]      ; e_phnum
.next_header:
    test ecx, ecx
    jz .done
    cmp dword [edx], ELF_PT_LOAD
    jne .skip
    push ecx
    ; Destination physical p_paddr .. p_paddr + p_memsz must end below the loader.
    mov edi, [edx + 24]
    mov eax, edi
    add eax, [edx + 40]
    cmp eax, FLAT_LOAD_ADDRESS
    ja .segment_overlaps_loader
    mov [kernel_end], eax           ; segments come in address order (linker/kernel.ld)
    mov esi, ebp
    add esi, [edx + 8]              ; p_offset
    mov ecx, [edx + 32]             ; p_filesz
    rep movsb
    mov ecx, [edx + 40]
    sub ecx, [edx + 32]             ; p_memsz - p_filesz: .bss
    xor eax, eax
    rep stosb
    pop ecx
.skip:
    movzx eax, word [ebp + 54]      ; e_phentsize
    add edx, eax
    dec ecx
    jmp .next_header
.done:
    ret
.not_elf64:
    mov ebx, message_not_elf64
    jmp fatal
.entry_too_high:
    mov ebx, message_entry_too_high
    jmp fatal
.segment_overlaps_loader:
    mov ebx, message_segment_overlaps
    jmp fatal

; Copies the hand-off record's bytes to copy_to. The destination must lie
; between the kernel image and the loader, so the test cannot overwrite
; either by mistake (the structures the tests want live there anyway).
place_handoff_bytes:
    mov esi, [handoff_start]
    cmp dword [handoff_size], HANDOFF_HEADER_SIZE
    jb .bad_record
    cmp dword [esi], HANDOFF_MAGIC
    jne .bad_record
    mov ecx, [esi + 16]             ; length
    mov eax, [handoff_size]
    sub eax, HANDOFF_HEADER_SIZE
    cmp ecx, eax
    ja .bad_record
    test ecx, ecx
    jz .done
    mov edi, [esi + 12]             ; copy_to
    cmp edi, [kernel_end]
    jb .bad_destination
    mov eax, edi
    add eax, ecx
    jc .bad_destination
    cmp eax, FLAT_LOAD_ADDRESS
    ja .bad_destination
    add esi, HANDOFF_HEADER_SIZE
    rep movsb
.done:
    ret
.bad_record:
    mov ebx, message_bad_record
    jmp fatal
.bad_destination:
    mov ebx, message_bad_destination
    jmp fatal

fatal:
    push ebx
    mov ebx, message_fatal
    call serial_write_string_32
    pop ebx
    call serial_write_string_32
    mov ebx, message_newline
    call serial_write_string_32
    STOP_MACHINE

EARLY_SERIAL_ROUTINES 32, ebx, eax, ecx, edx, 8

early_hex_digits:           db "0123456789abcdef"
early_serial_ready:         db 0
message_handing_over:       db "[LOADER] entering the kernel: eax=", 0
message_ebx:                db " ebx=", 0
message_newline:            db 13, 10, 0
message_fatal:              db "[LOADER] FATAL: ", 0
message_not_multiboot1:     db "not entered by a Multiboot (version 1) loader", 0
message_wrong_modules:      db "expected two modules: the kernel ELF and the hand-off record", 0
message_not_elf64:          db "module 0 is not an x86_64 ELF file", 0
message_entry_too_high:     db "the kernel's entry point is above 4 GiB", 0
message_segment_overlaps:   db "a kernel segment reaches the loader at 4 MiB", 0
message_bad_record:         db "module 1 is not a whole hand-off record", 0
message_bad_destination:    db "the hand-off bytes would overwrite the kernel or the loader", 0

align 4
kernel_entry:               dd 0
kernel_end:                 dd 0
handoff_start:              dd 0
handoff_size:               dd 0
FLAT_IMAGE_END
