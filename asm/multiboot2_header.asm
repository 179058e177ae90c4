; Multiboot2 header (Multiboot2 specification 3.1). GRUB looks for it in the
; first 32 KiB of the file, 8-byte aligned; the linker script puts this
; section first in the image.

%define MB2_HEADER_MAGIC  0xE85250D6
%define MB2_ARCH_I386     0            ; 32-bit protected mode entry

%define MB2_TAG_END                 0
%define MB2_TAG_INFORMATION_REQUEST 1
%define MB2_TAG_FRAMEBUFFER         5
%define MB2_TAG_FLAG_OPTIONAL       1

; Boot information tag types the kernel reads (spec 3.6): all are parsed by
; src/boot/multiboot2_parser.cpp.
%define MB2_INFO_CMDLINE        1
%define MB2_INFO_BOOTLOADER     2
%define MB2_INFO_BASIC_MEMINFO  4
%define MB2_INFO_MEMORY_MAP     6
%define MB2_INFO_FRAMEBUFFER    8
%define MB2_INFO_ACPI_OLD_RSDP  14
%define MB2_INFO_ACPI_NEW_RSDP  15

section .multiboot_header progbits alloc noexec nowrite align=8

multiboot2_header:
    dd MB2_HEADER_MAGIC
    dd MB2_ARCH_I386
    dd multiboot2_header_end - multiboot2_header
    dd 0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + (multiboot2_header_end - multiboot2_header))

    align 8, db 0
.information_request:
    dw MB2_TAG_INFORMATION_REQUEST
    dw 0                               ; flags: required, GRUB knows every type below
    dd .information_request_end - .information_request
    dd MB2_INFO_CMDLINE
    dd MB2_INFO_BOOTLOADER
    dd MB2_INFO_BASIC_MEMINFO
    dd MB2_INFO_MEMORY_MAP
    dd MB2_INFO_FRAMEBUFFER
    dd MB2_INFO_ACPI_OLD_RSDP
    dd MB2_INFO_ACPI_NEW_RSDP
.information_request_end:

; A linear framebuffer for the screen console (src/drivers/
; framebuffer_console.cpp): 800x600 at 32 bits per pixel, a mode every VBE
; BIOS and UEFI GOP offers, small enough that redrawing it stays cheap.
; Optional: a machine without graphics (-vga none) still boots, on serial
; only, and the kernel says so.
    align 8, db 0
.framebuffer:
    dw MB2_TAG_FRAMEBUFFER
    dw MB2_TAG_FLAG_OPTIONAL
    dd .framebuffer_end - .framebuffer
    dd 800                             ; width in pixels
    dd 600                             ; height in pixels
    dd 32                              ; bits per pixel
.framebuffer_end:

    align 8, db 0
    dw MB2_TAG_END
    dw 0
    dd 8
multiboot2_header_end:

; A Multiboot (version 1) header as well, so that GRUB's `multiboot` command
; can load this same image and enter it with the Multiboot1 magic in EAX:
; the boot test for the trampoline's magic check (grub.cfg, rayos_loader).
; GRUB looks for it in the first 8 KiB, 4-byte aligned; no flags, so GRUB
; loads the ELF by its program headers. RayOS refuses such a boot.
%define MB1_HEADER_MAGIC 0x1BADB002
%define MB1_FLAGS        0

    align 4, db 0
multiboot1_header:
    dd MB1_HEADER_MAGIC
    dd MB1_FLAGS
    dd 0x100000000 - (MB1_HEADER_MAGIC + MB1_FLAGS)
