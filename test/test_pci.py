"""PCI enumeration against QEMU's own view of the machine.

Each boot's [PCI] listing is compared, function by function, with what
QEMU's monitor says over QMP (harness/qemu_pci.py): `info pci` for the
functions, their IDs, subsystem, IRQ, BARs (kind, size, and the address
where QEMU maps it) and bridges (bus numbers, windows), query-pci for the
class numbers, and QEMU's own configuration space for the programming
interface, revision and capability lists (each capability's offset, ID and
the fields the kernel decodes, described from the bytes by the harness):
read through its ECAM region with `xp` on q35, through mechanism 1 with the
monitor's `o`/`i` on pc once the kernel idles. Class and vendor names are
checked against a table the harness holds, never against the kernel. The mechanism the kernel used is checked
against the machine: ECAM on q35, at the window `info mtree` shows, mapped
uncached and no-execute (`info tlb`); mechanism 1 on pc, which has no
MCFG, under the boot word noecam, and when the MCFG is malformed (tables
built by the test, given through the hand-off loader): then a clear
[ACPI] or [PCI] warning, and the list still matches QEMU's."""

import re
from dataclasses import dataclass

import pytest

from harness import acpi_tables as acpi
from harness import ktap
from harness.kernel_tests import read_kernel_tests
from harness.qemu_pci import (ROM_SLOT, Bar, buses_reached, capability_offsets, describe_capability, differences,
                              ecam_region, parse_info_pci, parse_kernel_listing, qemu_functions,
                              without_extended_capabilities)
from harness.qemu_tlb import DEVICE_WINDOW_BASE, DEVICE_WINDOW_END, PAGE, read_tlb
from harness.qmp import QmpClient

MIB = 1 << 20
READY = "[BOOT] RayOS ready"
# After this line the kernel only idles: it no longer touches ports
# 0xcf8/0xcfc, so the monitor may read configuration space through them.
IDLE = "[BOOT] halted"
NO_MCFG = "no MCFG table"

# A NIC on the root bus, and a PCI-to-PCI bridge with an e1000 and a
# virtio-net (an I/O BAR, a 32-bit and a 64-bit prefetchable one) behind it.
BRIDGED = ("-device", "e1000,id=extra", "-device", "pci-bridge,id=br1,chassis_nr=1",
           "-device", "e1000,bus=br1,addr=3,id=behind", "-device", "virtio-net-pci,bus=br1,addr=5,id=virtio")
# q35 adds a PCI Express root port with a modern virtio-net behind it.
PCIE_BRIDGED = BRIDGED + ("-device", "pcie-root-port,id=rp1,chassis=2", "-device", "virtio-net-pci,bus=rp1,id=rpnic")


@dataclass
class Look:
    """One boot seen from both sides once it is ready."""
    kernel: list          # the kernel's functions (harness.qemu_pci.Function)
    summary: object       # its summary line (harness.qemu_pci.Summary)
    qemu: list            # QEMU's functions
    ecam: tuple | None    # QEMU's ECAM region (start, end), or None
    pages: list           # `info tlb`
    lines: list           # the serial log


def look(kernel):
    """Asked once the kernel idles (a boot with no console, tests or exit
    word), so QEMU's side may be read through mechanism 1 without racing
    the kernel's own use of 0xcf8."""
    kernel.wait_for_line(READY, timeout=120)
    kernel.wait_for_line(IDLE, timeout=30)
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        ecam = ecam_region(qmp.execute("human-monitor-command", **{"command-line": "info mtree"}))
        qemu = qemu_functions(qmp, ecam[0] if ecam else None)
        pages = read_tlb(qmp)
    finally:
        qmp.close()
    lines = kernel.lines()
    functions, summary = parse_kernel_listing(lines)
    assert summary is not None, [line for line in lines if line.startswith("[PCI]")]
    return Look(functions, summary, qemu, ecam, pages, lines)


