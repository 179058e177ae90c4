"""The forensics parsers on QEMU 7.2's own text, captured once (test/data/):
`info registers -a` of a two-CPU boot stopped in hang-spinning, and the
`-d int,cpu_reset` log of the impostor kernel's triple fault. No boot: the
expected values are read off the captures by eye and written here."""

from pathlib import Path

from harness import hang_forensics, reset_forensics

DATA = Path(__file__).resolve().parent / "data"


def test_info_registers_gives_each_cpu_its_rip_flags_and_hlt():
    cpus = hang_forensics.cpu_registers((DATA / "info_registers_two_cpus.txt").read_text())
    assert sorted(cpus) == [0, 1]
    assert cpus[0]["RIP"] == 0xFFFFFFFF8011372B and cpus[0]["RFL"] == 0x246 and cpus[0]["HLT"] == 1
    assert cpus[1]["RIP"] == 0xFFFFFFFF8010EF0B and cpus[1]["RFL"] == 0x282 and cpus[1]["HLT"] == 0
    # Registers with a space before '=' (R8 =), and the first value of a
    # segment line (the selector), not the base after it.
    assert cpus[0]["R8"] == 0x71 and cpus[0]["CS"] == 0x8 and cpus[0]["CR0"] == 0x80010011
    assert cpus[0]["RBP"] == 0xFFFFC38000004F80
    assert hang_forensics.state_key(cpus[0]) == (True, True)
    assert hang_forensics.state_key(cpus[1]) == (True, False)


def test_the_most_seen_state_wins_and_says_how_often():
    seen = [((True, False), ["CPU 1: RIP a", "  interrupts on"]),
            ((False, False), ["CPU 1: RIP handler", "  interrupts off"]),
            ((True, False), ["CPU 1: RIP b", "  interrupts on"])]
    assert hang_forensics.most_seen(1, seen) == ["CPU 1: RIP a  [as in 2 of 3 samples]", "  interrupts on"]


def test_the_impostor_triple_fault_chain_and_its_registers():
    log = (DATA / "int_log_impostor_triple_fault.txt").read_text()
    exceptions, ending = reset_forensics.parse(log)
    assert ending == "triple fault"
    assert [(e.vector, e.error, e.software) for e in exceptions] == [(3, 0, True), (13, 0x1A, False), (8, 0, False)]
    lines = reset_forensics.explain(log)
    assert lines[0] == ("#BP (int3) at 0x4000be -> #GP (error 0x001a) at 0x4000be -> #DF (error 0x0000) at 0x4000be "
                        "-> triple fault")
    assert lines[1] == "registers at the #BP, as QEMU logged them:"
    assert "  EIP=004000be EFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0" in lines
    assert "  IDT=     00000000 00000000" in lines


def test_a_log_without_a_triple_fault_is_a_reset_asked_for():
    log = (DATA / "int_log_impostor_triple_fault.txt").read_text().replace("Triple fault", "CPU Reset (CPU 0)")
    assert reset_forensics.explain(log)[0].startswith("QEMU logged no triple fault: the reset was asked for")
