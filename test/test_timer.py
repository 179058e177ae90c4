"""The 8259 PICs and the PIT: the tick arrives once interrupts are on, at
the rate asked for."""

import re

import pytest

from harness.outcome import Outcome


def timer_lines(result):
    rate = re.search(r"^\[TIMER\] PIT channel 0 at (\d+) Hz \(asked for (\d+)\), 8259 PICs at vectors 32-47$",
                     "\n".join(result.lines), re.M)
    ticks = re.search(r"^\[TIMER\] interrupts on: ticks (\d+) -> (\d+) across sleep_ms\(10\), uptime (\d+) ms$",
                      "\n".join(result.lines), re.M)
    assert rate and ticks, result.lines_with("[TIMER]")
    return int(rate.group(1)), int(rate.group(2)), int(ticks.group(1)), int(ticks.group(2)), int(ticks.group(3))


@pytest.mark.parametrize("option, hz", [("", 1000), ("timer_hz=100", 100), ("timer_hz=250", 250)])
def test_ticks_advance_at_the_configured_rate(boot, option, hz):
    result = boot(cmdline=f"exit {option}")
    assert result.outcome is Outcome.PASSED, result.reason
    actual, asked, before, after, uptime = timer_lines(result)
    assert asked == hz and abs(actual - hz) <= hz // 100 + 1
    # sleep_ms(10) waits whole ticks, at least 10 ms of them.
    assert after - before >= (10 * actual + 999) // 1000
    assert uptime == after * 1000 // actual


@pytest.mark.parametrize("value", ["0", "fast", "100000", ""])
def test_bad_timer_rate_is_refused_with_a_warning(boot, value):
    result = boot(cmdline=f"exit timer_hz={value}")
    assert result.outcome is Outcome.PASSED, result.reason
    assert (f"[BOOT] warning: timer_hz='{value}' is not a whole number from 19 to 10000; using 1000"
            in result.lines)
    assert timer_lines(result)[0] == 1000
