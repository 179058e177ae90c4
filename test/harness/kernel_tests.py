"""The kernel tests compiled into an ELF, read from its .kernel_tests
section (src/ktest/ktest.h): a pointer a test to a TestCase
{suite, name, function, file, line, flags, timeout_ms, reserved}."""

import struct
from dataclasses import dataclass
from pathlib import Path

from .elf import KernelElf

TEST_CASE = struct.Struct("<QQQQIIII")
EXPLICIT_ONLY = 1


@dataclass(frozen=True)
class KernelTest:
    suite: str
    name: str
    file: str
    line: int
    explicit: bool
    timeout_ms: int

    @property
    def id(self):
        return f"{self.suite}.{self.name}"


class _Image:
    def __init__(self, elf):
        self.sections = [(address, data) for address, data, _flags in elf.contents_sections()]

    def read(self, address, size):
        for start, data in self.sections:
            if start <= address and address + size <= start + len(data):
                return data[address - start:address - start + size]
        raise ValueError(f"address {address:#x} is in no section with contents")

    def string(self, address):
        for start, data in self.sections:
            if start <= address < start + len(data):
                end = data.index(b"\0", address - start)
                return data[address - start:end].decode()
        raise ValueError(f"string at {address:#x} is in no section with contents")


def read_kernel_tests(elf_path: Path):
    """Every kernel test, in the order the kernel runs them: by suite, then
    by file and line (src/ktest/runner.cpp)."""
    elf = KernelElf(elf_path)
    section = elf.section(".kernel_tests")
    if section is None:
        raise ValueError(f"{elf_path} has no .kernel_tests section")
    image = _Image(elf)
    pointers = struct.unpack(f"<{section.data_size // 8}Q", section.data())
    tests = []
    for pointer in pointers:
        suite, name, _function, file, line, flags, timeout_ms, _ = TEST_CASE.unpack(
            image.read(pointer, TEST_CASE.size))
        tests.append(KernelTest(image.string(suite), image.string(name), image.string(file), line,
                                bool(flags & EXPLICIT_ONLY), timeout_ms))
    return sorted(tests, key=lambda test: (test.suite.encode(), test.file.encode(), test.line))
