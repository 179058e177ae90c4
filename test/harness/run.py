"""Boots the RayOS ISO for a person (ci/boot.sh) or for gdb (ci/debug.sh),
as `python3 -m harness.run` with test/ on PYTHONPATH.

In a terminal, COM1 is the terminal (QEMU's mon:stdio: Ctrl-A X quits,
Ctrl-A C opens the monitor) and the kernel halts after boot. Without a
terminal the kernel gets 'exit', the log goes to stdout, and the exit status
says whether the boot passed.
"""

import argparse
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from .outcome import EXIT_SUCCESS
from .huge_pages import popen_without_huge_pages
from .qemu import (RECORDING_FACTS, BootConfig, config_disk_for, kernel_elf_of, qemu_command,
                   release_outside_files)
from .symbolize import decorate_stream

REPO = Path(__file__).resolve().parent.parent.parent
UNATTENDED_TIMEOUT_SECONDS = 120


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--uefi", action="store_true", help="boot with OVMF instead of SeaBIOS")
    parser.add_argument("--memory", default="256M", help="guest memory (QEMU -m), default 256M")
    parser.add_argument("--cpu", help="QEMU CPU model, e.g. max or qemu64")
    parser.add_argument("--machine", help="QEMU machine, e.g. q35")
    parser.add_argument("--smp", type=int, default=1, help="number of CPUs")
    parser.add_argument("--display", action="store_true",
                        help="show the screen in a QEMU window (GTK; needs a desktop), keyboard and mouse in it")
    parser.add_argument("--gdb-port", type=int, help="open QEMU's GDB stub on this port")
    parser.add_argument("--paused", action="store_true", help="start with the CPU stopped (for gdb)")
    parser.add_argument("--serial-file", help="write COM1 to this file instead of the terminal")
    parser.add_argument("--build-dir", default=str(REPO / "build"), help="folder holding the ISOs")
    parser.add_argument("--test-kernel", action="store_true",
                        help="boot the test kernel (build/rayos.iso: the kernel tests and UBSan) instead of the "
                             "release kernel (build/rayos-release.iso)")
    parser.add_argument("--record", metavar="FOLDER",
                        help="record the boot (QEMU record/replay, one CPU, BIOS) into FOLDER")
    parser.add_argument("--replay", metavar="FOLDER",
                        help="replay the boot recorded in FOLDER, instruction for instruction (with "
                             "--gdb-port: paused, for gdb)")
    parser.add_argument("words", nargs="*", help="kernel command line words (after --)")
    return parser.parse_args()


def show_decorated(kernel_elf, process):
    """QEMU's output to this terminal or pipe, as it comes, each code address
    of a report followed by its file:line (harness/symbolize.py)."""
    try:
        decorate_stream(kernel_elf, process.stdout.fileno(), sys.stdout.buffer)
    except (OSError, subprocess.SubprocessError) as error:
        # No ELF or no addr2line: the log as it is, with the reason.
        print(f"rayos: no file:line in the log ({error})", file=sys.stderr)
        while data := os.read(process.stdout.fileno(), 4096):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()


def run_decorated(command, kernel_elf, workdir, stdin, timeout):
    """Runs QEMU with its output decorated on the way; (exit status, whether
    it was killed at the timeout). QEMU never outlives the call."""
    process = popen_without_huge_pages(command, stdin=stdin, stdout=subprocess.PIPE)
    expired = threading.Event()

    def expire():
        expired.set()
        process.kill()

    timer = threading.Timer(timeout, expire) if timeout is not None else None
    if timer is not None:
        timer.start()
    try:
        show_decorated(kernel_elf, process)
        status = process.wait()
    finally:
        if timer is not None:
            timer.cancel()
        process.kill()
        process.wait()
        release_outside_files(workdir)
    return status, expired.is_set()


def main():
    args = parse_arguments()
    build = Path(args.build_dir)
    if args.record and args.replay:
        sys.exit("rayos: --record or --replay, not both")
    iso = build / ("rayos.iso" if args.test_kernel else "rayos-release.iso")
    words = list(args.words)
    if args.replay:
        # The recorded disk carries the recorded command line, and the
        # facts name the kernel recorded (the test or the release one).
        facts = json.loads((Path(args.replay) / RECORDING_FACTS).read_text())
        words = facts["cmdline"].split()
        iso = build / Path(facts["iso"]).name
    kernel_elf = kernel_elf_of(iso)
    if not iso.is_file():
        sys.exit(f"{iso} is missing: run bash ci/setup.sh first")
    interactive = sys.stdin.isatty() and args.serial_file is None and not args.replay
    # Words that choose what the kernel does after the ready line; the
    # kernel warns when two are given, so add one only where none is.
    keys = {word.split("=", 1)[0] for word in words}
    if args.replay:
        pass    # the recorded words, as they were
    elif not interactive and args.gdb_port is None and not keys & {"exit", "test", "fault"}:
        words.append("exit")   # nobody is there to quit QEMU (nor to use a console)
    if interactive and not keys & {"exit", "test", "fault", "console"}:
        words.append("console")  # a person is there: give them the prompt
    config = BootConfig(cmdline=" ".join(words), firmware="uefi" if args.uefi else "bios",
                        memory=args.memory, cpu=args.cpu, machine=args.machine, smp=args.smp,
                        display="gtk" if args.display else "none",
                        gdb_port=args.gdb_port, paused=args.paused or bool(args.replay and args.gdb_port),
                        record_replay="record" if args.record else "replay" if args.replay else None,
                        recording=args.record or args.replay)

    workdir = build / "boot"
    workdir.mkdir(exist_ok=True)
    if args.serial_file:
        serial = f"file:{Path(args.serial_file).resolve()}"
    else:
        serial = "mon:stdio" if interactive else "stdio"
    try:
        config_disk = config_disk_for(config, iso, workdir)
        command = qemu_command(config, iso, workdir, config_disk, serial=serial)
    except (ValueError, OSError) as error:
        sys.exit(f"rayos: {error}")

    print(f"rayos: booting {iso} ({config.firmware}), kernel command line: '{config.cmdline}'",
          file=sys.stderr)
    print("rayos: QEMU log in " + str(workdir / "qemu.log"), file=sys.stderr)
    if args.record:
        print(f"rayos: recording into {args.record}; replay: bash ci/boot.sh --replay {args.record} "
              "[--gdb-port 1234]", file=sys.stderr)
    if args.replay and args.gdb_port is not None:
        print(f"rayos: replay paused for gdb: gdb {kernel_elf} -ex 'target remote :{args.gdb_port}'",
              file=sys.stderr)
    if interactive or args.gdb_port is not None:
        if interactive:
            print("rayos: Ctrl-A X quits QEMU", file=sys.stderr)
        # The terminal stays QEMU's (keys, Ctrl-A); what it prints passes
        # through the decoder on its way to the terminal, so a report there
        # has file:line too.
        status, _ = run_decorated(command, kernel_elf, workdir, stdin=None, timeout=None)
        sys.exit(status)

    # Unattended: the log on stdout as it comes, each code address in a
    # report followed by its file:line (harness/symbolize.py), a bounded
    # run, a clear status.
    status, expired = run_decorated(command, kernel_elf, workdir, stdin=subprocess.DEVNULL,
                                    timeout=UNATTENDED_TIMEOUT_SECONDS)
    if expired:
        sys.exit(f"rayos: no exit after {UNATTENDED_TIMEOUT_SECONDS} s")
    if status != EXIT_SUCCESS:
        sys.exit(f"rayos: the boot failed: QEMU exit status {status} (33 means success)")


if __name__ == "__main__":
    main()
