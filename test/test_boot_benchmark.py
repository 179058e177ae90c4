"""The benchmark's boot part (ci/benchmark.py): the boot floor boots in both
GRUB set-ups it is measured in, and the tables compare RayOS with each floor.
Which set-up a floor ISO carries is read from the ISO itself (its
/boot/grub/grub.cfg against the source file) and from GRUB's own output on
COM1 (RayOS's grub.cfg puts GRUB's terminal there; the plain one does not);
the tables' figures come from times and TSCs the test made up itself."""

import re
import subprocess
import time
from pathlib import Path

import benchmark  # ci/benchmark.py (pytest.ini puts ci/ on the path)
import pytest
from harness.huge_pages import huge_page_facts, set_transparent_huge_pages
from harness.qemu import BootConfig, make_config_disk, qemu_command

FLOOR_LINE = re.compile(r"^\[BOOT\] floor ready, TSC 0x[0-9a-f]{16}$")
# GRUB's line as it boots RayOS's one menu entry, on the serial terminal.
GRUB_BOOTING_RAYOS = "Booting `RayOS'"
REPO = Path(__file__).resolve().parent.parent
GRUB_CONFIGS = {"floor": REPO / "iso/grub.cfg", "floor-plain": REPO / "test/bench/plain_grub.cfg"}


