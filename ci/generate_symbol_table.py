#!/usr/bin/python3
"""Build step: the kernel's symbol table, for symbolized backtraces.

  generate_symbol_table.py STAGE1.elf OUTPUT.o
      writes the function symbols of the first-stage kernel as an object
      file whose .kernel_symbols section holds them (the end of the
      read-only group, so no function moves when the table is linked in).
  generate_symbol_table.py --verify STAGE1.elf FINAL.elf STAMP
      fails unless every function has the same address in both links.

Both run on every link, on a one-file rebuild's path: Python starts without
site (-S, from meson.build), and a module only one path needs is imported
where it is used (20 to 30 ms of imports a call otherwise).
"""

import mmap
import os
import struct
import sys


WORD_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def is_linker_bound(name):
    """A bound that linker/kernel.ld defines (__text_start, __kernel_end,
    ...): an address, not a function."""
    if not name.startswith("__"):
        return False
    middle = name[2:].removesuffix("_start") if name.endswith("_start") else name[2:].removesuffix("_end")
    return len(middle) < len(name) - 2 and middle != "" and WORD_CHARACTERS.issuperset(middle)


# ELF64 (the System V ABI's gABI): the few fields this step reads. The
# symbol table is read here rather than through nm, which took 80 ms a call
# (a build step on every link, twice for --verify).
SECTION_HEADER = struct.Struct("<IIQQQQIIQQ")  # name type flags addr offset size link info addralign entsize
SYMBOL = struct.Struct("<IBBHQQ")  # name info other shndx value size
SHT_SYMTAB, SHF_EXECINSTR = 2, 0x4
STT_SECTION, STT_FILE = 3, 4
SHN_LORESERVE = 0xFF00


def code_symbols(elf):
    """[(address, size, mangled name)] of the symbols defined in executable
    sections (what nm marks T, t, W or w), sorted by address then name."""
    # Mapped, not read: the DWARF is most of the file and never looked at.
    with open(elf, "rb") as stream:
        if os.fstat(stream.fileno()).st_size < 64:
            sys.exit(f"generate_symbol_table: {elf} is not a 64-bit ELF file")
        image = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    if image[:5] != b"\x7fELF\x02":
        sys.exit(f"generate_symbol_table: {elf} is not a 64-bit ELF file")
    section_offset, = struct.unpack_from("<Q", image, 0x28)
    entry_size, count = struct.unpack_from("<HH", image, 0x3A)
    sections = [SECTION_HEADER.unpack_from(image, section_offset + i * entry_size) for i in range(count)]
    symtab = next(section for section in sections if section[1] == SHT_SYMTAB)
    strtab = sections[symtab[6]]

    def string(offset):
        start = strtab[4] + offset
        end = image.find(b"\0", start)
        if end < 0:
            sys.exit(f"generate_symbol_table: {elf}: a symbol's name runs past the end of the file")
        return image[start:end].decode("ascii")

    symbols = []
    for offset in range(symtab[4], symtab[4] + symtab[5], SYMBOL.size):
        name, info, _, shndx, value, size = SYMBOL.unpack_from(image, offset)
        if info & 0xF in (STT_SECTION, STT_FILE) or not 0 < shndx < SHN_LORESERVE:
            continue
        if sections[shndx][2] & SHF_EXECINSTR:
            symbols.append((value, size, string(name)))
    return sorted(symbols, key=lambda symbol: (symbol[0], symbol[2]))  # as nm --numeric-sort


def function_symbols(elf):
    """code_symbols() within [__text_start, __text_end), without the linker's bounds."""
    symbols = code_symbols(elf)
    bounds = {name: address for address, _, name in symbols if name in ("__text_start", "__text_end")}
    start, end = bounds["__text_start"], bounds["__text_end"]
    return [symbol for symbol in symbols if start <= symbol[0] < end and not is_linker_bound(symbol[2])]


