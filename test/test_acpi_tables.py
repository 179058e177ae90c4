"""What the kernel reads from the MADT, the HPET table and the FADT's reset
register, and what it does with tables that lie.

Real QEMU first: the [ACPI] MADT line against QEMU's own view of the
machine (QMP: each CPU's apic-id property, `info pic` for the I/O APIC's ID,
`info mtree` for its window). Then tables this test builds
(harness/acpi_tables.py), handed to the kernel through the real boot path:
the hand-off loader enters RayOS with a Multiboot2 structure whose ACPI 2.0
RSDP tag points at them, in memory the map calls ACPI-reclaimable. Each
malformed table gets its expected [ACPI] warning (table and field) and a
defined end: the boot goes on, with one CPU and no I/O APIC when the MADT is
the table refused, and exits through the exit boot word."""

import re
from dataclasses import dataclass

import pytest

from harness import acpi_tables as acpi
from harness import multiboot2 as mb2
from harness.outcome import Outcome
from harness.qmp import QmpClient

MIB = mb2.MIB
TABLES = acpi.HANDOFF_TABLES    # the tables follow the structure in the hand-off blob

ONE_CPU = "[ACPI] no usable MADT: one CPU, no I/O APIC"
APIC_REJECTED = "[APIC] MADT rejected against the I/O APICs: 8259 PICs and PIT, one CPU"


def plural(count, noun):
    return f"{count} {noun}" + ("" if count == 1 else "s")


def madt_line(result):
    lines = result.lines_with("[ACPI] MADT: ")
    assert len(lines) == 1, result.lines_with("[ACPI]")
    return lines[0]


@pytest.mark.parametrize("machine, cpus", [("pc", 1), ("pc", 4), ("q35", 1), ("q35", 4)])
def test_the_madt_says_what_qemu_built(running_boot, machine, cpus):
    kernel = running_boot(cmdline="", machine=machine, smp=cpus, qmp=True, timeout=60)
    kernel.wait_for_line("[BOOT] RayOS ready", timeout=60)
    qmp = QmpClient(kernel.workdir / "qmp.sock")
    try:
        apic_ids = [qmp.execute("qom-get", path=cpu["qom-path"], property="apic-id")
                    for cpu in qmp.execute("query-cpus-fast")]
        pic = qmp.execute("human-monitor-command", **{"command-line": "info pic"})
        tree = qmp.execute("human-monitor-command", **{"command-line": "info mtree"})
    finally:
        qmp.close()
    io_apic_ids = [int(found, 16) for found in re.findall(r"ioapic\d*: ver=0x[0-9a-f]+ id=(0x[0-9a-f]+)", pic)]
    windows = sorted({int(start, 16) for start in re.findall(r"([0-9a-f]+)-[0-9a-f]+ \(prio \d+, i/o\): ioapic\s*$",
                                                             tree, re.MULTILINE)})
    assert len(apic_ids) == cpus and len(io_apic_ids) == 1 and len(windows) == 1, (apic_ids, pic, windows)
    line = next(line for line in kernel.lines() if line.startswith("[ACPI] MADT: "))
    ids = " ".join(str(apic_id) for apic_id in sorted(apic_ids))
    assert line.startswith(f"[ACPI] MADT: {plural(cpus, 'CPU')} ({cpus} enabled, APIC IDs {ids}), 1 I/O APIC "
                           f"(ID {io_apic_ids[0]} at {windows[0]:#x}, GSI 0-), "), line
    # QEMU's boards wire the PIT's ISA IRQ 0 to the I/O APIC's pin 2 and say so
    # (conforming: ISA's edge, active high, which the line leaves unsaid).
    assert re.search(r" overrides? \(IRQ 0 -> GSI 2[,)]", line), line
    assert line.endswith(", local APIC at 0xfee00000"), line
    assert ONE_CPU not in kernel.lines()
    hpet = [int(start, 16) for start in re.findall(r"([0-9a-f]+)-[0-9a-f]+ \(prio \d+, i/o\): hpet\s*$", tree,
                                                   re.MULTILINE)]
    assert hpet, "QEMU shows no HPET"
    assert any(line.startswith(f"[ACPI] HPET at {hpet[0]:#x}: ") for line in kernel.lines()), kernel.lines()


