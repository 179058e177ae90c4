"""The kernel's coverage runtime and the harness's .gcda writer against
GCC's own libgcov, on the host: one object file compiled with
-fprofile-arcs, linked once with libgcov (which writes its .gcda itself)
and once with src/kernel/coverage_runtime.cpp (whose dump the harness turns
into a .gcda). gcov must read the same line and branch counts from both.
The oracle is GCC's runtime, not ours."""

import shutil
import subprocess
from pathlib import Path

import pytest

from harness import coverage

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "coverage"
# The compiler the kernel is built with (ci/x86_64-kernel.ini), and its
# gcov: ci/setup.sh installs both, so neither can be missing.
CXX = "g++"
GCOV = "gcov"


def run(command, cwd):
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True)


def gcov_report(folder):
    """gcov's annotated source for program.cpp, with branch counts."""
    run([GCOV, "--branch-probabilities", "--branch-counts", "--object-directory", ".", "program.cpp"], folder)
    return (folder / "program.cpp.gcov").read_text().splitlines()[5:]  # past the header naming files


@pytest.fixture
def built(tmp_path):
    """program.o, compiled once, and its two links."""
    for name in ("program.cpp", "libgcov_dump.cpp", "host_runtime_stubs.cpp"):
        shutil.copy(DATA / name, tmp_path)
    run([CXX, "-std=c++20", "-O1", "-fprofile-arcs", "-ftest-coverage", "-fprofile-update=atomic", "-c",
         "program.cpp", "-o", "program.o"], tmp_path)
    run([CXX, "-std=c++20", "-c", "libgcov_dump.cpp", "-o", "libgcov_dump.o"], tmp_path)
    run([CXX, "--coverage", "program.o", "libgcov_dump.o", "-o", "with_libgcov"], tmp_path)
    include = ["-I", str(REPO / "src"), "-DRAYOS_COVERAGE=1", "-std=c++20"]
    run([CXX, *include, "-c", str(REPO / "src/kernel/coverage_runtime.cpp"), "-o", "runtime.o"], tmp_path)
    run([CXX, *include, "-c", "host_runtime_stubs.cpp", "-o", "stubs.o"], tmp_path)
    # No --coverage at the link: no libgcov; ours must provide every symbol.
    run([CXX, "program.o", "runtime.o", "stubs.o", "-o", "with_ours"], tmp_path)
    return tmp_path


def test_the_runtime_dump_gives_gcov_what_libgcov_gives_it(built):
    run(["./with_libgcov"], built)
    theirs = gcov_report(built)
    (built / "program.gcda").unlink()

    dump = run(["./with_ours"], built).stdout
    assert not (built / "program.gcda").exists()  # nothing but the dump wrote counters
    units = coverage.parse_dump(dump)
    assert [Path(unit.filename).name for unit in units] == ["program.gcda"]
    merged, runs = coverage.merge([units])
    (unit,) = merged.values()
    Path(unit.filename).write_bytes(coverage.gcda_bytes(unit, runs))
    ours = gcov_report(built)

    assert ours == theirs
    # And the counts are the program's: classify ran 11 times, never_called never.
    assert any(line.split(":")[0].strip() == "11" and "int classify(int value)" in line for line in ours), ours
    assert any(line.split(":")[0].strip() == "#####" and "return value + 1;" in line for line in ours), ours


def test_two_runs_add_up(built):
    dump = run(["./with_ours"], built).stdout
    merged, runs = coverage.merge([coverage.parse_dump(dump), coverage.parse_dump(dump)])
    (unit,) = merged.values()
    single, _ = coverage.merge([coverage.parse_dump(dump)])
    (one,) = single.values()
    assert runs == 2
    assert [f.arcs for f in unit.functions] == [[2 * a for a in f.arcs] for f in one.functions]


def test_a_dump_cut_short_or_from_another_build_is_refused(built):
    dump = run(["./with_ours"], built).stdout
    with pytest.raises(coverage.DumpError, match="ends at byte"):
        coverage.parse_dump(dump[:len(dump) // 2])
    with pytest.raises(coverage.DumpError, match="no coverage dump"):
        coverage.parse_dump(b"[BOOT] RayOS ready\n")
    # Text before the dump (anything else written to the port) is skipped.
    assert coverage.parse_dump(b"noise" + dump)
    other = coverage.parse_dump(dump)
    other[0].stamp ^= 1
    with pytest.raises(coverage.DumpError, match="different builds"):
        coverage.merge([coverage.parse_dump(dump), other])
