#pragma once

// The kernel console: a prompt on COM1 (and the keyboard's characters, when
// there is a keyboard) with backspace, and commands to look at the running
// kernel: help, mem, cpu, uptime, ticks, tests [patterns], fault <kind>,
// halt, reboot. The `console` boot word starts it once boot is complete
// (ci/boot.sh adds the word when a person is at the terminal).

namespace kernel {

[[noreturn]] void run_console();

} // namespace kernel
