#!/bin/sh
# Builds the bootable ISO: make_iso.sh OUTPUT.iso KERNEL.elf GRUB.cfg
# grub-mkrescue puts both a BIOS (i386-pc, El Torito) and a UEFI
# (x86_64-efi, EFI system partition image) GRUB on it.
set -eu
output=$1 kernel=$2 config=$3

staging="$output.d"
rm -rf "$staging"
mkdir -p "$staging/boot/grub"
cp "$kernel" "$staging/boot/rayos.elf"
cp "$config" "$staging/boot/grub/grub.cfg"

# No locales, fonts or themes: smaller and faster; the menu is never shown.
if ! grub-mkrescue --locales= --fonts= --themes= -o "$output" "$staging" >"$output.log" 2>&1; then
    cat "$output.log" >&2
    exit 1
fi
rm -rf "$staging"
