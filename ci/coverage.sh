#!/usr/bin/env bash
# The kernel's code coverage from the whole suite: builds build-coverage/
# (-Dkernel_coverage=true: the kernel counts its arcs, the host tests too),
# runs the host unit tests and every boot test on it, with each boot's
# counters collected from QEMU's debug console (test/harness/coverage.py),
# and prints line and branch coverage per source file and the total
# (gcovr). The HTML report: build-coverage/coverage/index.html.
#
#   bash ci/coverage.sh              # the whole suite
#   bash ci/coverage.sh -k console   # extra arguments go to pytest
#
# Exits non-zero when a test failed or the coverage is under the target
# (85% of lines, 70% of branches). The tests, the fault triggers and the
# KTEST framework are measured code, not code measured: the report leaves
# them out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
bash ci/install_packages.sh gcovr

build=build-coverage
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" --cross-file ci/x86_64-kernel.ini -Dkernel_coverage=true
fi
meson compile -C "$build"

dumps="$PWD/$build/coverage-dumps"
rm -rf "$dumps" "$build/coverage"
find "$build" -name '*.gcda' -delete
mkdir -p "$dumps" "$build/coverage"

echo "== host unit tests (counted)"
status=0
meson test -C "$build" --suite host --print-errorlogs || status=$?

echo "== boot tests on the kernel built for coverage"
# Timing figures are not what this run is for: the counters slow the kernel.
RAYOS_COVERAGE_DUMPS="$dumps" /usr/bin/python3 -m pytest test -n auto --dist loadgroup \
  --build-dir "$build" "$@" || status=$?

echo "== coverage"
(cd test && /usr/bin/python3 -m harness.coverage write-gcda "$dumps")
gcovr --root . --object-directory "$build" --gcov-executable gcov-12 \
  --exclude 'test/' --exclude "$build/" \
  --exclude '.*_tests\.cpp$' --exclude '.*_tests\.h$' --exclude 'src/ktest/' --exclude '.*_triggers\.cpp$' \
  --sort-percentage --print-summary \
  --html-details "$build/coverage/index.html" \
  --txt "$build/coverage/summary.txt" \
  --fail-under-line 85 --fail-under-branch 70 || status=$?
echo "(per file: $build/coverage/summary.txt; HTML: $build/coverage/index.html)"
exit "$status"
