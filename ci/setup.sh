#!/usr/bin/env bash
# Installs what RayOS needs on Debian 12 or Ubuntu 22.04+ (apt, as root or
# through sudo), then configures and builds build/. Safe to run again: it
# installs only what is missing and reconfigures only when needed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ binutils nasm meson ninja-build pkg-config      # build
  grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools   # ISO for BIOS and UEFI
  qemu-system-x86 ovmf                                 # run it
  gdb                                                  # debug it
  libgtest-dev                                         # host unit tests
  python3 python3-pytest python3-pytest-xdist python3-pyelftools  # boot tests
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/setup.sh: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "ci/setup.sh: not root and no sudo: install ${missing[*]} by hand" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f build/build.ninja ]; then
  meson setup build --cross-file ci/x86_64-kernel.ini
fi
meson compile -C build
