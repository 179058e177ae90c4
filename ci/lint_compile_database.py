"""Write OUTPUT_DIR/compile_commands.json for clang-tidy: the kernel's own
compile commands (the cross-compiled entries of BUILD_DIR's database, not the
host tests') with the GCC-only flags clang cannot parse taken out, so each
source is read with the defines, include paths and -ffreestanding the kernel
is built with. The release kernel and the pure code compile in unity
batches (meson.build): each source of a batch gets its batch's command, so
clang-tidy reads every file alone, as the compiler would with
-Dkernel_unity=false; the test kernel's files have entries of their own. Fails if a SOURCE has no
kernel compile command (clang-tidy would otherwise guess its flags).

Usage: python3 ci/lint_compile_database.py BUILD_DIR OUTPUT_DIR SOURCE...
"""
import json
import os
import re
import shlex
import sys
from pathlib import Path

# GCC flags clang rejects. Each only changes code generation, never how the
# source parses.
# -mnop-mcount: clang takes it for SystemZ only; the kernel patches the
#   -pg call sites into NOPs (clang keeps -pg itself).
# -falign-jumps=1, -falign-labels=1: no padding in the kernel's -O2 code
#   (meson.build, kernel_hot_code_args); clang has no such options.
GCC_ONLY_FLAGS = {"-mnop-mcount", "-falign-jumps=1", "-falign-labels=1"}
# GCC's attributes clang does not know (no_sanitize_undefined,
# no_stack_protector on a statement): GCC's -Wall -Werror build checks them.
CLANG_EXTRA_FLAGS = ["-Wno-unknown-attributes"]


def kernel_entries(entries):
    """The compile commands of the kernel's C++ sources (not the host tests,
    not the NASM files)."""
    return [e for e in entries
            if "test/host/" not in e["output"] and e["file"].endswith(".cpp")]


UNITY_BATCH = re.compile(r"-unity\d+\.cpp$")
UNITY_INCLUDE = re.compile(r"^#include<(.+)>$")


def unbatched(entries):
    """One entry a source. The kernel compiles its files in unity batches
    (meson.build, kernel_unity): a batch's entry names the generated file
    that #includes its sources; each source gets the batch's command with
    itself in the batch file's place, as a build with -Dkernel_unity=false
    would compile it."""
    result = []
    for entry in entries:
        if not UNITY_BATCH.search(entry["file"]):
            result.append(entry)
            continue
        batch = Path(entry["directory"]) / entry["file"]
        for line in batch.read_text().splitlines():
            included = UNITY_INCLUDE.match(line)
            if not included:
                sys.exit(f"{batch}: not a unity batch's line: {line!r}")
            source = os.path.normpath(included.group(1))  # build/../src/x.cpp
            command = [source if a == entry["file"] else a
                       for a in shlex.split(entry["command"])]
            result.append({**entry, "file": source,
                           "command": shlex.join(command)})
    return result


def clang_entry(entry):
    arguments = [a for a in shlex.split(entry["command"])
                 if a not in GCC_ONLY_FLAGS]
    arguments[1:1] = CLANG_EXTRA_FLAGS
    return {"directory": entry["directory"], "file": entry["file"],
            "output": entry["output"], "arguments": arguments}


def source_path(entry):
    return (Path(entry["directory"]) / entry["file"]).resolve()


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    build_dir, output_dir = Path(argv[1]), Path(argv[2])
    database = build_dir / "compile_commands.json"
    if not database.is_file():
        sys.exit(f"{database}: missing (run ci/setup.sh first)")
    entries = unbatched(kernel_entries(json.loads(database.read_text())))
    covered = {source_path(e) for e in entries}
    missing = [s for s in argv[3:] if Path(s).resolve() not in covered]
    if missing:
        sys.exit(f"{database}: no kernel compile command for "
                 + ", ".join(missing))
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "compile_commands.json").write_text(
        json.dumps([clang_entry(e) for e in entries], indent=1))


if __name__ == "__main__":
    main(sys.argv)
