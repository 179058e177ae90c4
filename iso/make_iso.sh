#!/bin/sh
# Builds a bootable ISO with both a BIOS (i386-pc, El Torito) and a UEFI
# (x86_64-efi, EFI system partition image) GRUB on it, in two steps, so that
# a rebuilt kernel does not make GRUB again:
#
#   make_iso.sh --grub-tree TREE.args
#       runs grub-mkrescue once, on a folder with nothing of ours in it, with
#       this script standing in for xorriso (--xorriso): it keeps the tree
#       grub-mkrescue built (TREE.args.d: GRUB's modules and core images, the
#       EFI system partition image) and the xorriso arguments it chose
#       (TREE.args, one a line). Those include the modification date, which
#       is also the UUID the UEFI core image searches for: they belong
#       together, and are reused together.
#   make_iso.sh OUTPUT.iso KERNEL.elf GRUB.cfg TREE.args
#       the ISO: that tree plus /boot/rayos.elf and /boot/grub/grub.cfg,
#       written by xorriso with those arguments. 0.2 s where grub-mkrescue
#       took 0.35 s, most of a one-file rebuild's last step.
set -eu

# As grub-mkrescue's xorriso: probes go to the real one; the final call
# is recorded, its output, GRUB's tree (-r) and our folder as placeholders,
# and the tree kept.
if [ -n "${RAYOS_GRUB_TREE_RECORD:-}" ]; then
    if [ "$*" = "-as mkisofs -help" ]; then
        exec xorriso "$@"
    fi
    record=$RAYOS_GRUB_TREE_RECORD
    : >"$record.partial"
    while [ $# -gt 0 ]; do
        case $1 in
        -o)
            printf '%s\n' -o @OUTPUT@ >>"$record.partial"
            shift
            ;;
        -r)
            rm -rf "$record.d"
            cp -a "$2" "$record.d"
            printf '%s\n' -r @GRUB_TREE@ >>"$record.partial"
            shift
            ;;
        "$RAYOS_GRUB_TREE_SOURCE")
            printf '%s\n' @SOURCE@ >>"$record.partial"
            ;;
        *)
            printf '%s\n' "$1" >>"$record.partial"
            ;;
        esac
        shift
    done
    for placeholder in @OUTPUT@ @GRUB_TREE@ @SOURCE@; do
        grep -qx $placeholder "$record.partial" || {
            echo "make_iso.sh: grub-mkrescue's xorriso call named no output, GRUB tree (-r) or folder of ours: $(tr "\n" " " <"$record.partial")" >&2
            exit 1
        }
    done
    mv "$record.partial" "$record"
    exit 0
fi

if [ "$1" = --grub-tree ]; then
    record=$(realpath -m "$2")
    empty="$record.empty"
    rm -rf "$empty" "$record" "$record.d"
    mkdir -p "$empty"
    # No locales, fonts or themes: smaller and faster; the menu is never shown.
    if ! RAYOS_GRUB_TREE_RECORD=$record RAYOS_GRUB_TREE_SOURCE=$empty \
        grub-mkrescue --xorriso="$(realpath "$0")" --locales= --fonts= --themes= -o "$record.iso" "$empty" \
        >"$record.log" 2>&1 || [ ! -f "$record" ]; then
        cat "$record.log" >&2
        exit 1
    fi
    rm -rf "$empty" "$record.log"
    exit 0
fi

output=$1 kernel=$2 config=$3 record=$4
staging="$output.d"
rm -rf "$staging"
mkdir -p "$staging/boot/grub"
cp "$kernel" "$staging/boot/rayos.elf"
cp "$config" "$staging/boot/grub/grub.cfg"

set --
while IFS= read -r argument; do
    case $argument in
    @OUTPUT@) argument=$output ;;
    @GRUB_TREE@) argument="$record.d" ;;
    @SOURCE@) argument=$staging ;;
    esac
    set -- "$@" "$argument"
done <"$record"
if ! xorriso "$@" >"$output.log" 2>&1; then
    cat "$output.log" >&2
    exit 1
fi
rm -rf "$staging"
