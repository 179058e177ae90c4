; 32-bit entry from a Multiboot2 loader, the checks that must pass before
; long mode, the early page tables and the switch to 64-bit code.
;
; Machine state on entry (Multiboot2 specification 3.3): 32-bit protected
; mode, paging off, interrupts off, EAX = magic, EBX = physical address of
; the boot information. The stack is undefined, so we set up our own.
;
; Everything here runs at its physical (load) address: these sections are
; linked at 1 MiB, below the higher-half image (linker/kernel.ld).

%include "boot_constants.inc"
%include "early_serial.inc"

extern higher_half_entry
extern install_early_idt

bits 32
section .boot.text progbits alloc exec nowrite align=16

global boot_entry
boot_entry:
    cli
    cld
    mov esp, boot_stack_top
    ; Keep the loader's values in registers no check below touches; they
    ; become kernel_main's two arguments (System V: EDI, ESI).
    mov edi, eax
    mov esi, ebx
    ; The boot profile's first stamp (src/kernel/boot_profile.h).
    rdtsc
    mov [boot_entry_tsc], eax
    mov [boot_entry_tsc + 4], edx

    cmp edi, MULTIBOOT2_BOOT_MAGIC
    jne .bad_magic
    call check_cpuid_present
    call check_long_mode
    call build_early_page_tables
    jmp enter_long_mode

.bad_magic:
    mov ebx, message_bad_magic
    call serial_write_string_32
    mov eax, edi
    call serial_write_hex_32
    mov ebx, message_bad_magic_tail
    call serial_write_string_32
    jmp stop_machine

; CPUID exists when EFLAGS.ID (bit 21) can be toggled (Intel SDM Vol. 1 20.1.1).
check_cpuid_present:
    pushfd
    pop eax
    mov ecx, eax
    xor eax, 1 << 21
    push eax
    popfd
    pushfd
    pop eax
    push ecx                ; restore the original flags
    popfd
    cmp eax, ecx
    je .no_cpuid
    ret
.no_cpuid:
    mov ebx, message_no_cpuid
    jmp fatal

; Long mode is CPUID.80000001h:EDX[29]; leaf 80000001h exists only when
; CPUID.80000000h:EAX reports it. NX support is remembered for EFER.NXE.
check_long_mode:
    push edi
    push esi
    mov eax, 0x80000000
    cpuid
    cmp eax, 0x80000001
    jb .no_long_mode
    mov eax, 0x80000001
    cpuid
    test edx, CPUID_EXT_LONG_MODE
    jz .no_long_mode
    and edx, CPUID_EXT_NX
    mov [cpu_has_nx], edx
    pop esi
    pop edi
    ret
.no_long_mode:
    mov ebx, message_no_long_mode
    jmp fatal

; Early tables, all 2 MiB pages, read+write+execute: enough to run the
; kernel until it builds its own tables with per-section rights.
;   PML4[0]   -> identity map of physical 0 .. 4 GiB (this code, the boot info)
;   PML4[256] -> the same 4 GiB at DIRECT_MAP_BASE (the kernel's view of
;                physical memory; survives removing the identity map)
;   PML4[511] -> PDPT slots 510, 511: physical 0 .. 2 GiB at KERNEL_VMA
build_early_page_tables:
    push edi
    ; The tables live in .boot.bss; zero them rather than trust the loader.
    mov edi, early_page_tables_start
    mov ecx, (early_page_tables_end - early_page_tables_start) / 4
    xor eax, eax
    rep stosd

    ; 2048 page-directory entries covering 4 GiB in 2 MiB pages.
    mov edi, early_page_directories
    xor ecx, ecx
.fill_directory:
    mov eax, ecx
    shl eax, 21
    or eax, PTE_PRESENT | PTE_WRITABLE | PTE_HUGE
    mov [edi + ecx * 8], eax
    mov dword [edi + ecx * 8 + 4], 0
    inc ecx
    cmp ecx, 2048
    jb .fill_directory

    ; Low PDPT: four entries, one per page directory (1 GiB each).
    xor ecx, ecx
.fill_low_pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, early_page_directories
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [early_pdpt_low + ecx * 8], eax
    inc ecx
    cmp ecx, 4
    jb .fill_low_pdpt

    mov eax, early_page_directories
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [early_pdpt_high + 510 * 8], eax
    add eax, 4096
    mov [early_pdpt_high + 511 * 8], eax

    mov eax, early_pdpt_low
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [early_pml4 + 0 * 8], eax
    mov [early_pml4 + 256 * 8], eax
    mov eax, early_pdpt_high
    or eax, PTE_PRESENT | PTE_WRITABLE
    mov [early_pml4 + 511 * 8], eax
    pop edi
    ret

; Intel SDM Vol. 3A 10.8.5: PAE, CR3, EFER.LME, then CR0.PG activates
; IA-32e mode; the far jump loads a 64-bit code segment.
enter_long_mode:
    mov eax, cr4
    or eax, CR4_PAE
    mov cr4, eax

    mov eax, early_pml4
    mov cr3, eax

    mov ecx, MSR_EFER
    rdmsr
    or eax, EFER_LME
    cmp dword [cpu_has_nx], 0
    je .efer_ready
    or eax, EFER_NXE        ; setting NXE without NX support would #GP
.efer_ready:
    wrmsr

    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax

    lgdt [boot_gdt_pointer]
    jmp BOOT_GDT_CODE64:long_mode_low

; The failure path: one line on COM1, then stop. EBX = message.
fatal:
    push ebx
    mov ebx, message_fatal_prefix
    call serial_write_string_32
    pop ebx
    call serial_write_string_32
    ; fall through
stop_machine:
    STOP_MACHINE

EARLY_SERIAL_ROUTINES 32, ebx, eax, ecx, edx, 8

bits 64
; First 64-bit instructions, still at the low identity-mapped address.
long_mode_low:
    mov ax, BOOT_GDT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ax, ax
    mov fs, ax
    mov gs, ax
    ; Register upper halves are undefined after the mode switch.
    mov edi, edi
    mov esi, esi
    call install_early_idt  ; from here on, a fault is reported, not a triple fault
    mov rax, higher_half_entry
    jmp rax

section .boot.rodata progbits alloc noexec nowrite align=16

; Trampoline GDT: null, 64-bit code, data (Intel SDM Vol. 3A 3.4.5). The
; kernel loads its own GDT with a TSS later.
align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF   ; code: present, ring 0, executable, L=1
    dq 0x00CF92000000FFFF   ; data: present, ring 0, writable
boot_gdt_end:
boot_gdt_pointer:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

global early_hex_digits
early_hex_digits:       db "0123456789abcdef"
message_fatal_prefix:   db "[BOOT] FATAL: ", 0
message_no_cpuid:       db "CPU has no CPUID instruction (x86_64 required)", 13, 10, 0
message_no_long_mode:   db "CPU has no long mode (x86_64 required)", 13, 10, 0
message_bad_magic:      db "[BOOT] FATAL: not started by a Multiboot2 loader (EAX=", 0
message_bad_magic_tail: db ", expected 0x36d76289)", 13, 10, 0

section .boot.data progbits alloc noexec write align=8
global boot_entry_tsc
boot_entry_tsc: dq 0
cpu_has_nx:   dd 0
global early_serial_ready
early_serial_ready: db 0

section .boot.bss nobits alloc noexec write align=4096
early_page_tables_start:
early_pml4:              resb 4096
early_pdpt_low:          resb 4096
early_pdpt_high:         resb 4096
early_page_directories:  resb 4 * 4096
early_page_tables_end:
boot_stack:              resb 4096
boot_stack_top:
