"""Forensics (issue 18): a failing boot's report gives the file:line of every
code address in it (harness/symbolize.py, from the ELF's DWARF), return
addresses looked up at the call, not the line after it; ci/boot.sh shows a
person the same; a fault's panic line names the fault's site."""

import re
import subprocess
import sys
from pathlib import Path

TEST_DIR = Path(__file__).resolve().parent
REPO = TEST_DIR.parent
SOURCE_LINE = re.compile(r"^ +(?:0x[0-9a-f]+ )?at ((?:src|asm)/[^:]+):(\d+)")
CODE_ADDRESS_LINE = re.compile(r"^\[FAULT\]   (?:RIP|#(\d+)) (0x[0-9a-f]{16}) ")


def source_text(place):
    path, line = place
    return (REPO / path).read_text().splitlines()[int(line) - 1]


def located_addresses(lines):
    """{label: (file, line)} for each RIP and backtrace line of a decorated
    fault report, from the line after it; a label without one maps to None."""
    found = {}
    for index, line in enumerate(lines):
        match = CODE_ADDRESS_LINE.match(line)
        if not match:
            continue
        label = "RIP" if match.group(1) is None else f"#{match.group(1)}"
        after = SOURCE_LINE.match(lines[index + 1]) if index + 1 < len(lines) else None
        found[label] = after.groups() if after else None
    return found


# Where the unmapped-read fault happens and the calls that led there: the
# text each reported line must hold, read from the source itself. The
# return addresses (#1 on) name the line of the call only when looked up at
# the address minus one: the instruction after a call is often on the next
# line (boot64.asm's `call kernel_main` is one such).
UNMAPPED_READ_CHAIN = {
    "RIP": "kUnmappedAddress",
    "#0": "kUnmappedAddress",
    "#1": "kind.trigger()",
    "#2": "inject_fault(",
    "#3": "call kernel_main",
}


def decorated_report_lines(result):
    report = result.report().splitlines()
    start = next(index for index, line in enumerate(report) if line.startswith("--- serial log"))
    return report[start + 1:]


def test_a_fault_report_gives_every_code_address_its_file_and_line(boot):
    result = boot(cmdline="exit fault=unmapped-read")
    lines = decorated_report_lines(result)
    located = located_addresses(lines)
    assert set(located) == set(UNMAPPED_READ_CHAIN), located
    for label, text in UNMAPPED_READ_CHAIN.items():
        assert located[label] is not None, f"{label} has no file:line:\n" + "\n".join(lines)
        assert text in source_text(located[label]), (label, located[label], source_text(located[label]))
    # The panic line names the fault's site, and that address is decorated too.
    panic = next(index for index, line in enumerate(lines) if line.startswith("[PANIC] unhandled #PF"))
    assert SOURCE_LINE.match(lines[panic + 1]).groups() == located["RIP"], lines[panic:panic + 2]


def test_inlined_functions_are_named_with_the_function_they_are_inlined_into(boot):
    # lockdep-abba's backtraces start in SpinlockGuard's constructor, into
    # which the validator's acquire and Spinlock::lock are inlined (the
    # validator's header functions are always_inline or small).
    result = boot(cmdline="exit fault=lockdep-abba")
    lines = decorated_report_lines(result)
    first = next(index for index, line in enumerate(lines) if re.match(r"^\[LOCKDEP\]   #0 ", line))
    assert "SpinlockGuard::SpinlockGuard" in lines[first], lines[first]
    assert re.match(r"^ +at src/sync/spinlock\.h:\d+ \(.+, inlined\)$", lines[first + 1]), lines[first:first + 4]
    callers = []
    for line in lines[first + 2:]:
        if not line.startswith("            by "):
            break
        callers.append(line)
    assert callers and callers[-1].startswith("            by sync::SpinlockGuard::SpinlockGuard("), callers
    assert all(line.endswith(" (inlined)") for line in callers[:-1]), callers


def test_the_boot_command_shows_file_and_line_too(build_dir):
    # What ci/boot.sh runs after building, unattended (no terminal).
    done = subprocess.run([sys.executable, "-m", "harness.run", f"--build-dir={build_dir}", "--",
                           "fault=unmapped-read"],
                          cwd=TEST_DIR, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    output = done.stdout.decode("utf-8", errors="replace").splitlines()
    assert done.returncode != 0 and b"rayos: the boot failed: QEMU exit status 35" in done.stderr, done.stderr
    located = located_addresses([line.rstrip("\r") for line in output])
    assert located.get("RIP") is not None, "\n".join(output)
    assert UNMAPPED_READ_CHAIN["RIP"] in source_text(located["RIP"])
    assert located.get("#3") is not None and "call kernel_main" in source_text(located["#3"])
