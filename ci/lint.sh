#!/usr/bin/env bash
# Lint: clang-format on every C++ file, flake8 and autopep8 on the Python of
# test/ and ci/ (settings in .flake8), clang-tidy on the pure-logic sources
# (the ones the host tests build natively; clang does not take every GCC
# kernel flag). Fails on any finding.
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

echo "== clang-tidy"
# A compile database of the native (host test) entries only.
mkdir -p build/lint
/usr/bin/python3 - <<'PY'
import json
entries = json.load(open("build/compile_commands.json"))
native = [e for e in entries if "test/host/" in e["output"]]
json.dump(native, open("build/lint/compile_commands.json", "w"), indent=1)
PY
heap_pure=(src/mm/heap_allocator.cpp src/mm/heap_audit.cpp src/mm/heap_block_checks.cpp
           src/mm/heap_page_mapping.cpp src/mm/heap_slabs.cpp src/mm/heap_span_bins.cpp)
mapfile -t pure_sources < <(git ls-files 'src/lib/*.cpp' 'src/boot/*.cpp' 'src/mm/frame_allocator.cpp' "${heap_pure[@]}")
clang-tidy -p build/lint --quiet "${pure_sources[@]}"
echo "lint: clean"