def demangled(names):
    """The names as C++ spells them (c++filt, once for all of them)."""
    import subprocess
    output = subprocess.run(["c++filt", "--no-verbose"], input="\n".join(names) + "\n", capture_output=True, text=True,
                            check=True).stdout.splitlines()
    if len(output) != len(names):
        sys.exit("generate_symbol_table: c++filt returned a different number of names")
    return output


# The names are compressed by byte-pair encoding, as Linux's kallsyms does
# with its token table: the most frequent pair of adjacent bytes gets a code
# of its own (0x80 and up; demangled C++ names are ASCII), and again on the
# result, up to 128 codes. A code expands to its two bytes, each a character
# or a lower code. src/lib/symbol_table.cpp expands them.
FIRST_CODE, CODE_LIMIT = 0x80, 0x100
# A code costs its two bytes in the token table, so a pair seen this rarely
# saves nothing.
LEAST_PAIR_COUNT = 4
# Pairs coded after one count of the blob: counting is the slow part (a
# build step on every link), and pairs that share no byte do not change
# each other's counts, so the most frequent four such pairs are what four
# counts would pick. One pair a count took 0.2 s for the release kernel's
# names, four 0.06 s, and the names come out no larger.
PAIRS_PER_COUNT = 4


def pair_of(word):
    """The two bytes (first, second) that memoryview.cast("H") read as word,
    in the host's byte order."""
    low, high = word & 0xFF, word >> 8
    return (low, high) if sys.byteorder == "little" else (high, low)


