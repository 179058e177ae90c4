# GDB set-up for RayOS (ci/debug.sh loads it; test/test_gdb.py too).
#
# QEMU starts in 16-bit real mode and the trampoline switches to 32-bit,
# then 64-bit mode; gdb must treat the target as x86-64 from the start,
# and the first stop must be a hardware breakpoint: a software one at a
# higher-half address cannot be written before paging maps it.

set pagination off
set confirm off
set disassembly-flavor intel
set architecture i386:x86-64

# The commands that read kernel state (rayos-heap, rayos-frames, rayos-walk,
# rayos-idt, rayos-log, rayos-threads) are in rayos.py beside this file: gdb -x it too.

# QEMU's stub listens on 127.0.0.1 (test/harness/qemu.py): connect to that
# address, never the name localhost, which may not resolve (no /etc/hosts)
# or resolve to ::1 first, where nothing listens.
define rayos-connect
  if $argc == 1
    target remote 127.0.0.1:$arg0
  else
    target remote 127.0.0.1:1234
  end
  hbreak kernel_main
  continue
  delete
end
document rayos-connect
Connect to QEMU's GDB stub on 127.0.0.1 (port, default 1234) and run to kernel_main.
end
