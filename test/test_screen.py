"""The screen console, looked at from the host: QEMU's own screendump of
the display, read pixel by pixel, against the screen a model terminal
draws from what the kernel wrote to COM1, in the same console font
(harness/screen.py). Under BIOS (VBE, set by GRUB) and UEFI (GOP), on both
machines; a panic report ends on screen, white on red; keys typed on the
PS/2 keyboard reach the console and its answer reaches the screen."""

import time

import pytest

from harness import screen
from harness.outcome import Outcome
from harness.qmp import QmpClient

SCREEN_TIMEOUT_SECONDS = 15


@pytest.fixture(scope="module")
def font(build_dir):
    return screen.console_font(build_dir)


def screen_matches(kernel, font, qmp, path, prepare=None):
    """Takes screendumps until the screen shows what the kernel wrote (the
    console draws when the kernel waits, so the last lines may still be on
    their way); the last mismatches otherwise, with the model."""
    deadline = time.monotonic() + SCREEN_TIMEOUT_SECONDS
    while True:
        qmp.execute("screendump", filename=str(path))
        image = screen.read_ppm(path)
        text = screen.kernel_text((kernel.workdir / "serial.log").read_bytes())
        model = screen.TerminalModel(image.width // font.width, image.height // font.height).write(text)
        problems = screen.compare(image, model, font)
        if not problems or time.monotonic() > deadline:
            return image, model, problems
        time.sleep(0.2)


def assert_screen_shows_the_log(kernel, font, qmp, path):
    image, model, problems = screen_matches(kernel, font, qmp, path)
    assert not problems, "the screen differs from the log:\n" + "\n".join(problems) + \
        "\n--- the screen should read ---\n" + "\n".join(model.text_rows()) + f"\n(screendump: {path})"
    return image, model


@pytest.mark.parametrize("machine, firmware", [
    ("pc", "bios"), ("q35", "bios"),
    pytest.param("pc", "uefi", marks=[pytest.mark.uefi, pytest.mark.slow]),
    pytest.param("q35", "uefi", marks=[pytest.mark.uefi, pytest.mark.slow])])
def test_the_screen_shows_the_boot_log_in_the_console_font(running_boot, font, machine, firmware):
    kernel = running_boot(cmdline="", machine=machine, firmware=firmware, qmp=True, timeout=90)
    kernel.wait_for_line("[BOOT] halted", timeout=90)
    fb_lines = [line for line in kernel.lines() if line.startswith("[FB]")]
    assert fb_lines and fb_lines[0].startswith("[FB] framebuffer 800x600, 32 bits per pixel"), fb_lines
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        image, model = assert_screen_shows_the_log(kernel, font, qmp, kernel.workdir / "screen.ppm")
    finally:
        qmp.close()
    assert (image.width, image.height) == (800, 600)
    # The screen ends with the log's last lines, and the tags are in colour.
    assert model.text_rows()[model.row - 1].startswith("[BOOT] halted")
    assert any(row[0][1] == screen.TAG_STYLES["BOOT"][0] for row in model.cells if row[0][0] == "[")


def test_a_panic_report_ends_on_screen_white_on_red(running_boot, font):
    # No exit device: the kernel halts after its report, and the screen stays.
    kernel = running_boot(cmdline="fault=null-pointer", qmp=True, exit_device=False, timeout=60)
    kernel.wait_for_line("[PANIC]", timeout=60)
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        image, model = assert_screen_shows_the_log(kernel, font, qmp, kernel.workdir / "screen.ppm")
    finally:
        qmp.close()
    panic_rows = [row for row, text in enumerate(model.text_rows()) if text.startswith("[PANIC]")]
    assert panic_rows, "no [PANIC] line on the screen model"
    # Independently of the model's colour table: the first cell's
    # background pixel (top left) of each panic row is VGA red.
    for row in panic_rows:
        assert image.pixel(0, row * font.height) == screen.PALETTE[screen.RED], f"row {row}"


def test_keys_typed_on_the_keyboard_reach_the_console_and_its_answer_the_screen(running_boot, font):
    kernel = running_boot(cmdline="console", qmp=True, timeout=60)
    kernel.wait_for_line("[BOOT] console on COM1 and the keyboard", timeout=60)
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        for key in ["h", "e", "l", "x", "backspace", "p", "ret"]:
            qmp.send_keys(key)
        deadline = time.monotonic() + 10
        while not any(line.startswith("  mem") for line in kernel.lines()) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert any(line.startswith("  mem") for line in kernel.lines()), "help did not answer"
        assert_screen_shows_the_log(kernel, font, qmp, kernel.workdir / "screen.ppm")
    finally:
        qmp.close()


def test_without_a_display_the_log_stays_on_serial_and_says_why(boot):
    result = boot(cmdline="exit", extra_args=("-vga", "none"))
    assert result.outcome is Outcome.PASSED, result.report()
    # GRUB, finding no video card, hands over no framebuffer tag (none of
    # the drivers iso/grub.cfg loads finds a display): the kernel says so,
    # and boots. A tag the kernel cannot use (GRUB's VGA driver, which
    # all_video loaded, handed over a palette mode here) is refused with
    # its reason: test_boot_information.py builds such tags itself.
    assert result.lines_with("[FB] ") == ["[FB] no framebuffer from the boot loader: the log is on serial only"], \
        result.report()
