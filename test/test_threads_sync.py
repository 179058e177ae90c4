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
    main, _ = source_match(SCHEDULER, r'adopt_running_flow\(cpu, g_main_thread\.construct\(\), "([^"]+)"')
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
    ("sleep-with-interrupts-off", r"sleep_ms with interrupts off: a blocked thread would never be woken",
     "sleep_with_interrupts_off"),
])
def test_blocking_where_sleep_is_forbidden_panics(boot, kind, message, trigger):
    result = boot(cmdline=f"exit fault={kind}")
    line = panic_line(result)
    assert re.match(rf"^\[PANIC\] {message} \(src/sched/scheduler\.cpp:\d+\) on CPU 0$", line), line
    functions = backtrace_functions(result)
    assert any(trigger in function for function in functions), functions


def test_a_thread_that_ends_holding_a_mutex_panics_naming_it_and_where_it_was_taken(boot):
    keeper, _ = source_match(MISUSE, r'sched::spawn\("([^"]+)", end_holding_the_mutex')
    mutex, declared_at = source_match(MISUSE, r'static Mutex mutex\("(kept)"\);')
    _, taken_at = source_match(MISUSE, r"kept_mutex\(\)\.lock\(\);")
    result = boot(cmdline="exit fault=exit-holding-mutex")
    line = panic_line(result)
    assert re.match(rf"^\[PANIC\] thread '{re.escape(keeper.group(1))}' \(id \d+\) ended holding 1 sleeping "
                    rf"lock\(s\), {mutex.group(1)} \(declared at src/sync/blocking_misuse\.cpp:{declared_at}\) "
                    rf"taken at src/sync/blocking_misuse\.cpp:{taken_at}: no one could take them again "
                    rf"\(src/sched/thread\.cpp:\d+\) on CPU \d+$", line), line
    assert "sched::exit_thread(unsigned long)" in backtrace_functions(result)


def test_yield_with_a_spinlock_held_panics_naming_the_lock_and_where_it_was_taken(boot):
    lock, declared_at = source_match(MISUSE, r'static Spinlock lock\("([^"]+)"\);')
    _, taken_at = source_match(MISUSE, r"SpinlockGuard guard\(lock\);\n\s*sched::yield\(\);")
    result = boot(cmdline="exit fault=yield-holding-spinlock")
    line = panic_line(result)
    assert re.match(rf"^\[PANIC\] yield with spinlock {re.escape(lock.group(1))} \(declared at "
                    rf"src/sync/blocking_misuse\.cpp:{declared_at}\) held \(taken at "
                    rf"src/sync/blocking_misuse\.cpp:{taken_at}; 1 spinlocks held\): a switched-out thread would "
                    rf"keep it from every other CPU \(src/sched/scheduler\.cpp:\d+\) on CPU 0$", line), line
    functions = backtrace_functions(result)
    assert "sched::yield()" in functions and any("yield_holding_a_spinlock" in f for f in functions), functions


def test_sleeping_in_an_idle_thread_panics_on_the_cpu_that_did_it(boot):
    # fault_cpu=1: the trigger runs as a job in CPU 1's idle thread.
    result = boot(cmdline="exit fault=sleep-in-idle-thread fault_cpu=1", smp=2)
    line = panic_line(result)
    assert re.match(r"^\[PANIC\] sleep_ms in idle thread 'idle/1': a CPU's idle thread never blocks \(its CPU "
                    r"would have nothing to run\) \(src/sched/scheduler\.cpp:\d+\) on CPU 1$", line), line
    functions = backtrace_functions(result)
    assert "sched::might_sleep(char const*)" in functions, functions
    assert any("sleep_in_an_idle_thread" in f for f in functions), functions


def test_sleep_in_idle_thread_on_the_boot_cpu_says_what_it_needs(boot):
    result = boot(cmdline="exit fault=sleep-in-idle-thread")
    assert ("[FAULT] sleep misuse: needs fault_cpu=N with N >= 1 (the trigger runs in thread 'main', not an idle "
            "thread)") in result.lines, result.report()
    assert re.match(r"^\[PANIC\] fault injection: 'sleep-in-idle-thread' did not fault ", panic_line(result))