handoff_with = acpi.handoff_record
good_tables = acpi.qemu_like_tables


@dataclass
class Warned:
    """An [ACPI] warning for this table and field (at the table's address),
    then these lines; the boot still ends through the exit boot word."""
    table: str
    field: str
    then: tuple = (ONE_CPU,)
    reason: str = ""             # the reason's start, where the field alone is ambiguous


def madt_with(*entries, **fields):
    return good_tables(madt=acpi.madt(list(entries), **fields))


BASE_ENTRIES = acpi.qemu_like_madt_entries(1)
CPU0, IO_APIC, OVERRIDES = BASE_ENTRIES[0], BASE_ENTRIES[1], BASE_ENTRIES[2:]

MALFORMED = {
    # Structure: the header, the checksum, entries cut short or running past the end.
    "madt_bad_checksum": (good_tables(madt=acpi.madt(BASE_ENTRIES, checksum_delta=1)),
                          Warned("APIC", "checksum")),
    "madt_length_over_1_mib": (good_tables(madt=acpi.madt(BASE_ENTRIES, length=2 * MIB)),
                               Warned("APIC", "length")),
    "madt_shorter_than_its_header": (good_tables(madt=acpi.sdt("APIC", b"\0\0\xe0\xfe")),
                                     Warned("APIC", "length")),
    "madt_entry_of_length_0": (madt_with(CPU0, bytes([1, 0]) + IO_APIC[2:]), Warned("APIC", "entry Length")),
    "madt_entry_of_length_1": (madt_with(CPU0, bytes([0x7F, 1])), Warned("APIC", "entry Length")),
    "madt_entry_past_the_end": (madt_with(CPU0, IO_APIC[:1] + bytes([40]) + IO_APIC[2:]),
                                Warned("APIC", "entry Length")),
    "madt_io_apic_entry_cut_short": (madt_with(CPU0, acpi.io_apic(0, acpi.IO_APIC, 0, length=10)),
                                     Warned("APIC", "I/O APIC Length")),
    "madt_local_apic_entry_cut_short": (madt_with(acpi.local_apic(0, 0, length=6), IO_APIC),
                                        Warned("APIC", "Processor Local APIC Length")),
    "madt_dangling_byte": (madt_with(*BASE_ENTRIES, b"\0"), Warned("APIC", "entry Type")),
    "madt_257_processors": (madt_with(*[acpi.local_x2apic(i, i) for i in range(257)], IO_APIC),
                            Warned("APIC", "Processor Local APIC", reason="more entries")),
    "madt_two_address_overrides": (madt_with(*BASE_ENTRIES, acpi.local_apic_address_override(acpi.LOCAL_APIC),
                                             acpi.local_apic_address_override(acpi.LOCAL_APIC)),
                                   Warned("APIC", "Local APIC Address Override")),
    # Meaning: CPUs, APIC IDs, windows over RAM, overrides, NMIs.
    "madt_zero_cpus": (madt_with(IO_APIC, *OVERRIDES), Warned("APIC", "Processor Local APIC Flags")),
    "madt_only_disabled_cpus": (madt_with(acpi.local_apic(0, 0, flags=0), acpi.local_apic(1, 1, flags=2), IO_APIC),
                                Warned("APIC", "Processor Local APIC Flags")),
    "madt_duplicate_apic_ids": (madt_with(CPU0, acpi.local_apic(1, 0), IO_APIC), Warned("APIC", "APIC ID")),
    "madt_duplicate_x2apic_ids": (madt_with(CPU0, acpi.local_x2apic(0, 1), IO_APIC), Warned("APIC", "X2APIC ID")),
    "madt_io_apic_over_ram": (madt_with(CPU0, acpi.io_apic(0, 16 * MIB, 0)), Warned("APIC", "I/O APIC Address")),
    "madt_io_apic_at_null": (madt_with(CPU0, acpi.io_apic(0, 0, 0)), Warned("APIC", "I/O APIC Address")),
    "madt_two_io_apics_one_window": (madt_with(*BASE_ENTRIES, acpi.io_apic(1, acpi.IO_APIC + 0x400, 24)),
                                     Warned("APIC", "I/O APIC Address")),
    "madt_two_io_apics_one_id": (madt_with(*BASE_ENTRIES, acpi.io_apic(0, acpi.IO_APIC + 0x10000, 24)),
                                 Warned("APIC", "I/O APIC ID")),
    "madt_local_apic_over_ram": (madt_with(*BASE_ENTRIES, local_apic_address=32 * MIB),
                                 Warned("APIC", "Local Interrupt Controller Address")),
    "madt_local_apic_override_over_ram": (madt_with(*BASE_ENTRIES, acpi.local_apic_address_override(48 * MIB)),
                                          Warned("APIC", "Local APIC Address Override")),
    "madt_override_for_bus_1": (madt_with(*BASE_ENTRIES, acpi.interrupt_override(4, 4, bus=1)),
                                Warned("APIC", "Interrupt Source Override Bus")),
    "madt_override_reserved_polarity": (madt_with(*BASE_ENTRIES, acpi.interrupt_override(4, 4, flags=0x2)),
                                        Warned("APIC", "Interrupt Source Override Flags")),
    "madt_override_reserved_trigger": (madt_with(*BASE_ENTRIES, acpi.interrupt_override(4, 4, flags=0x8)),
                                       Warned("APIC", "Interrupt Source Override Flags")),
    "madt_nmi_source_reserved_trigger": (madt_with(*BASE_ENTRIES, acpi.nmi_source(20, flags=0x8)),
                                         Warned("APIC", "NMI Source Flags")),
    "madt_lint_2": (madt_with(*BASE_ENTRIES, acpi.local_apic_nmi(lint=2)), Warned("APIC", "Local APIC LINT#")),
    # Against the I/O APICs' sizes, known once their version registers are
    # read (QEMU's has 24 pins): refused then, before any IRQ is claimed,
    # and the kernel falls back to the 8259s and the PIT.
    "madt_override_for_a_gsi_no_io_apic_serves": (
        madt_with(*BASE_ENTRIES, acpi.interrupt_override(4, 40)),
        Warned("APIC", "Interrupt Source Override Global System Interrupt", (ONE_CPU, APIC_REJECTED))),
    "madt_two_io_apics_serve_the_same_gsis": (
        madt_with(*BASE_ENTRIES, acpi.io_apic(1, acpi.IO_APIC + 0x10000, 8)),
        Warned("APIC", "Global System Interrupt Base", (ONE_CPU, APIC_REJECTED))),
    # The other tables: each refused alone, the MADT still read.
    "hpet_in_io_space": (good_tables(hpet=acpi.hpet(space=1)),
                         Warned("HPET", "BASE_ADDRESS", ("[ACPI] no HPET: its table was rejected",))),
    "hpet_too_short": (good_tables(hpet=acpi.sdt("HPET", bytes(12))),
                       Warned("HPET", "length", ("[ACPI] no HPET: its table was rejected",))),
    "fadt_null_reset_register": (good_tables(fadt=acpi.fadt(reset_address=0)),
                                 Warned("FACP", "RESET_REG", ("[ACPI] no ACPI PM timer: the FADT was rejected",))),
    "xsdt_bad_checksum": (acpi.Firmware(TABLES, good_tables().tables, xsdt_header={"checksum_delta": 1}),
                          Warned("XSDT", "checksum")),
}


