"""COM1 input: bytes typed at the serial port reach the kernel through IRQ 4."""

import time


def test_bytes_typed_on_com1_arrive_through_irq4(running_boot):
    kernel = running_boot(cmdline="", serial_input=True)
    kernel.wait_for_line("[SERIAL] COM1 input on IRQ 4")
    kernel.wait_for_line("[BOOT] RayOS ready")
    kernel.type_serial(b"hi!\r")
    expected = ["[SERIAL] received 0x68 'h'", "[SERIAL] received 0x69 'i'", "[SERIAL] received 0x21 '!'",
                "[SERIAL] received 0x0d"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        received = [line for line in kernel.lines() if line.startswith("[SERIAL] received")]
        if len(received) >= len(expected):
            break
        time.sleep(0.05)
    assert received == expected
