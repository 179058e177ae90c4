"""Run only by test/test_harness_meta.py, through pytest itself (the name
keeps it out of the normal collection): boot tests as a careless author
would write them, each expecting a pass from an impostor kernel that does
something else. Every one but the control must fail, with the boot report
(serial log, QEMU's exit status, the tail of QEMU's log) in pytest's output.
"""

import pytest

from harness.impostor import impostor_timeout
from harness.outcome import Outcome

# Script for the impostor (test/direct_boot/impostor_kernel.asm): #action#text.
SCRIPTS = {
    "control_a_real_pass": "#exit=10#[BOOT] RayOS booting|[BOOT] RayOS ready",
    "panic": "#exit=11#[BOOT] RayOS booting|[PANIC] impostor panic (src/impostor.cpp:1)",
    "triple_fault": "#triple#[BOOT] RayOS booting",
    "hang": "#hang#[BOOT] RayOS booting",
    "wrong_exit_code": "#exit=12#[BOOT] RayOS booting|[BOOT] RayOS ready",
    "success_exit_without_ready": "#exit=10#[BOOT] RayOS booting",
    "ready_then_triple_fault": "#triple#[BOOT] RayOS ready",
    "ready_then_reset": "#reset#[BOOT] RayOS ready",
    "ready_then_panic_and_success_exit": "#exit=10#[BOOT] RayOS ready|[PANIC] impostor panic (src/impostor.cpp:2)",
}


@pytest.mark.parametrize("script", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_boot_passes(boot, direct_boot_binaries, script):
    result = boot(direct_kernel=direct_boot_binaries["impostor_kernel"], append=script,
                  timeout=impostor_timeout(script))
    assert result.outcome is Outcome.PASSED, result.reason