@pytest.fixture(scope="module")
def floor_isos(build_dir):
    """The two floor ISOs (default targets: ci/setup.sh builds them)."""
    isos = {name: build_dir / path for name, (path, _) in benchmark.FLOORS.items()}
    missing = [str(path) for path in isos.values() if not path.is_file()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: build first (bash ci/test.sh does)", pytrace=False)
    return isos


def test_each_floor_iso_carries_its_own_grub_set_up(floor_isos, tmp_path):
    assert set(floor_isos) == set(GRUB_CONFIGS)
    for name, iso in floor_isos.items():
        extracted = tmp_path / f"{name}.cfg"
        subprocess.run(["xorriso", "-osirrox", "on", "-indev", str(iso), "-extract", "/boot/grub/grub.cfg",
                        str(extracted)], check=True, capture_output=True)
        assert extracted.read_bytes() == GRUB_CONFIGS[name].read_bytes(), name
    # And the plain one is plain: a menu entry that boots the floor at once,
    # no module, terminal or disk of RayOS's set-up.
    commands = [line.strip() for line in GRUB_CONFIGS["floor-plain"].read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")]
    assert commands == ["set timeout=0", "set default=0", 'menuentry "boot floor" {', "multiboot2 /boot/rayos.elf",
                        "boot", "}"], commands


@pytest.mark.parametrize("firmware", ["bios", pytest.param("uefi", marks=[pytest.mark.uefi, pytest.mark.slow])])
def test_each_floor_boots_to_its_line_in_its_own_grub_set_up(floor_isos, tmp_path, firmware):
    logs = {}
    for name, iso in floor_isos.items():
        _, lines = benchmark.timed_boot(iso, firmware, benchmark.READY[name], folder=tmp_path / name)
        logs[name] = [line for line in lines if line.strip()]
        assert FLOOR_LINE.match(logs[name][-1]), (name, logs[name])
    # RayOS's set-up: GRUB's terminal on COM1 names RayOS's menu entry.
    assert any(GRUB_BOOTING_RAYOS in line for line in logs["floor"]), logs["floor"]
    # The plain one has another entry, and under BIOS no terminal on COM1:
    # only the floor's own line. (OVMF puts its console, and so GRUB's
    # output, on COM1 whatever grub.cfg says.)
    assert not any(GRUB_BOOTING_RAYOS in line for line in logs["floor-plain"]), logs["floor-plain"]
    if firmware == "bios":
        assert len(logs["floor-plain"]) == 1, logs["floor-plain"]


def floor_running(start, iso, workdir):
    """The floor booted to its line by start(command), QEMU left running
    (no exit device: the floor halts); returns the process."""
    config = BootConfig(cmdline="exit", exit_device=False)
    workdir.mkdir()
    process = start(qemu_command(config, iso, workdir, make_config_disk(workdir, config.cmdline)))
    deadline = time.monotonic() + 30
    while "[BOOT] floor ready" not in benchmark.serial_text(workdir / "serial.log"):
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            process.wait()
            raise AssertionError(f"the floor never printed its line (QEMU status {process.poll()})")
        time.sleep(0.01)
    return process


def start_with_huge_pages(command):
    """QEMU as a plain Popen starts it with the host's default: transparent
    huge pages on (the harness turns them off in this process before each
    boot it starts, so they are turned on again here first)."""
    set_transparent_huge_pages(True)
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def test_timed_boots_run_qemu_without_transparent_huge_pages(floor_isos, tmp_path):
    """harness/huge_pages.py says why. The benchmark's QEMU, booted to the
    floor's line: the host says huge pages are off for it and counts none in
    it. The same QEMU started with the host's default says they are on
    (whether it got any depends on the host's free memory, so that count is
    not asserted), so the check tells the two apart."""
    facts = {}
    for name, start in (("benchmark", benchmark.start_timed_qemu), ("default", start_with_huge_pages)):
        process = floor_running(start, floor_isos["floor"], tmp_path / name)
        try:
            facts[name] = huge_page_facts(process.pid)
        finally:
            process.kill()
            process.wait()
    assert facts["benchmark"] == (0, 0), facts
    assert facts["default"][0] == 1, facts


@pytest.mark.slow
def test_the_icount_figures_belong_to_the_boots_they_name(build_dir, floor_isos):
    """Three -icount boots (the two floors, RayOS): each floor's TSC is read
    from its own boot. The plain set-up runs fewer of GRUB's instructions
    before the floor's line than RayOS's (which loads modules, sets up a
    serial terminal and looks for the command-line disk), and RayOS's
    boot_entry comes after either floor's line (GRUB loads a larger image,
    and sets the framebuffer's mode)."""
    floors, entry, ready = benchmark.deterministic_boot_figures(build_dir, "bios")
    assert set(floors) == set(floor_isos) and None not in floors.values(), floors
    assert floors["floor-plain"] < floors["floor"] < entry < ready, (floors, entry, ready)


def table_rows(text, heading):
    section = text.split(heading, 1)[1].split("\n\n", 2)[1]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in section.splitlines()[2:]]


def test_the_boot_table_compares_rayos_with_each_floor(capsys):
    seconds = {("floor", "bios"): [0.400, 0.380, 0.420], ("floor-plain", "bios"): [0.350, 0.330, 0.370],
               ("rayos", "bios"): [0.460, 0.450, 0.500],
               ("floor", "uefi"): [], ("floor-plain", "uefi"): [], ("rayos", "uefi"): []}
    benchmark.print_boot_figures(seconds, {}, [], "")
    rows = table_rows(capsys.readouterr().out, "### Boot: QEMU start to the ready line")
    # Medians 400, 350 and 460 ms; fastest 380, 330 and 450.
    assert rows == [["BIOS", "RayOS's", "3 each", "400 ms (380)", "460 ms (450)", "60 ms (70)", "1.15"],
                    ["BIOS", "plain", "3 each", "350 ms (330)", "460 ms (450)", "110 ms (120)", "1.31"]]


def test_the_icount_table_compares_rayos_with_each_floor(capsys):
    deterministic = {"bios": ({"floor": 147_000_000, "floor-plain": 129_500_000}, 156_000_000, 174_000_000),
                     "uefi": ({"floor": 1_868_900_000, "floor-plain": None}, 1_874_400_000, 1_891_900_000)}
    benchmark.print_deterministic_boot_figures(deterministic)
    rows = table_rows(capsys.readouterr().out, "### Boot under -icount")
    assert rows == [["BIOS", "RayOS's", "147.0 ms", "156.0 ms", "174.0 ms", "27.0 ms", "50 ms"],
                    ["BIOS", "plain", "129.5 ms", "156.0 ms", "174.0 ms", "44.5 ms", "50 ms"],
                    ["UEFI", "RayOS's", "1868.9 ms", "1874.4 ms", "1891.9 ms", "23.0 ms", "100 ms"],
                    ["UEFI", "plain", "None", "1874400000", "1891900000", "(a boot printed no TSC)", ""]]
