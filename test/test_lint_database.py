"""ci/lint_compile_database.py: clang-tidy gets one compile command a kernel
source, though the release kernel and the pure code compile in unity batches
(meson.build) and the test kernel file by file.
Each case writes a build folder's compile_commands.json and batches of its
own, so the expected commands come from the case, not from the script."""

import json
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "ci/lint_compile_database.py"


def batch_entry(build, name, sources):
    """A unity batch as Meson 1.0 writes it: one #include<path> line a
    source, by a path through the build folder; its compile command names
    the batch file."""
    batch = build / "lib.a.p" / name
    batch.parent.mkdir(exist_ok=True)
    batch.write_text("".join(f"#include<{build}/../{source}>\n" for source in sources))
    relative = f"lib.a.p/{name}"
    return {"directory": str(build), "file": relative, "output": f"lib.a.p/meson-generated_{name}.o",
            "command": f"g++ -Isrc -O2 -mnop-mcount -o lib.a.p/meson-generated_{name}.o -c {relative}"}


def run_script(build, output, sources):
    return subprocess.run(["/usr/bin/python3", str(SCRIPT), str(build), str(output), *sources],
                          cwd=build.parent, capture_output=True, text=True)


def test_each_source_of_a_batch_gets_the_batch_command_with_itself_in_its_place(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    sources = ["src/a.cpp", "src/sub/b.cpp", "src/c.cpp"]
    alone = {"directory": str(build), "file": "../src/d_tests.cpp", "output": "librayos-objects.a.p/d.o",
             "command": "g++ -Isrc -O2 -mnop-mcount -DUBSAN -o librayos-objects.a.p/d.o -c ../src/d_tests.cpp"}
    entries = [batch_entry(build, "k-unity0.cpp", sources[:2]), batch_entry(build, "k-unity1.cpp", sources[2:]),
               alone, {"directory": str(build), "file": "../test/host/x.cpp", "output": "test/host/x.o",
                       "command": "c++ -c ../test/host/x.cpp"}]
    (build / "compile_commands.json").write_text(json.dumps(entries))
    done = run_script(build, tmp_path / "lint", sources + ["src/d_tests.cpp"])
    assert done.returncode == 0, done.stderr
    written = json.loads((tmp_path / "lint/compile_commands.json").read_text())
    # A file compiled alone keeps its own command (the test kernel's).
    assert written[3]["file"] == "../src/d_tests.cpp"
    assert written[3]["arguments"] == ["g++", "-Wno-unknown-attributes", *shlex.split(
        "-Isrc -O2 -DUBSAN -o librayos-objects.a.p/d.o -c ../src/d_tests.cpp")]
    written = written[:3]
    assert [entry["file"] for entry in written] == [str(tmp_path / source) for source in sources]
    for entry in written:
        batch = "k-unity0.cpp" if entry["file"] != str(tmp_path / "src/c.cpp") else "k-unity1.cpp"
        expected = shlex.split(f"g++ -Isrc -O2 -o lib.a.p/meson-generated_{batch}.o -c {entry['file']}")
        # The GCC-only flag out, clang's extra flag in after the compiler.
        assert entry["arguments"] == [expected[0], "-Wno-unknown-attributes", *expected[1:]]


def test_a_source_in_no_batch_and_a_line_that_is_no_include_are_refused(tmp_path):
    build = tmp_path / "build"
    build.mkdir()
    entry = batch_entry(build, "k-unity0.cpp", ["src/a.cpp"])
    (build / "compile_commands.json").write_text(json.dumps([entry]))
    missing = run_script(build, tmp_path / "lint", ["src/a.cpp", "src/elsewhere.cpp"])
    assert missing.returncode != 0 and "no kernel compile command for src/elsewhere.cpp" in missing.stderr
    with open(build / entry["file"], "a") as batch:
        batch.write("#define SOMETHING 1\n")
    damaged = run_script(build, tmp_path / "lint", ["src/a.cpp"])
    assert damaged.returncode != 0 and "not a unity batch's line: '#define SOMETHING 1'" in damaged.stderr
