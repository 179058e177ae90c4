#!/bin/sh
# Runs a libFuzzer binary for a bounded time: run_fuzzer.sh FUZZER SECONDS SEEDS WORKDIR
# New inputs go to WORKDIR/corpus (the first corpus folder is the one
# libFuzzer writes to), crashes to WORKDIR; the seeds in the source tree
# are only read.
set -eu
fuzzer=$1 seconds=$2 seeds=$3 workdir=$4
mkdir -p "$workdir/corpus"
exec "$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$workdir/" \
    "$workdir/corpus" "$seeds"
