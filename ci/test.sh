#!/usr/bin/env bash
# Builds RayOS and runs every test: the host unit tests (meson test, under
# ASan and UBSan), then the boot tests (pytest: the ISO in QEMU, BIOS and
# UEFI, and GDB). Extra arguments go to pytest (-k NAME, -x, ...).
# Fails when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh

echo "== host unit tests, and the parsers fuzzed (Multiboot2 20 s, ACPI 10 s)"
meson test -C build --suite host --suite fuzz --print-errorlogs

echo "== boot tests"
# Debian's pytest under /usr/bin/python3, whatever python3 comes first on PATH.
# --dist loadgroup: the kernel tests share one worker and so one boot.
exec /usr/bin/python3 -m pytest test -n auto --dist loadgroup "$@"
