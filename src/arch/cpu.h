#pragma once

// What generic kernel code may ask of the CPU, without naming instructions.
// Implemented per architecture (src/arch/x86_64/cpu.cpp).

namespace arch {

// Interrupts off, then halt for good: the end of every fatal path.
[[noreturn]] void halt_forever();

} // namespace arch