@pytest.mark.parametrize("firmware, expected", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_tables_are_refused_by_name(handoff_boot, firmware, expected):
    result = handoff_boot(handoff_with(firmware), timeout=30)
    assert result.lines_with("[LOADER] entering the kernel"), "the loader did not hand over"
    assert result.outcome is Outcome.PASSED, result.reason
    if expected.table == "XSDT":
        address = firmware.xsdt_address()
    else:
        address = firmware.addresses()[expected.table]
    warnings = result.lines_with("[ACPI] warning:")
    assert any(line.startswith(f"[ACPI] warning: {expected.table} rejected at {address:#x}: field "
                               f"{expected.field} {expected.reason}") for line in warnings), warnings
    for line in expected.then:
        assert line in result.lines, result.lines_with("[ACPI]")
    if expected.table != "APIC" and expected.table != "XSDT":
        assert ONE_CPU not in result.lines
        assert madt_line(result).startswith("[ACPI] MADT: 1 CPU (1 enabled, APIC IDs 0), ")


def test_tables_the_test_built_are_read_field_by_field(handoff_boot):
    """Two CPUs (one as x2APIC), an online-capable one not enabled, the local
    APIC address override, a second I/O APIC, overrides with their modes,
    an HPET and a memory-space reset register: each printed as built."""
    entries = [acpi.local_apic(0, 0), acpi.local_x2apic(1, 1), acpi.local_apic(2, 5, flags=2),
               acpi.io_apic(0, acpi.IO_APIC, 0), acpi.io_apic(2, acpi.IO_APIC + 0x10000, 24),
               acpi.interrupt_override(0, 2), acpi.interrupt_override(9, 9, flags=0xD),
               acpi.interrupt_override(14, 24, flags=0xF), acpi.nmi_source(40, flags=0x5),
               acpi.local_apic_nmi(), acpi.local_apic_address_override(0xFEE00000)]
    firmware = good_tables(madt=acpi.madt(entries, local_apic_address=0xFEE10000),
                           fadt=acpi.fadt(reset_space=0, reset_address=0xFED00800, reset_value=0xA5),
                           hpet=acpi.hpet(address=0xFED00000, block_id=0x10DE1F02, number=3, minimum_tick=200))
    result = handoff_boot(handoff_with(firmware), timeout=30, smp=2)
    assert result.outcome is Outcome.PASSED, result.reason
    assert not result.lines_with("[ACPI] warning:"), result.lines_with("[ACPI]")
    assert madt_line(result) == (
        "[ACPI] MADT: 3 CPUs (2 enabled, APIC IDs 0 1), 2 I/O APICs (ID 0 at 0xfec00000, GSI 0-; "
        "ID 2 at 0xfec10000, GSI 24-), 3 overrides (IRQ 0 -> GSI 2, IRQ 9 -> GSI 9 active high level, "
        "IRQ 14 -> GSI 24 active low level), local APIC at 0xfee00000 (override)")
    placed = firmware.addresses()
    for name in ("APIC", "FACP", "HPET"):
        assert any(line.startswith(f"[ACPI]   {name} at {placed[name]:#x}, ") and line.endswith(", OEM 'RAYOS '")
                   for line in result.lines), result.lines_with("[ACPI]")
    assert ("[ACPI] HPET at 0xfed00000: 32 comparators, 32-bit counter, not legacy-replacement capable, "
            "minimum tick 200, HPET number 3") in result.lines, result.lines_with("[ACPI]")
    assert "[ACPI] reset register: write 0xa5 to memory 0xfed00800" in result.lines, result.lines_with("[ACPI]")


def test_cpus_the_madt_lists_but_that_cannot_be_started_are_named_and_left_out(handoff_boot):
    """The MADT (built here) lists, besides the boot CPU QEMU has (-smp 1):
    APIC ID 1, enabled but absent, so no CPU answers its INIT-SIPI-SIPI;
    and APIC ID 0xFF, which in xAPIC mode is the broadcast ID, so an INIT
    "to" it would reset every CPU, the boot CPU included. Each is named in
    a warning and left out; the boot goes on with one CPU of the three."""
    entries = [CPU0, acpi.local_apic(1, 1), acpi.local_apic(2, 0xFF), IO_APIC, *OVERRIDES]
    result = handoff_boot(handoff_with(madt_with(*entries)), timeout=30)
    assert result.lines_with("[LOADER] entering the kernel"), "the loader did not hand over"
    assert result.outcome is Outcome.PASSED, result.reason
    assert madt_line(result).startswith("[ACPI] MADT: 3 CPUs (3 enabled, APIC IDs 0 1 255), ")
    assert ("[SMP] warning: CPU with APIC ID 0xff left out: in xAPIC mode that ID is the broadcast ID"
            in result.lines), result.lines_with("[SMP]")
    assert ("[SMP] warning: CPU with APIC ID 1 did not answer INIT-SIPI-SIPI in 1000 ms; left out"
            in result.lines), result.lines_with("[SMP]")
    smp = result.lines_with("[SMP] ")[-1]
    assert smp.startswith("[SMP] 1 of 3 CPUs online (APIC IDs 0), bring-up "), smp
