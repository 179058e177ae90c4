"""How a boot ended, decided from QEMU's exit status, the serial log and
QEMU's own log. Pure logic, unit-tested in test/test_harness.py."""

import enum
import re

# src/drivers/qemu_exit.h: isa-debug-exit makes QEMU exit with (value << 1) | 1.
EXIT_SUCCESS = (0x10 << 1) | 1  # 33
EXIT_FAILURE = (0x11 << 1) | 1  # 35

READY_PREFIX = "[BOOT] RayOS ready"


class Outcome(enum.Enum):
    PASSED = "passed"              # success exit after the ready line
    PANIC = "panic"                # failure exit after a [PANIC] line
    FATAL = "fatal"                # failure exit from the trampoline's [BOOT] FATAL line
    FAILURE_EXIT = "failure exit"  # failure exit with neither line
    TRIPLE_FAULT = "triple fault"  # QEMU logged a triple fault (-no-reboot ends QEMU with 0)
    RESET = "reset"                # QEMU ended with 0 for another reset request
    TIMEOUT = "timeout"            # still running when the time was up
    STOPPED = "stopped"            # the harness stopped it after the line it waited for
    WRONG_EXIT = "wrong exit"      # any other status, or success without the ready line or after a failure line


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?=]*[A-Za-z]")


def serial_lines(raw_bytes):
    """Serial output as text lines: CR LF folded, GRUB's terminal escapes removed."""
    text = raw_bytes.decode("utf-8", errors="replace")
    text = ANSI_ESCAPE.sub("", text)
    return [line.strip("\r") for line in text.replace("\r\n", "\n").split("\n")]


def classify(exit_status, lines, qemu_log, timed_out=False, stopped=False):
    """Returns (Outcome, reason) for one boot."""
    has_ready = any(line.startswith(READY_PREFIX) for line in lines)
    panic = next((line for line in lines if line.startswith("[PANIC]")), None)
    fatal = next((line for line in lines if line.startswith("[BOOT] FATAL")), None)

    if stopped:
        return Outcome.STOPPED, "stopped by the harness after the expected line"
    if timed_out:
        return Outcome.TIMEOUT, "QEMU was still running at the timeout"
    if exit_status == 0:
        if "Triple fault" in qemu_log:
            return Outcome.TRIPLE_FAULT, "QEMU logged a triple fault (the CPU reset)"
        return Outcome.RESET, "QEMU exited with 0: a reset under -no-reboot, never a pass"
    if exit_status == EXIT_SUCCESS:
        # A kernel cannot pass after it has said it failed: the exit is the lie.
        if panic or fatal:
            return Outcome.WRONG_EXIT, f"success exit after a failure line: {panic or fatal}"
        if has_ready:
            return Outcome.PASSED, "success exit after the ready line"
        return Outcome.WRONG_EXIT, "success exit without the ready line"
    if exit_status == EXIT_FAILURE:
        if panic:
            return Outcome.PANIC, panic
        if fatal:
            return Outcome.FATAL, fatal
        return Outcome.FAILURE_EXIT, "failure exit without a [PANIC] or FATAL line"
    return Outcome.WRONG_EXIT, f"unexpected QEMU exit status {exit_status}"
