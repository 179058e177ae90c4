; The application processors' way from the Startup IPI to the kernel:
; 16-bit real mode -> 32-bit protected mode -> 64-bit long mode, then a jump
; to ap_entry (src/arch/x86_64/ap_startup.cpp) on the AP's own stack.
;
; Where it runs: a Startup IPI with vector V starts the CPU in real mode at
; CS:IP = (V << 8):0, physical V << 12 (Intel SDM Vol. 3A 9.4.4.1), so the
; code must sit on a 4 KiB page below 1 MiB. RayOS uses physical 0x8000
; (AP_TRAMPOLINE_PHYSICAL, SIPI vector 0x08): conventional memory that the
; BIOS and UEFI memory maps call usable on PC machines, clear of the real-
; mode IVT and BIOS data area (0-0x4FF), the EBDA (below 0xA0000) and the
; legacy video and ROM areas (0xA0000-0xFFFFF). The kernel never hands it
; out (src/mm/physical_memory.cpp) and copies this code there before each
; start.
;
; The kernel links this code in its read-only data, never runs it there,
; and copies it to the page: every address below is therefore computed as
; AP_TRAMPOLINE_PHYSICAL + (label - ap_trampoline_start), a constant NASM
; can resolve, instead of a relocation.
;
; Paging: the AP turns paging on with the kernel's own CR3 while it runs at
; 0x8000, so the boot CPU maps this page at its own address (read-only,
; executable) for the bring-up and unmaps it after (src/kernel/smp.cpp).
; CR4 and EFER come from the boot CPU, so the AP runs with the same
; protections (EFER.NXE before CR3: the tables use the NX bit).

%include "boot_constants.inc"

%define AP_TRAMPOLINE_PHYSICAL  0x8000
%define ABSOLUTE(label)         (AP_TRAMPOLINE_PHYSICAL + (label) - ap_trampoline_start)

; Selectors of the trampoline's own GDT (below).
%define AP_GDT_CODE32           0x08
%define AP_GDT_DATA             0x10
%define AP_GDT_CODE64           0x18

%define CR0_PE                  (1 << 0)

section .rodata.ap_trampoline progbits alloc noexec nowrite align=16

global ap_trampoline_start
global ap_trampoline_end
global ap_trampoline_parameters

bits 16
ap_trampoline_start:
    cli
    cld
    xor ax, ax
    mov ds, ax
    ; Proof of life for the boot CPU: a second SIPI is needed only when the
    ; first did not start the CPU.
    mov dword [ABSOLUTE(ap_parameter_started)], 1
    o32 lgdt [ABSOLUTE(ap_gdt_pointer)]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword AP_GDT_CODE32:ABSOLUTE(ap_protected_mode)

bits 32
ap_protected_mode:
    mov ax, AP_GDT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    ; Intel SDM Vol. 3A 10.8.5: CR4.PAE, CR3, EFER.LME, then CR0.PG.
    mov eax, [ABSOLUTE(ap_parameter_cr4)]
    or eax, CR4_PAE
    mov cr4, eax
    mov eax, [ABSOLUTE(ap_parameter_cr3)]
    mov cr3, eax
    mov ecx, MSR_EFER
    mov eax, [ABSOLUTE(ap_parameter_efer)]
    mov edx, [ABSOLUTE(ap_parameter_efer) + 4]
    or eax, EFER_LME
    wrmsr
    mov eax, cr0
    or eax, CR0_PG | CR0_WP
    mov cr0, eax
    jmp AP_GDT_CODE64:ABSOLUTE(ap_long_mode)

bits 64
ap_long_mode:
    mov ax, AP_GDT_DATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, [ABSOLUTE(ap_parameter_stack_top)]
    mov rdi, [ABSOLUTE(ap_parameter_per_cpu)]
    mov rax, [ABSOLUTE(ap_parameter_entry)]
    ; A zero frame pointer and return address end every backtrace here; the
    ; push leaves RSP as a call would (System V: RSP + 8 16-byte aligned).
    xor ebp, ebp
    push 0
    jmp rax

; null, 32-bit code, data, 64-bit code (Intel SDM Vol. 3A 3.4.5). The AP
; loads its own GDT first thing in the kernel (enter_application_processor).
align 8
ap_gdt:
    dq 0
    dq 0x00CF9A000000FFFF   ; code: present, ring 0, executable, D=1, 4 GiB
    dq 0x00CF92000000FFFF   ; data: present, ring 0, writable, 4 GiB
    dq 0x00AF9A000000FFFF   ; code: present, ring 0, executable, L=1
ap_gdt_end:
ap_gdt_pointer:
    dw ap_gdt_end - ap_gdt - 1
    dd ABSOLUTE(ap_gdt)

; Filled in by the boot CPU before each Startup IPI: the layout of
; arch::ApTrampolineParameters (src/arch/x86_64/ap_trampoline.h).
align 8
ap_trampoline_parameters:
ap_parameter_cr3:       dq 0    ; the kernel's PML4, below 4 GiB (loaded in 32-bit mode)
ap_parameter_cr4:       dq 0
ap_parameter_efer:      dq 0
ap_parameter_stack_top: dq 0
ap_parameter_per_cpu:   dq 0    ; ap_entry's argument
ap_parameter_entry:     dq 0    ; ap_entry's higher-half address
ap_parameter_started:   dd 0    ; written 1 by the AP, first thing
                        dd 0
ap_trampoline_end:
