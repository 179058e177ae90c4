#pragma once

// The interrupt controllers and the kernel tick, as kernel_main sees them:
// one call after the ACPI tables are read (the controllers and the clock
// that calibrates the tick come from them) and before interrupts are
// enabled. Which controllers and which tick is the architecture's choice;
// it logs it. x86_64: src/arch/x86_64/interrupt_setup.cpp.

namespace kernel {
struct BootOptions;
}

namespace arch {

// The tick runs at options.timer_hz (as near as the timer allows).
void start_interrupt_controllers_and_tick(const kernel::BootOptions& options);

} // namespace arch
