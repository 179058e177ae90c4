#!/usr/bin/env bash
# Runs the whole test suite (ci/test.sh: host unit tests, the fuzzer, every
# boot test) again and again, to catch flaky tests: a test that fails once
# in twenty runs is a bug, never something to retry. Stops at the first
# failing run and keeps every run's log in build/stress/.
#
#   bash ci/stress.sh [--torture | --threads] [RUNS]      (default 20)
#
# --torture runs only the torture tests (heap, frames, spinlock on every CPU
# at once, test/test_smp_torture.py) under -smp 4, on the current build:
# issue 13 asks for 20 green runs of them in a row.
# --threads runs only the threads, blocking-lock and lock-validator tests
# (test/test_threads.py: every suite under -smp 1 and 4, fairness under
# -icount; test_threads_sync.py, test_lockdep.py), BIOS, on the current
# build: issue 14 asks for 20 green runs of them in a row.
# Extra pytest arguments go through STRESS_PYTEST_ARGS, e.g. "-k memory".
set -euo pipefail
cd "$(dirname "$0")/.."

command=(bash ci/test.sh)
logs=build/stress
if [[ ${1:-} == --torture ]]; then
  command=(/usr/bin/python3 -m pytest test/test_smp_torture.py -k smp4 -p no:cacheprovider)
  logs=build/stress-torture
  shift
elif [[ ${1:-} == --threads ]]; then
  command=(/usr/bin/python3 -m pytest test/test_threads.py test/test_threads_sync.py test/test_lockdep.py
    -m "not uefi" -n 2 -p no:cacheprovider)
  logs=build/stress-threads
  shift
fi
runs=${1:-20}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "stress: RUNS must be a positive number, not '$runs'" >&2
  exit 2
fi
rm -rf "$logs"
mkdir -p "$logs"

started=$(date +%s)
for ((run = 1; run <= runs; run++)); do
  log="$logs/run-$run.log"
  run_started=$(date +%s)
  # shellcheck disable=SC2086  # word splitting of the extra arguments is wanted
  if "${command[@]}" ${STRESS_PYTEST_ARGS:-} >"$log" 2>&1; then
    summary=$(grep -E '^=+ .*(passed|failed).* =+$' "$log" | tail -1 | tr -d '=' | sed 's/^ *//; s/ *$//')
    echo "stress: run $run/$runs green in $(($(date +%s) - run_started)) s ($summary)"
  else
    echo "stress: run $run/$runs FAILED after $(($(date +%s) - run_started)) s; its log: $log" >&2
    grep -E '^(FAILED|ERROR) |^[0-9]+/[0-9]+ .*(FAIL|TIMEOUT)' "$log" >&2 || tail -40 "$log" >&2
    echo "stress: $((run - 1)) consecutive green runs before it" >&2
    exit 1
  fi
done
total=$(($(date +%s) - started))
echo "stress: $runs of $runs consecutive runs green in $((total / 60)) min $((total % 60)) s"
