"""Misusing the blocking locks (issue 14): each fault word in
src/sync/blocking_misuse.cpp ends the boot with a panic that says what was
done wrong, naming the threads involved by the names the trigger gave them."""

import re
from pathlib import Path

import pytest

from harness.outcome import Outcome

SOURCE = Path(__file__).resolve().parent.parent / "src"
MISUSE = SOURCE / "sync/blocking_misuse.cpp"
SCHEDULER = SOURCE / "sched/scheduler.cpp"
BACKTRACE_FUNCTION = re.compile(r"^\[FAULT\]   #\d+ 0x[0-9a-f]{16} (.+?)(?:\+0x[0-9a-f]+)?$")


def source_match(path, pattern):
    """The first match of pattern in a source file, with its line number."""
    text = path.read_text()
    match = re.search(pattern, text)
    assert match, f"{path.name}: nothing matches {pattern!r}"
    return match, text.count("\n", 0, match.start()) + 1


def panic_line(result):
    assert result.outcome is Outcome.PANIC, result.reason
    # The message line: the last [PANIC] line (a thread line and "other CPUs
    # stopped" may come before it).
    return [line for line in result.kernel_lines if line.startswith("[PANIC]")][-1]


def backtrace_functions(result):
    return [BACKTRACE_FUNCTION.match(line).group(1) for line in result.lines if BACKTRACE_FUNCTION.match(line)]


def test_unlock_by_a_thread_that_does_not_hold_the_mutex_panics_naming_both(boot):
    holder, _ = source_match(MISUSE, r'sched::spawn\("([^"]+)", hold_the_mutex')
    main, _ = source_match(SCHEDULER, r'adopt_running_flow\(cpu, g_main_thread, "([^"]+)"')
    mutex, declared_at = source_match(MISUSE, r'static Mutex mutex\("([^"]+)"\);')
    result = boot(cmdline="exit fault=mutex-unlock-not-owner")
    line = panic_line(result)
    match = re.match(rf"^\[PANIC\] thread '{re.escape(main.group(1))}' \(id (\d+)\) unlocks mutex "
                     rf"'{re.escape(mutex.group(1))}' \(src/sync/blocking_misuse\.cpp:{declared_at}\), owned by "
                     rf"thread '{re.escape(holder.group(1))}' \(id (\d+)\) \(src/sync/mutex\.cpp:\d+\) on CPU 0$",
                     line)
    assert match, line
    assert match.group(1) != match.group(2), "two threads, two IDs"
    assert "sync::Mutex::unlock(sync::LockSite)" in backtrace_functions(result)


@pytest.mark.parametrize("kind, message, trigger", [
    ("mutex-in-interrupt", r"Mutex::lock in an interrupt handler: it would block the interrupted thread",
     "lock_on_tick"),
    ("sleep-with-interrupts-off", r"sleep_ms with interrupts off .*: a blocked thread would never be woken",
     "sleep_with_interrupts_off"),
])
def test_blocking_where_sleep_is_forbidden_panics(boot, kind, message, trigger):
    result = boot(cmdline=f"exit fault={kind}")
    line = panic_line(result)
    assert re.match(rf"^\[PANIC\] {message} \(src/sched/scheduler\.cpp:\d+\) on CPU 0$", line), line
    functions = backtrace_functions(result)
    assert any(trigger in function for function in functions), functions
