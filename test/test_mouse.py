"""The PS/2 mouse, driven from the host: moves, clicks and wheel turns
sent into QEMU over QMP (input-send-event), decoded by the kernel and
checked against what was sent. PS/2 counts Y upwards, QEMU's input events
downwards: a move of +5 in QEMU's Y is -5 in the kernel's."""

import re
import time

import pytest

from harness.qmp import QmpClient

INIT_LINE = ("[MOUSE] PS/2 port 2 test passed, mouse reset (ID 0), IntelliMouse wheel on (ID 3, 4-byte packets), "
             "IRQ 12")
EVENT_TIMEOUT_SECONDS = 10


def mouse_lines(kernel):
    return [line for line in kernel.lines() if line.startswith("[MOUSE]") and line != INIT_LINE]


def wait_for_mouse_lines(kernel, count):
    deadline = time.monotonic() + EVENT_TIMEOUT_SECONDS
    while len(mouse_lines(kernel)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return mouse_lines(kernel)


def rel(axis, value):
    return {"type": "rel", "data": {"axis": axis, "value": value}}


def button(name, down):
    return {"type": "btn", "data": {"button": name, "down": down}}


# (events sent together, the [MOUSE] lines they must produce, in order)
GESTURES = [
    ([rel("x", 10), rel("y", 5)], ["[MOUSE] moved x 10 y -5"]),
    ([rel("x", -7), rel("y", -3)], ["[MOUSE] moved x -7 y 3"]),
    ([rel("x", 100)], ["[MOUSE] moved x 100 y 0"]),
    ([button("left", True)], ["[MOUSE] left button pressed"]),
    ([button("left", False)], ["[MOUSE] left button released"]),
    ([button("right", True)], ["[MOUSE] right button pressed"]),
    ([button("right", False)], ["[MOUSE] right button released"]),
    ([button("middle", True)], ["[MOUSE] middle button pressed"]),
    ([button("middle", False)], ["[MOUSE] middle button released"]),
    ([button("wheel-down", True), button("wheel-down", False)], ["[MOUSE] wheel down 1"]),
    ([button("wheel-up", True), button("wheel-up", False)], ["[MOUSE] wheel up 1"]),
]


# IRQ 12 through the I/O APIC on both machines, through the 8259s (noapic),
# and under OVMF, which sets the controller up its own way.
@pytest.mark.parametrize("machine, firmware, words", [
    ("pc", "bios", ""), ("q35", "bios", ""), ("pc", "bios", "noapic"),
    pytest.param("q35", "uefi", "", marks=[pytest.mark.uefi, pytest.mark.slow])])
def test_moves_clicks_and_wheel_sent_into_qemu_are_decoded_exactly(running_boot, machine, firmware, words):
    kernel = running_boot(cmdline=words, machine=machine, firmware=firmware, qmp=True, timeout=60)
    assert kernel.wait_for_line("[MOUSE]", timeout=60) == INIT_LINE
    kernel.wait_for_line("[BOOT] halted", timeout=60)
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    expected = []
    try:
        for events, lines in GESTURES:
            qmp.execute("input-send-event", events=events)
            expected += lines
            assert wait_for_mouse_lines(kernel, len(expected)) == expected, f"after {events}"
    finally:
        qmp.close()
    assert not any(re.search(r"out of step|dropped|overflowed", line) for line in mouse_lines(kernel))
