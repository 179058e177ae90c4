"""The PS/2 keyboard, driven by real key presses typed into QEMU over QMP."""

import time

import pytest

from harness.qmp import QmpClient

# (QEMU qcodes pressed together, the [KBD] lines they must produce, in order)
KEYSTROKES = [
    (["shift", "h"], ["[KBD] pressed LeftShift (scancode 0x2a)", "[KBD] pressed H (scancode 0x23) -> 'H'"]),
    (["i"], ["[KBD] pressed I (scancode 0x17) -> 'i'"]),
    (["caps_lock"], ["[KBD] pressed CapsLock (scancode 0x3a)"]),
    (["a"], ["[KBD] pressed A (scancode 0x1e) -> 'A'"]),
    (["shift", "a"], ["[KBD] pressed LeftShift (scancode 0x2a)", "[KBD] pressed A (scancode 0x1e) -> 'a'"]),
    (["caps_lock"], ["[KBD] pressed CapsLock (scancode 0x3a)"]),
    (["ctrl", "c"], ["[KBD] pressed LeftCtrl (scancode 0x1d)", "[KBD] pressed C (scancode 0x2e) -> 0x03"]),
    (["shift", "1"], ["[KBD] pressed LeftShift (scancode 0x2a)", "[KBD] pressed 1 (scancode 0x02) -> '!'"]),
    (["ret"], ["[KBD] pressed Enter (scancode 0x1c) -> 0x0a"]),
    (["up"], ["[KBD] pressed Up (scancode 0xe0 0x48)"]),
]
CHORD_TIMEOUT_SECONDS = 10


def key_lines(kernel):
    return [line for line in kernel.lines() if line.startswith("[KBD] pressed")]


def wait_for_key_lines(kernel, count):
    deadline = time.monotonic() + CHORD_TIMEOUT_SECONDS
    while len(key_lines(kernel)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return key_lines(kernel)


@pytest.mark.slow
def test_keys_typed_into_qemu_are_decoded_and_logged(running_boot):
    kernel = running_boot(cmdline="", qmp=True)
    kernel.wait_for_line("[KBD] PS/2 controller and port 1 self-tests passed")
    kernel.wait_for_line("[BOOT] RayOS ready")
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    expected = []
    try:
        for keys, lines in KEYSTROKES:
            # One chord at a time: its lines must be in before the next goes.
            qmp.send_keys(*keys)
            expected += lines
            assert wait_for_key_lines(kernel, len(expected)) == expected, f"after {keys}"
    finally:
        qmp.close()
