"""pytest set-up for RayOS: where the build is, and a `boot` fixture whose
boots are attached to the report of any test that fails."""

import dataclasses
import os
from pathlib import Path

import pytest

from harness import firmware, ktap
from harness.kernel_test_run import KERNEL_TEST_CPUS, RUN_TIMEOUT_SECONDS, KernelTestRun, selection_word
from harness.kernel_tests import read_kernel_tests
from harness.host_tsc import measure_host_tsc_mhz
from harness.qemu import BootConfig, RunningBoot, boot as boot_once

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption("--build-dir", default=os.environ.get("RAYOS_BUILD_DIR", str(REPO / "build")),
                     help="Meson build folder holding rayos.elf and rayos.iso (default: build/)")
    parser.addoption("--record-boots", action="store_true",
                     help="record every boot that can be (one CPU, BIOS, the ISO) with QEMU's record/replay; "
                          "a failing test's report then says how to replay it (bash ci/boot.sh --replay ...)")
    parser.addoption("--kernel-suites", default="",
                     help="comma-separated kernel test suites to collect, explicit-only ones included "
                          "(default: every suite that `test` runs)")


def pytest_configure(config):
    """Each process's UEFI boots, once one of a machine type reached the
    kernel, start from the variable store it left (harness/firmware.py)."""
    firmware.reuse_warm_variables()


def built_for_coverage(config):
    """Whether the build under test is the kernel built for coverage
    (-Dkernel_coverage=true: it has the gcov runtime)."""
    elf = Path(config.getoption("--build-dir")) / "rayos.elf"
    if not elf.is_file():
        return False
    from harness.elf import KernelElf
    try:
        KernelElf(elf).symbol("__gcov_init")
    except KeyError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    """Items about one kind of kernel build leave the other kind's run
    (pytest reports them as deselected): `coverage_kernel` ones need the
    build for coverage, `uninstrumented` ones measure what its counters
    change (the image's size, the boot's time)."""
    instrumented = built_for_coverage(config)
    unfit = "uninstrumented" if instrumented else "coverage_kernel"
    deselected = [item for item in items if item.get_closest_marker(unfit)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker(unfit)]


def pytest_generate_tests(metafunc):
    """Each kernel test in the built ELF becomes one test_kernel item, named
    after its suite and test, so `-k` reaches it."""
    if "kernel_test" not in metafunc.fixturenames:
        return
    elf = Path(metafunc.config.getoption("--build-dir")) / "rayos.elf"
    if not elf.is_file():
        metafunc.parametrize("kernel_test", [pytest.param(None, id="rayos.elf-missing")])
        return
    suites = [name for name in metafunc.config.getoption("--kernel-suites").split(",") if name]
    tests = [test for test in read_kernel_tests(elf)
             if (test.suite in suites if suites else not test.explicit)]
    metafunc.parametrize("kernel_test", tests, ids=[test.id for test in tests])


@pytest.fixture(scope="session")
def kernel_test_run(request, iso, kernel_elf, tmp_path_factory):
    """One boot running every kernel test this session selected (after -k),
    parsed. With xdist, the items share one worker (xdist_group)."""
    selected = [item.callspec.params["kernel_test"] for item in request.session.items
                if hasattr(item, "callspec") and item.callspec.params.get("kernel_test") is not None]
    every_default = [test for test in read_kernel_tests(kernel_elf) if not test.explicit]
    word = selection_word(selected, every_default)
    # Four CPUs: the torture tests (heap, frames, locks) run on all at once.
    result = boot_once(BootConfig(cmdline=word, smp=KERNEL_TEST_CPUS, timeout=RUN_TIMEOUT_SECONDS), iso,
                       tmp_path_factory.mktemp("kernel-tests"))
    return KernelTestRun(result, ktap.parse(result.lines), selected)


@pytest.fixture(scope="session")
def host_tsc_mhz(tmp_path_factory):
    """The host's TSC rate, which a TCG guest's TSC follows (harness/host_tsc.py)."""
    return measure_host_tsc_mhz(tmp_path_factory.mktemp("host-tsc"))


