#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages named as arguments that are not
# installed yet (apt-get, as root or through sudo). A name after --optional
# is installed only where the distribution has it (looked up after
# apt-get update, since a fresh machine's package lists are empty).
#   install_packages.sh PACKAGE... [--optional PACKAGE...]
set -euo pipefail

required=() optional=()
target=required
for argument in "$@"; do
  if [ "$argument" = --optional ]; then target=optional; continue; fi
  if [ "$target" = required ]; then required+=("$argument"); else optional+=("$argument"); fi
done

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for package in "${required[@]}" "${optional[@]}"; do
  is_installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_packages: not root and no sudo: install ${missing[*]} by hand" >&2; exit 1; }
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update -qq

wanted=()
for package in "${missing[@]}"; do
  if [[ " ${optional[*]} " == *" $package "* ]] && ! apt-cache show "$package" >/dev/null 2>&1; then
    continue
  fi
  wanted+=("$package")
done
[ ${#wanted[@]} -eq 0 ] && exit 0
echo "install_packages: installing ${wanted[*]}"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
