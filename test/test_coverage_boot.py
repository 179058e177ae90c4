"""The two ways a boot's counters reach the harness agree: the kernel's own
dump at its exit (the gcov runtime, through QEMU's debug console) and the
harness's snapshot of a machine it stops (QMP pmemsave of the kernel's
writable segments, decoded by following the runtime's registry). Runs in
the coverage run only (bash ci/coverage.sh)."""

import time

import pytest

from harness import coverage

pytestmark = pytest.mark.coverage_kernel

DUMP_WAIT_SECONDS = 60
# What runs after the dump: the rest of drivers::qemu_exit (a port write
# nothing answers without isa-debug-exit) and arch::halt_forever.
AFTER_THE_DUMP = {"src_drivers_qemu_exit.cpp.gcda", "src_arch_x86_64_cpu.cpp.gcda"}


def test_a_snapshot_of_the_stopped_kernel_reads_the_counters_its_dump_wrote(running_boot, tmp_path, monkeypatch):
    monkeypatch.setenv(coverage.DUMPS_VARIABLE, str(tmp_path / "dumps"))
    # No exit device: after its dump the kernel halts, and stays for the snapshot.
    kernel = running_boot(cmdline="exit", exit_device=False, timeout=DUMP_WAIT_SECONDS)
    dump_file = kernel.workdir / coverage.DUMP_FILE
    deadline = time.monotonic() + DUMP_WAIT_SECONDS
    while coverage.STREAM_END not in (dump_file.read_bytes() if dump_file.exists() else b""):
        assert time.monotonic() < deadline, "the kernel wrote no complete dump"
        time.sleep(0.1)
    time.sleep(0.5)  # the length after the end marker
    dump = dump_file.read_bytes()
    dumped = {unit.filename: unit for unit in coverage.parse_dump(dump)}
    kernel.finish()  # the snapshot; the dump of a boot the harness stopped is dropped
    (snapshot,) = [path.read_bytes() for path in (tmp_path / "dumps").glob("*.bin")]
    assert snapshot != dump
    snapshot = {unit.filename: unit for unit in coverage.parse_dump(snapshot)}

    assert snapshot.keys() == dumped.keys() and len(dumped) > 100
    differing = set()
    for name, unit in dumped.items():
        other = snapshot[name]
        assert (unit.stamp, len(unit.functions)) == (other.stamp, len(other.functions)), name
        if [f.arcs for f in unit.functions] != [f.arcs for f in other.functions]:
            differing.add(name.rsplit("/", 1)[-1])
    assert differing <= AFTER_THE_DUMP, differing
    counted = sum(1 for unit in dumped.values() for f in unit.functions for arc in f.arcs if arc)
    assert counted > 1000, counted
