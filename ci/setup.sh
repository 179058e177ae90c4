#!/usr/bin/env bash
# Installs what RayOS needs on Debian 12 or Ubuntu 22.04+ (apt, as root or
# through sudo), then configures and builds build/. Safe to run again: it
# installs only what is missing and reconfigures only when needed.
#   bash ci/setup.sh           everything: the kernel, the ISO, host tests, fuzzers, benchmarks
#   bash ci/setup.sh --boot [ISO...]   only what a boot needs: the release kernel
#                                      and its ISO (ci/boot.sh), or the ISOs named
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ binutils nasm meson ninja-build pkg-config      # build
  grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools   # ISO for BIOS and UEFI
  console-setup-linux                                  # the screen console's font
  qemu-system-x86 ovmf swtpm                           # run it (swtpm: test/harness/software_tpm.py)
  gdb                                                  # debug it
  libgtest-dev clang libbenchmark-dev                  # host unit tests; libFuzzer; benchmarks
  python3 python3-pytest python3-pytest-xdist python3-pyelftools  # boot tests
)

# clang's libFuzzer runtime: a package of its own on Debian 12, part of
# clang's own packages elsewhere.
bash ci/install_packages.sh "${packages[@]}" --optional libclang-rt-14-dev

if [ ! -f build/build.ninja ]; then
  meson setup build --cross-file ci/x86_64-kernel.ini
fi
# ninja rather than `meson compile`, which starts Python first (0.4 s here);
# ninja re-runs Meson itself when a meson.build changed.
if [ "${1:-}" = --boot ]; then
  shift
  ninja -C build "${@:-rayos-release.iso}"
else
  ninja -C build
fi
