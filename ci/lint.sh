#!/usr/bin/env bash
# Lint: clang-format on every C++ file, flake8 and autopep8 on the Python of
# test/ and ci/ (settings in .flake8), clang-tidy on every C++ source under
# src/, with the flags the kernel is built with. Fails on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/install_packages.sh clang-format clang-tidy git python3-flake8 python3-autopep8
[ -f build/compile_commands.json ] || bash ci/setup.sh

mapfile -t cpp_files < <(git ls-files '*.cpp' '*.h')
echo "== clang-format (${#cpp_files[@]} files)"
clang-format --dry-run --Werror "${cpp_files[@]}"

# Debian's python3-flake8 and python3-autopep8, under Debian's interpreter
# (the python3 first on PATH may be another one).
mapfile -t python_files < <(git ls-files 'test/*.py' 'ci/*.py')
echo "== flake8 (${#python_files[@]} files)"
/usr/bin/python3 -m flake8 "${python_files[@]}"
echo "== autopep8 (format: /usr/bin/python3 -m autopep8 --in-place FILE)"
# autopep8 imports lib2to3, which warns that it is deprecated.
PYTHONWARNINGS=ignore::DeprecationWarning /usr/bin/python3 -m autopep8 --diff --exit-code "${python_files[@]}"

# The kernel's own (cross-compiled) compile commands, with the GCC-only flags
# clang rejects taken out; headers are checked through the sources that
# include them (HeaderFilterRegex in .clang-tidy).
mapfile -t kernel_sources < <(git ls-files 'src/*.cpp')
echo "== clang-tidy (${#kernel_sources[@]} files)"
/usr/bin/python3 ci/lint_compile_database.py build build/lint "${kernel_sources[@]}"
# Two at a time (the machine has two cores); xargs fails if any run finds
# something. clang's count of the warnings the check list hides is noise.
printf '%s\0' "${kernel_sources[@]}" | xargs -0 -P2 -n4 clang-tidy -p build/lint --quiet \
    2> >(grep -v -E '^[0-9]+ warnings? generated\.$' >&2)
echo "lint: clean"