def compress(names):
    """(blob of the NUL-ended names with codes in, [(first, second)] per code)."""
    import collections
    blob = b"".join(name.encode("ascii") + b"\0" for name in names)
    tokens = []
    while FIRST_CODE + len(tokens) < CODE_LIMIT:
        # Each pair as a 16-bit word, at even and at odd offsets: Counter
        # counts those in C, where a Python tuple a pair cost a fifth more.
        counts = collections.Counter(memoryview(blob[:len(blob) // 2 * 2]).cast("H"))
        counts.update(memoryview(blob[1:1 + (len(blob) - 1) // 2 * 2]).cast("H"))
        ranked = sorted(((count, pair_of(word)) for word, count in counts.items()
                         if word & 0xFF and word >> 8 and count >= LEAST_PAIR_COUNT), reverse=True)
        chosen, bytes_taken = [], set()
        for _, pair in ranked:
            if len(chosen) == PAIRS_PER_COUNT or FIRST_CODE + len(tokens) + len(chosen) == CODE_LIMIT:
                break
            if bytes_taken.isdisjoint(pair):
                chosen.append(pair)
                bytes_taken.update(pair)
        if not chosen:
            break
        for pair in chosen:
            blob = blob.replace(bytes(pair), bytes([FIRST_CODE + len(tokens)]))
            tokens.append(pair)
    return blob, tokens


def expand(blob, tokens):
    """The names again, from compress()'s output: the check of a fresh or a
    kept table. A code refers only to codes before it."""
    expansions = []  # each code's characters, from its two bytes'
    for pair in tokens:
        if any(byte >= FIRST_CODE + len(expansions) for byte in pair):
            return None
        expansions.append(b"".join(bytes([byte]) if byte < FIRST_CODE else expansions[byte - FIRST_CODE]
                                   for byte in pair))
    for code in reversed(range(len(tokens))):
        blob = blob.replace(bytes([FIRST_CODE + code]), expansions[code])
    if not blob.isascii():
        return None
    return [name.decode("ascii") for name in blob.split(b"\0")[:-1]]


# The last link's names, compressed, kept beside the output: a one-file
# rebuild seldom changes a function's name, only addresses, and compressing
# was most of this step's time (0.1 s of the test kernel's 0.15). The key is
# what compress() reads: this script's text and the demangled names, in
# order (demangled afresh on every run: c++filt is a program and a library
# whose identity a key could not pin). What is taken from the cache must
# expand to those names again, so a damaged cache is never used.
CACHE_MAGIC = b"rayos symbol names 1\n"
CACHE_HEADER = struct.Struct("<IHI")  # key bytes, codes, compressed bytes


def read_cache(path, key):
    """(blob, tokens) kept at path under this key, or None."""
    try:
        with open(path, "rb") as stream:
            cache = stream.read()
    except OSError:
        return None
    start = len(CACHE_MAGIC) + CACHE_HEADER.size
    if not cache.startswith(CACHE_MAGIC) or len(cache) < start:
        return None
    key_size, codes, blob_size = CACHE_HEADER.unpack_from(cache, len(CACHE_MAGIC))
    if len(cache) != start + key_size + 2 * codes + blob_size or cache[start:start + key_size] != key:
        return None
    pairs = cache[start + key_size:start + key_size + 2 * codes]
    return cache[len(cache) - blob_size:], [(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]


def write_cache(path, key, blob, tokens):
    """Written whole or not at all (a rename of a file of this process's
    own), so a build stopped halfway leaves no half a cache, and two
    builds in one folder do not write one file."""
    partial = f"{path}.{os.getpid()}.new"
    with open(partial, "wb") as stream:
        stream.write(CACHE_MAGIC + CACHE_HEADER.pack(len(key), len(tokens), len(blob)) + key
                     + bytes(byte for pair in tokens for byte in pair) + blob)
    os.replace(partial, path)


def compressed_names(names, cache_path):
    """compress() of the names: (blob, tokens)."""
    with open(__file__, "rb") as stream:
        key = stream.read() + b"\0" + b"\0".join(name.encode("ascii") for name in names)
    cached = read_cache(cache_path, key)
    if cached is not None and expand(*cached) == names:
        return cached
    blob, tokens = compress(names)
    if expand(blob, tokens) != names:
        sys.exit("generate_symbol_table: the compressed names do not expand to the names")
    write_cache(cache_path, key, blob, tokens)
    return blob, tokens


# The table is written as an object file, not as C++ to compile: the
# compiler's start alone took 60 ms of a one-file rebuild, on its path. The
# layouts are src/lib/symbol_table.h's (its static_asserts pin the C++ side,
# test_image.py decodes a built kernel's table against its ELF symbols):
# lib::SymbolEntry is {uint32_t address_offset; uint16_t size; uint16_t
# name_offset}, lib::SymbolToken {uint8_t first, second}, kSymbolTokenCount
# of them; the symbols are those src/kernel/symbols.cpp declares extern "C".
SYMBOL_ENTRY = struct.Struct("<IHH")
SYMBOL_TOKEN_COUNT = CODE_LIMIT - FIRST_CODE
# ELF64 for x86-64 (the System V gABI and its AMD64 supplement); the
# section headers and symbols are SECTION_HEADER and SYMBOL above.
ELF_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")
ET_REL, EM_X86_64, EV_CURRENT = 1, 62, 1
SHT_PROGBITS, SHT_STRTAB, SHF_ALLOC = 1, 3, 0x2
STB_GLOBAL_STT_OBJECT = 0x11


class TableSection:
    """The .kernel_symbols section of one object file, and its symbols."""

    def __init__(self):
        self.data = bytearray()
        self.symbols = []  # (name, offset, size)
        self.alignment = 1

    def add(self, name, value, alignment):
        # As GCC places a global: an array of 16 bytes or more at 16 (the
        # x86-64 psABI's rule).
        alignment = max(alignment, 16 if len(value) >= 16 else 1)
        self.data += bytes(-len(self.data) % alignment)
        self.symbols.append((name, len(self.data), len(value)))
        self.data += value
        self.alignment = max(self.alignment, alignment)

    def relocatable_object(self):
        """An ELF relocatable object: the section (read-only data, placed by
        linker/kernel.ld), a symbol table naming each value, their names,
        the sections' names. No relocations: every value is a number."""
        names = b"\0" + b"".join(name.encode() + b"\0" for name, _, _ in self.symbols)
        symbols = SYMBOL.pack(0, 0, 0, 0, 0, 0)
        name_offset = 1
        for name, offset, size in self.symbols:
            symbols += SYMBOL.pack(name_offset, STB_GLOBAL_STT_OBJECT, 0, 1, offset, size)
            name_offset += len(name) + 1
        # (name, type, flags, contents, link, info, alignment, entry size);
        # sections 1 to 4, in this order (the symbols' section index 1, the
        # symbol table's link 3 and the header's string table index 4).
        sections = [(".kernel_symbols", SHT_PROGBITS, SHF_ALLOC, bytes(self.data), 0, 0, self.alignment, 0),
                    (".symtab", SHT_SYMTAB, 0, symbols, 3, 1, 8, SYMBOL.size),  # info: the first global
                    (".strtab", SHT_STRTAB, 0, names, 0, 0, 1, 0),
                    (".shstrtab", SHT_STRTAB, 0, None, 0, 0, 1, 0)]
        section_names = b"\0" + b"".join(name.encode() + b"\0" for name, *_ in sections)
        image = bytearray(ELF_HEADER.size)
        headers = SECTION_HEADER.pack(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        for name, kind, flags, contents, link, info, alignment, entry_size in sections:
            contents = section_names if contents is None else contents
            image += bytes(-len(image) % alignment)
            headers += SECTION_HEADER.pack(section_names.index(b"\0" + name.encode() + b"\0") + 1, kind, flags, 0,
                                           len(image), len(contents), link, info, alignment, entry_size)
            image += contents
        image += bytes(-len(image) % 8)
        section_headers = len(image)
        # 64-bit, little-endian, ELF version 1, the System V ABI (0) version 0.
        identity = b"\x7fELF\x02\x01\x01\x00\x00".ljust(16, b"\0")
        image[:ELF_HEADER.size] = ELF_HEADER.pack(identity, ET_REL, EM_X86_64, EV_CURRENT, 0, 0, section_headers,
                                                  0, ELF_HEADER.size, 0, 0, SECTION_HEADER.size, len(sections) + 1,
                                                  len(sections))
        return bytes(image + headers)


def generate(stage1, output):
    symbols = function_symbols(stage1)
    base = symbols[0][0] if symbols else 0
    blob, tokens = compressed_names(demangled([name for _, _, name in symbols]), output + ".names")
    if len(blob) > 0x10000:
        sys.exit(f"generate_symbol_table: {len(blob)} bytes of compressed names, over the 64 KiB that "
                 "lib::SymbolEntry's 16-bit name offsets reach (src/lib/symbol_table.h)")
    entries, offset = [], 0
    for (address, size, _), compressed in zip(symbols, blob.split(b"\0")):
        if address - base > 0xFFFFFFFF:
            sys.exit(f"generate_symbol_table: {address:#x} is over 4 GiB from the first function")
        # A size of 64 KiB or more is stored as unknown: the function then
        # reaches to the next one.
        entries.append(SYMBOL_ENTRY.pack(address - base, size if size <= 0xFFFF else 0, offset))
        offset += len(compressed) + 1
    table = TableSection()
    table.add("kernel_symbol_base", struct.pack("<Q", base), 8)
    table.add("kernel_symbol_entries", b"".join(entries) or SYMBOL_ENTRY.pack(0, 0, 0), 4)
    table.add("kernel_symbol_names", blob or b"\0", 1)
    token_bytes = bytes(byte for pair in tokens for byte in pair)
    table.add("kernel_symbol_tokens", token_bytes.ljust(2 * SYMBOL_TOKEN_COUNT, b"\0"), 1)
    table.add("kernel_symbol_count", struct.pack("<Q", len(entries)), 8)
    with open(output, "wb") as stream:
        stream.write(table.relocatable_object())


def verify(stage1, final, stamp):
    before, after = function_symbols(stage1), function_symbols(final)
    if before != after:
        moved = [f"{b} -> {a}" for b, a in zip(before, after) if b != a][:10]
        sys.exit("generate_symbol_table: functions moved between the link stages; the table would lie:\n"
                 + "\n".join(moved))
    with open(stamp, "w") as stream:
        stream.write(f"{len(after)} function symbols, identical in both stages\n")


if __name__ == "__main__":
    if sys.argv[1] == "--verify":
        verify(*sys.argv[2:5])
    else:
        generate(sys.argv[1], sys.argv[2])