@pytest.fixture(scope="session")
def build_dir(request):
    path = Path(request.config.getoption("--build-dir")).resolve()
    for artefact in ("rayos.elf", "rayos.iso", "rayos-release.elf", "rayos-release.iso"):
        if not (path / artefact).is_file():
            pytest.fail(f"{path / artefact} is missing: build first (bash ci/test.sh does)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def kernel_elf(build_dir):
    return build_dir / "rayos.elf"


@pytest.fixture(scope="session")
def iso(build_dir):
    """The test kernel's ISO: what the boot tests boot unless they ask for
    the release kernel (meson.build: the two kernels)."""
    return build_dir / "rayos.iso"


def require_marks(request, config):
    """A boot that needs OVMF or gdb belongs to a test marked so (pytest.ini),
    so that -m "not uefi" or -m "not gdb" leaves out every such boot."""
    needs = {"uefi": config.firmware == "uefi",
             "gdb": config.capture_boot_information or config.gdb_port is not None}
    missing = [name for name, needed in needs.items() if needed and request.node.get_closest_marker(name) is None]
    if missing:
        pytest.fail(f"{request.node.nodeid} boots with {' and '.join(missing)} but is not marked "
                    + " ".join(f"@pytest.mark.{name}" for name in missing), pytrace=False)


def recordable(config):
    """Whether QEMU can record this boot (harness/qemu.py: replay_arguments)."""
    return (config.record_replay is None and config.smp == 1 and config.firmware == "bios" and not config.direct
            and not config.deterministic_clock and "-icount" not in map(str, config.extra_args))


@pytest.fixture
def boot(request, iso, tmp_path):
    """boot(cmdline="exit", firmware="bios", ...) -> BootResult. Each call is
    a fresh QEMU; the results are kept for the failure report. iso=PATH
    boots another ISO (the release kernel's) instead of the test kernel's."""
    results = []
    request.node.rayos_boots = results

    def run(iso=iso, **options):
        config = BootConfig(**options)
        require_marks(request, config)
        workdir = tmp_path / f"boot{len(results)}"
        if request.config.getoption("--record-boots") and recordable(config):
            config = dataclasses.replace(config, record_replay="record", recording=str(workdir / "recording"))
        result = boot_once(config, iso, workdir)
        results.append(result)
        return result

    return run


@pytest.fixture(scope="session")
def direct_boot_binaries(build_dir):
    """The flat binaries QEMU boots directly (test/direct_boot/)."""
    folder = build_dir / "test" / "direct_boot"
    binaries = {name: folder / f"{name}.bin" for name in ("handoff_loader", "impostor_kernel")}
    for path in binaries.values():
        if not path.is_file():
            pytest.fail(f"{path} is missing: build first (bash ci/test.sh does)", pytrace=False)
    return binaries


def handoff_options(record, options, kernel_elf, direct_boot_binaries, tmp_path):
    """Boot options that enter RayOS through the hand-off loader with record."""
    path = tmp_path / f"handoff{len(list(tmp_path.glob('handoff*.bin')))}.bin"
    path.write_bytes(record)
    options.setdefault("memory", "128M")
    return dict(options, direct_kernel=direct_boot_binaries["handoff_loader"], modules=(kernel_elf, path))


@pytest.fixture
def handoff_boot(boot, kernel_elf, direct_boot_binaries, tmp_path):
    """handoff_boot(record, **options) -> BootResult: RayOS entered by the
    hand-off loader with a record from harness.multiboot2.handoff(), so with
    a Multiboot2 structure the test built, through the kernel's real entry."""
    def run(record, **options):
        return boot(**handoff_options(record, options, kernel_elf, direct_boot_binaries, tmp_path))

    return run


@pytest.fixture
def handoff_running_boot(running_boot, kernel_elf, direct_boot_binaries, tmp_path):
    """handoff_running_boot(record, **options) -> RunningBoot: as
    handoff_boot, for a kernel a test looks at while it runs (QMP)."""
    def start(record, **options):
        return running_boot(**handoff_options(record, options, kernel_elf, direct_boot_binaries, tmp_path))

    return start


@pytest.fixture
def running_boot(request, iso, tmp_path):
    """running_boot(**options) -> RunningBoot, for tests that talk to a live
    kernel; stopped at the end, its result kept for the failure report.
    iso=PATH boots another ISO, as boot() does."""
    started = request.node.__dict__.setdefault("rayos_running_boots", [])

    def start(iso=iso, **options):
        config = BootConfig(**options)
        require_marks(request, config)
        running = RunningBoot(config, iso, tmp_path / f"running{len(started)}")
        started.append(running)
        return running

    yield start
    for running in started:
        running.finish()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # A fixture's boot can fail the set-up (a GDB stub that never listens).
    if report.when in ("setup", "call") and report.failed:
        for index, result in enumerate(getattr(item, "rayos_boots", [])):
            report.sections.append((f"RayOS boot {index}", result.report()))
        for index, running in enumerate(getattr(item, "rayos_running_boots", [])):
            report.sections.append((f"RayOS running boot {index}", running.snapshot().report()))


# The two kernels of a build (meson.build: the test kernel the boot tests
# boot, and the release kernel ci/boot.sh boots).
KERNEL_NAMES = {"test-kernel": "rayos", "release-kernel": "rayos-release"}


@pytest.fixture(params=list(KERNEL_NAMES.values()), ids=list(KERNEL_NAMES))
def each_kernel(request, build_dir):
    """(ISO, ELF) of each kernel: a test that takes it runs once per kernel."""
    return build_dir / f"{request.param}.iso", build_dir / f"{request.param}.elf"
