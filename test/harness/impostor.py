"""Timeouts for boots of the impostor kernel (test/direct_boot/impostor_kernel.asm),
which acts out a script: `#action#line|line...`.

An impostor boot ends by itself in about 0.3 s, except under #hang#, whose
timeout is the outcome under test: a short timeout there, and room for a
loaded host elsewhere, where a timeout would be the wrong outcome."""

HANG_TIMEOUT_SECONDS = 3
ENDING_TIMEOUT_SECONDS = 30


def impostor_timeout(script):
    return HANG_TIMEOUT_SECONDS if script.startswith("#hang#") else ENDING_TIMEOUT_SECONDS
