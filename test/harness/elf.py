"""The kernel ELF, read in one place (pyelftools): symbols, section bounds,
loadable segments, the entry point and the bytes behind an address. Every
test and harness module that needs a figure from build/rayos.elf asks here,
so the ELF is the oracle read one way."""

import functools
import io
import re
from pathlib import Path

from elftools.elf.constants import P_FLAGS, SH_FLAGS
from elftools.elf.elffile import ELFFile

# The linker script's bounds (__text_start, __bss_end...): addresses, not functions.
LINKER_BOUND = re.compile(r"^__\w+_(start|end)$")


def once_per_build(function):
    """function(elf_path, ...) computed once per build of the ELF, for the
    oracles many tests read from the same ELF (a symbol table, a
    disassembly: each cost up to half a second a test). The key is the
    ELF's resolved path, inode, size, and modification and change times: a
    rebuilt ELF gets a fresh result, and so does one copied in with its old
    modification time (its change time is new). What it returns is shared
    between callers, so it must not be changed."""
    @functools.lru_cache(maxsize=8)
    def cached(path, _build, *arguments):
        return function(path, *arguments)

    @functools.wraps(function)
    def once(elf_path, *arguments):
        path = Path(elf_path).resolve()
        status = path.stat()
        return cached(path, (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns), *arguments)

    return once


class KernelElf(ELFFile):
    """An ELF file read whole into memory, so it needs no open stream; still
    an ELFFile for what is asked of it rarely (DWARF, the header)."""

    def __init__(self, path):
        self.path = Path(path)
        super().__init__(io.BytesIO(self.path.read_bytes()))

    @property
    def entry(self):
        return self["e_entry"]

    def symbol(self, name):
        """The one ELF symbol called name; a clear error if there is none or
        more than one (two static variables of one name, say)."""
        found = self._symbol_table().get_symbol_by_name(name) or []
        if len(found) != 1:
            raise KeyError(f"{self.path} has {len(found)} symbols called {name!r}, not one")
        return found[0]

    def symbol_address(self, name):
        return self.symbol(name)["st_value"]

    def symbols(self):
        """{name: address} of every named symbol (a later one wins a name)."""
        return {symbol.name: symbol["st_value"] for symbol in self._symbol_table().iter_symbols() if symbol.name}

    def symbol_bytes(self, name):
        """The bytes of a data symbol, from the section that holds it."""
        found = self.symbol(name)
        section = self.get_section(found["st_shndx"])
        offset = found["st_value"] - section["sh_addr"]
        return section.data()[offset:offset + found["st_size"]]

    def linker_bounds(self, name):
        """(start, end) of an image part, from the linker's __name_start and
        __name_end symbols."""
        return tuple(self.symbol_address(f"__{name}_{edge}") for edge in ("start", "end"))

    def section(self, name):
        """The section called name, or None."""
        return self.get_section_by_name(name)

    def has_section(self, name):
        return self.section(name) is not None

    def section_bounds(self, name):
        """(start, end) addresses of a section."""
        section = self.section(name)
        if section is None:
            raise KeyError(f"{self.path} has no section {name!r}")
        return section["sh_addr"], section["sh_addr"] + section["sh_size"]

    def contents_sections(self):
        """(address, bytes, sh_flags) of every loaded section with contents."""
        return [(section["sh_addr"], section.data(), section["sh_flags"]) for section in self.iter_sections()
                if section["sh_addr"] and section["sh_type"] == "SHT_PROGBITS"]

    def data_bytes(self):
        """The loaded, non-executable sections with contents, concatenated:
        where the image stores data (function pointers among it)."""
        return b"".join(data for _address, data, flags in self.contents_sections()
                        if flags & SH_FLAGS.SHF_ALLOC and not flags & SH_FLAGS.SHF_EXECINSTR)

    def load_segments(self):
        return load_segments(self)

    def physical_end(self):
        """The physical end of the last loadable segment: the image's frames."""
        return max(segment["p_paddr"] + segment["p_memsz"] for segment in self.load_segments())

    def text_symbols(self, skip=lambda name: False):
        """{address: mangled name} of the code symbols in .text (the first
        name at an address wins), without the linker's bounds and without
        names skip() refuses."""
        low, high = self.section_bounds(".text")
        starts = {}
        for symbol in self._symbol_table().iter_symbols():
            if (symbol["st_info"]["type"] in ("STT_FUNC", "STT_NOTYPE") and symbol.name
                    and low <= symbol["st_value"] < high and not LINKER_BOUND.match(symbol.name)
                    and not skip(symbol.name)):
                starts.setdefault(symbol["st_value"], symbol.name)
        return starts

    def _symbol_table(self):
        table = self.section(".symtab")
        if table is None:
            raise KeyError(f"{self.path} has no symbol table (.symtab): a stripped kernel?")
        return table


def load_segments(elf):
    """The PT_LOAD segments, in file order."""
    return [segment for segment in elf.iter_segments() if segment["p_type"] == "PT_LOAD"]


def rights(segment):
    """A segment's permissions as "RWX" letters, "-" where one is missing."""
    flags = segment["p_flags"]
    return "".join(letter if flags & bit else "-"
                   for letter, bit in (("R", P_FLAGS.PF_R), ("W", P_FLAGS.PF_W), ("X", P_FLAGS.PF_X)))