def assert_matches_qemu(seen):
    found = differences(seen.kernel, seen.qemu)
    assert not found, "\n".join(found)
    assert seen.summary.functions == len(seen.qemu)
    assert seen.summary.buses == len(buses_reached(seen.qemu))


def assert_ecam_used(seen):
    """ECAM where QEMU's region is, every bus it reached mapped uncached and
    no-execute, and nothing else of the region."""
    assert seen.ecam is not None, "QEMU shows no ECAM region"
    start, end = seen.ecam
    summary = seen.summary
    assert summary.mechanism == "ecam", summary
    assert summary.ecam_base == start
    assert summary.bus_range == (0, (end + 1 - start) // MIB - 1)
    ecam_pages = [page for page in seen.pages if start <= page.physical <= end]
    assert ecam_pages, "no page maps the ECAM region"
    assert all(page.size == PAGE and page.writable and page.no_execute and page.cache_disabled
               and page.write_through for page in ecam_pages), [page for page in ecam_pages][:4]
    assert all(DEVICE_WINDOW_BASE <= page.address < DEVICE_WINDOW_END for page in ecam_pages)
    assert all(page.address - summary.window == page.physical - start for page in ecam_pages)
    mapped_buses = {(page.physical - start) // MIB for page in ecam_pages}
    assert mapped_buses == buses_reached(seen.qemu)
    assert len(ecam_pages) == len(mapped_buses) * MIB // PAGE
    assert summary.mapped_mib == len(mapped_buses)


def assert_mechanism_1(seen, reason):
    assert seen.summary.mechanism == "ports", seen.summary
    assert seen.summary.reason == reason
    if seen.ecam is not None:
        start, end = seen.ecam
        assert not [page for page in seen.pages if start <= page.physical <= end], "ECAM mapped all the same"
        without_extended_capabilities(seen.qemu)   # mechanism 1 cannot reach them


QEMU_INFO_PCI = """\
  Bus  0, device   3, function 0:
    Ethernet controller: PCI device 8086:100e
      PCI subsystem 1af4:1100
      IRQ 11, pin A
      BAR0: 32 bit memory at 0xfea40000 [0xfea5ffff].
      BAR1: I/O at 0xd000 [0xd03f].
      BAR6: 32 bit memory at 0xffffffffffffffff [0x0003fffe].
      id ""
  Bus  0, device   4, function 0:
    PCI bridge: PCI device 1b36:0001
      IRQ 11, pin A
      BUS 0.
      secondary bus 1.
      subordinate bus 1.
      IO range [0xf000, 0x0fff]
      memory range [0xfe800000, 0xfe9fffff]
      prefetchable memory range [0xfe000000, 0xfe1fffff]
      BAR0: 64 bit memory at 0xfea71000 [0xfea710ff].
      id "br1"
  Bus  1, device   5, function 0:
    Ethernet controller: PCI device 1af4:1000
      PCI subsystem 1af4:0001
      IRQ 10, pin A
      BAR4: 64 bit prefetchable memory at 0xfe000000 [0xfe003fff].
      id ""
"""


def test_the_info_pci_reader_on_text_qemu_printed():
    """The reader on QEMU 7.2's own text (captured once): an unmapped ROM's
    size from its bracket, a closed I/O window, a bridge's numbers."""
    nic, bridge, virtio = parse_info_pci(QEMU_INFO_PCI)
    assert nic.address == (0, 3, 0) and (nic.vendor, nic.device_id) == (0x8086, 0x100E)
    assert nic.subsystem == (0x1AF4, 0x1100) and nic.irq == (11, "A")
    assert nic.bars == {0: Bar(0, "mem32", False, 0xFEA40000, 0x20000), 1: Bar(1, "io", False, 0xD000, 0x40),
                        ROM_SLOT: Bar(ROM_SLOT, "mem32", False, None, 0x40000)}
    assert bridge.qdev_id == "br1" and bridge.subsystem is None
    assert (bridge.bridge.primary, bridge.bridge.secondary, bridge.bridge.subordinate) == (0, 1, 1)
    assert not bridge.bridge.io.open and bridge.bridge.memory.open
    assert bridge.bridge.prefetchable.limit == 0xFE1FFFFF
    assert virtio.bars == {4: Bar(4, "mem64", True, 0xFE000000, 0x4000)}
    assert buses_reached([nic, bridge, virtio]) == {0, 1}


def capability_space(*capabilities):
    """256 bytes of configuration space holding, from 0x40 on and 0x10
    apart, each (ID, control word, dword at +4, dword at +8) chained in
    order (PCI 3.0 6.7: status bit 4, the pointer at 0x34)."""
    space = bytearray(256)
    space[0x06], space[0x34] = 0x10, 0x40
    for index, (capability_id, control, first, second) in enumerate(capabilities):
        offset = 0x40 + 0x10 * index
        space[offset] = capability_id
        space[offset + 1] = offset + 0x10 if index + 1 < len(capabilities) else 0
        space[offset + 2:offset + 12] = (control.to_bytes(2, "little") + first.to_bytes(4, "little")
                                         + second.to_bytes(4, "little"))
    return bytes(space)


def test_capabilities_are_described_from_the_bytes_as_the_kernel_lists_them():
    """The harness's decoder on bytes built here to the spec, in the states
    QEMU's devices never show at boot (MSI and MSI-X on, several vectors,
    BAR indicators other than 0), against lines written in the kernel's
    words (README, PCI): each field read from its own bits."""
    space = capability_space(
        (0x05, 0x0085, 0, 0),                        # MSI: enabled, 2^2 vectors capable, 64-bit
        (0x05, 0x0100, 0, 0),                        # MSI: off, 1 vector, 32-bit, per-vector masking
        (0x11, 0x8007, 0x2000 | 2, 0x3000 | 4),      # MSI-X: enabled, 8 entries, table BAR2, PBA BAR4
        (0x10, 0x0042, 0, 0),                        # PCI Express v2, root port
        (0x01, 0x0003, 0, 0),                        # power management v3
        (0x09, 0x0014, 0, 0))                        # vendor-specific, 20 bytes
    conventional, extended = capability_offsets(space)
    described = [(offset, describe_capability(space, offset)) for offset in conventional]
    kernel, _ = parse_kernel_listing([
        "[PCI] 00:03.0 8086:100e class 02.00.00 (Ethernet) Intel, rev 03, subsystem 1af4:1100, IRQ 11 pin A",
        "[PCI]   capabilities: MSI (64-bit, 4 vectors, on) at 0x40, MSI (32-bit, per-vector masking, 1 vector, "
        "off) at 0x50, MSI-X (8 vectors, table BAR2+0x2000, PBA BAR4+0x3000, on) at 0x60, PCI Express v2 root "
        "port at 0x70, power management v3 at 0x80, vendor-specific (20 bytes) at 0x90"])
    assert extended == []
    assert kernel[0].capabilities == described
    assert kernel[0].vendor_name == "Intel" and kernel[0].class_name == "Ethernet"


@pytest.mark.parametrize("machine, firmware", [
    ("pc", "bios"), ("q35", "bios"),
    pytest.param("q35", "uefi", marks=[pytest.mark.uefi, pytest.mark.slow])])
def test_every_function_is_listed_as_qemu_sees_it(running_boot, machine, firmware):
    kernel = running_boot(cmdline="", machine=machine, firmware=firmware, qmp=True, timeout=120)
    seen = look(kernel)
    if machine == "q35":
        assert_ecam_used(seen)
        assert [line for line in seen.lines if line.startswith("[ACPI] MCFG: ")] == [
            f"[ACPI] MCFG: 1 ECAM window (segment 0 buses 00-ff at {seen.ecam[0]:#x})"]
    else:
        assert seen.ecam is None, "QEMU's pc grew an ECAM region"
        assert "[ACPI] no MCFG table: no ECAM" in seen.lines
        assert_mechanism_1(seen, NO_MCFG)
    assert_matches_qemu(seen)
    assert not [line for line in seen.lines if line.startswith("[PCI]") and "warning" in line]


@pytest.mark.parametrize("machine, devices", [("pc", BRIDGED), ("q35", PCIE_BRIDGED)], ids=["pc", "q35"])
def test_devices_added_on_the_command_line_are_where_qemu_put_them(running_boot, machine, devices):
    kernel = running_boot(cmdline="", machine=machine, qmp=True, extra_args=devices, timeout=120)
    seen = look(kernel)
    assert_matches_qemu(seen)
    if machine == "q35":
        assert_ecam_used(seen)
    by_id = {function.qdev_id: function for function in seen.qemu if function.qdev_id}
    assert set(by_id) >= {"extra", "br1", "behind", "virtio"}, by_id
    bridge_bus = by_id["br1"].bridge.secondary
    assert bridge_bus != 0
    assert by_id["behind"].address == (bridge_bus, 3, 0) and by_id["virtio"].address == (bridge_bus, 5, 0)
    listed = {function.address for function in seen.kernel}
    assert {function.address for function in by_id.values()} <= listed
    assert any(bar.space == "mem64" and bar.prefetchable for bar in by_id["virtio"].bars.values())


def test_noecam_reaches_the_same_functions_through_mechanism_1(running_boot):
    kernel = running_boot(cmdline="noecam", machine="q35", qmp=True, extra_args=PCIE_BRIDGED, timeout=120)
    seen = look(kernel)
    assert_mechanism_1(seen, "boot word noecam")
    assert_matches_qemu(seen)


@pytest.mark.parametrize("firmware", ["bios", pytest.param("uefi", marks=[pytest.mark.uefi, pytest.mark.slow])])
def test_the_kernel_tests_of_pci_pass_on_q35_with_ecam(boot, kernel_elf, firmware):
    """pci (sizing again changes nothing) and pci_ecam (ECAM and mechanism 1
    read the same headers), explicit, on the machine that has both."""
    result = boot(cmdline="test=pci,pci_ecam", machine="q35", firmware=firmware, extra_args=PCIE_BRIDGED,
                  timeout=120)
    run = ktap.parse(result.lines)
    assert not run.missing and not run.errors, (run.missing, run.errors)
    expected = {test.id for test in read_kernel_tests(kernel_elf) if test.suite in ("pci", "pci_ecam")}
    assert len(expected) >= 2
    assert set(run.results) == expected
    for name, outcome in run.results.items():
        assert outcome.ok and not outcome.directive, (name, outcome)
    assert result.exit_status == 33, result.reason


@dataclass
class Refused:
    """How the kernel must refuse the MCFG: the [ACPI] warning's field, or
    a [PCI] warning that ECAM read something else than mechanism 1 at
    00:00.0 (the table is sound, the window wrong: what it reads there is
    QEMU's business, what mechanism 1 reads is the host bridge `info pci`
    shows); then the reason the summary gives for mechanism 1."""
    reason: str
    acpi_field: str | None = None
    disagreeing_window: int | None = None


def mcfg_at(*entries, **header):
    return acpi.qemu_like_tables(extra=[("MCFG", acpi.mcfg(list(entries), **header))])


QEMU_WINDOW = (acpi.Q35_ECAM, 0, 0, 255)
REJECTED = "the MCFG was rejected"

MALFORMED_MCFGS = {
    "bad_checksum": (mcfg_at(QEMU_WINDOW, checksum_delta=1), Refused(REJECTED, acpi_field="checksum")),
    "no_allocation_structure": (mcfg_at(), Refused(REJECTED, acpi_field="length")),
    "cut_allocation_structure": (
        acpi.qemu_like_tables(extra=[("MCFG", acpi.sdt("MCFG", bytes(8) + bytes(12)))]),
        Refused(REJECTED, acpi_field="length")),
    "base_not_aligned": (mcfg_at((acpi.Q35_ECAM + 0x80000, 0, 0, 255)), Refused(REJECTED, acpi_field="Base Address")),
    "null_base": (mcfg_at((0, 0, 0, 255)), Refused(REJECTED, acpi_field="Base Address")),
    "end_bus_below_start": (mcfg_at((acpi.Q35_ECAM, 0, 9, 8)), Refused(REJECTED, acpi_field="End Bus Number")),
    "window_over_ram": (mcfg_at((32 * MIB, 0, 0, 15)), Refused(REJECTED, acpi_field="Base Address")),
    "two_entries_one_bus": (mcfg_at(QEMU_WINDOW, (0xE0000000, 0, 255, 255)),
                            Refused(REJECTED, acpi_field="Start Bus Number")),
    # Sound tables that lie about the machine.
    "window_where_nothing_answers": (
        mcfg_at((0xE0000000, 0, 0, 255)),
        Refused("ECAM disagreed with mechanism 1", disagreeing_window=0xE0000000)),
    "no_window_for_segment_0": (mcfg_at((acpi.Q35_ECAM, 1, 0, 255)),
                                Refused("the MCFG has no window for segment 0")),
    # QEMU's TCG CPUs have 40 physical address bits: 2^44 is out of reach.
    "window_past_the_cpus_addresses": (mcfg_at((1 << 44, 0, 0, 255)),
                                       Refused("its window is past this CPU's physical addresses")),
    "window_without_the_root_bus": (mcfg_at((acpi.Q35_ECAM, 0, 1, 255)),
                                    Refused("segment 0's window does not start at bus 0, the root bus")),
}


@pytest.mark.parametrize("firmware_tables, refused", MALFORMED_MCFGS.values(), ids=MALFORMED_MCFGS.keys())
def test_a_malformed_mcfg_is_named_and_pci_falls_back_to_mechanism_1(handoff_running_boot, firmware_tables,
                                                                     refused):
    kernel = handoff_running_boot(acpi.handoff_record(firmware_tables, cmdline=""), machine="q35", qmp=True,
                                  timeout=120)
    seen = look(kernel)
    if refused.acpi_field is not None:
        address = firmware_tables.addresses()["MCFG"]
        warnings = [line for line in seen.lines if line.startswith("[ACPI] warning:")]
        assert any(line.startswith(f"[ACPI] warning: MCFG rejected at {address:#x}: field {refused.acpi_field} ")
                   for line in warnings), warnings
        assert "[ACPI] no ECAM: the MCFG was rejected" in seen.lines
    if refused.disagreeing_window is not None:
        host = next(function for function in seen.qemu if function.address == (0, 0, 0))
        assert any(re.fullmatch(rf"\[PCI\] warning: ECAM at {refused.disagreeing_window:#x} reads [0-9a-f]{{4}}:"
                                rf"[0-9a-f]{{4}} at 00:00\.0 where mechanism 1 reads {host.vendor:04x}:"
                                rf"{host.device_id:04x}: not used", line) for line in seen.lines), \
            [line for line in seen.lines if line.startswith("[PCI]")]
    assert_mechanism_1(seen, refused.reason)
    assert_matches_qemu(seen)


def test_an_mcfg_the_test_built_is_the_one_used(handoff_running_boot):
    """The other side of the malformed ones: the same boot path with a good
    MCFG (q35's window, buses 0-127 only) uses ECAM as the table says."""
    tables = mcfg_at((acpi.Q35_ECAM, 0, 0, 127))
    kernel = handoff_running_boot(acpi.handoff_record(tables, cmdline=""), machine="q35", qmp=True, timeout=120)
    seen = look(kernel)
    assert seen.summary.mechanism == "ecam" and seen.summary.ecam_base == seen.ecam[0] == acpi.Q35_ECAM
    assert seen.summary.bus_range == (0, 127)
    assert f"[ACPI] MCFG: 1 ECAM window (segment 0 buses 00-7f at {acpi.Q35_ECAM:#x})" in seen.lines
    assert_matches_qemu(seen)
