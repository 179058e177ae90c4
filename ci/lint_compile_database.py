"""Write OUTPUT_DIR/compile_commands.json for clang-tidy: the kernel's own
compile commands (the cross-compiled entries of BUILD_DIR's database, not the
host tests') with the GCC-only flags clang cannot parse taken out, so each
source is read with the defines, include paths and -ffreestanding the kernel
is built with. Fails if a SOURCE has no kernel compile command (clang-tidy
would otherwise guess its flags).

Usage: python3 ci/lint_compile_database.py BUILD_DIR OUTPUT_DIR SOURCE...
"""
import json
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
    entries = kernel_entries(json.loads(database.read_text()))
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
