// kernel_main: the boot order of RayOS, called by asm/boot64.asm on the
// kernel stack with interrupts off.

#include <stdint.h>

#include "arch/cpu.h"
#include "arch/interrupt_setup.h"
#include "arch/interrupts.h"
#include "arch/paging.h"
#include "boot/boot_info.h"
#include "boot/multiboot2_entry.h"
#include "drivers/framebuffer_console.h"
#include "drivers/pci.h"
#include "drivers/ps2_keyboard.h"
#include "drivers/ps2_mouse.h"
#include "drivers/qemu_exit.h"
#include "drivers/serial_input.h"
#include "drivers/uart16550.h"
#include "kernel/acpi_setup.h"
#include "kernel/boot_options.h"
#include "kernel/boot_profile.h"
#include "kernel/clock_setup.h"
#include "kernel/console.h"
#include "kernel/cxx_runtime.h"
#include "kernel/fault_injection.h"
#include "kernel/image_layout.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "kernel/ro_after_init.h"
#include "kernel/smp.h"
#include "kernel/stack_protector.h"
#include "ktest/runner.h"
#include "ktest/torture_scale.h"
#include "mm/direct_map.h"
#include "mm/heap_cycles.h"
#include "mm/kernel_heap.h"
#include "mm/physical_memory.h"
#include "sched/scheduler.h"
#include "sched/thread_benchmark.h"
#include "sync/lock_validator.h"
#include "sync/mutex_cycles.h"

namespace kernel {

// Read by the debugger test (test/test_gdb.py) and the banner.
extern "C" const char rayos_version[] = "RayOS 0.1.0";

namespace {

constinit drivers::Uart16550 g_com1(drivers::Uart16550::kCom1Base);
constexpr uint32_t kSerialBaud = 115200;

// One global with a constructor, so the boot log proves .init_array ran.
struct ConstructorProbe {
    ConstructorProbe()
        : constructed(true)
    {
    }
    // Not a default member initializer: the point is a constructor that runs
    // from .init_array, not a value the compiler may place in .data.
    // NOLINTNEXTLINE(modernize-use-default-member-init)
    bool constructed;
};
ConstructorProbe g_constructor_probe;

void init_console()
{
    if (!g_com1.init(kSerialBaud)) {
        // Nothing to print to; the boot goes on and the exit status still
        // tells a test harness how it ended.
        return;
    }
    set_log_console(&g_com1);
    log(LogTag::Serial, "COM1 at {:#x}: 16550, {} 8N1, {}, loopback self-test passed", g_com1.base(),
        kSerialBaud, g_com1.fifo_enabled() ? "FIFO on" : "no working FIFO");
}

boot::BootInfo read_boot_info(uint32_t magic, uint64_t info_physical)
{
    boot::PhysicalRange image = { loaded_image_physical_start(), kernel_image().physical_end() };
    auto read = boot::read_multiboot2(magic, info_physical, image);
    if (!read) {
        char message[kPanicMessageCapacity];
        lib::BufferSink sink(message, sizeof(message));
        read.error().write_message(sink);
        PANIC("{}", sink.view());
    }
    return read.value();
}

void log_boot_info(const boot::BootInfo& info)
{
    log(LogTag::Boot, "loader: {}", info.bootloader_name.empty() ? "(unnamed)" : info.bootloader_name);
    log(LogTag::Boot, "command line: \"{}\"", info.command_line);
    for (size_t i = 0; i < info.module_count; ++i) {
        const boot::BootModule& module = info.modules[i];
        log(LogTag::Boot, "module '{}': {:#x}-{:#x} ({} KiB)", module.command_line, module.start, module.end,
            (module.end - module.start) / 1024);
    }
    log(LogTag::Mem, "memory map: {} regions", info.memory_region_count);
    // Firmware describes memory in bytes and RayOS hands it out in pages:
    // trimming a usable region to whole pages is routine, not a warning.
    // Empty, overlapping or wrapping entries are the loader's errors.
    const boot::MemoryMapRepairs& repairs = info.memory_map_repairs;
    if (repairs.unaligned != 0)
        log(LogTag::Mem, "memory map: {} usable regions trimmed to whole pages", repairs.unaligned);
    if (repairs.zero_length + repairs.overlaps + repairs.wrapped != 0)
        log(LogTag::Mem,
            "warning: memory map mended ({} entries from the loader): {} empty dropped, {} overlaps resolved "
            "(stricter type wins), {} cut at the top of memory",
            info.loader_memory_entries, repairs.zero_length, repairs.overlaps, repairs.wrapped);
    for (size_t i = 0; i < info.memory_region_count; ++i) {
        const boot::MemoryRegion& region = info.memory_regions[i];
        log(LogTag::Mem, "  base {:#018x} length {:#018x} {}", region.base, region.length,
            boot::memory_type_name(region.type));
    }
    uint64_t usable = info.usable_bytes();
    log(LogTag::Mem, "usable memory: {} bytes ({} MiB)", usable, usable >> 20);
}

void log_image_layout()
{
    ImageRange image = kernel_image();
    log(LogTag::Mem, "kernel image: {} - {} (physical {:#x}, {} KiB)", image.start, image.end,
        image.physical_start(), image.size() / 1024);
    log(LogTag::Mem, "  text {} KiB, rodata {} KiB, data+bss {} KiB", text_section().size() / 1024,
        rodata_section().size() / 1024, data_section().size() / 1024);
}

void switch_to_kernel_address_space(bool no_execute, const boot::BootInfo& info)
{
    arch::KernelAddressSpace space = arch::build_kernel_address_space(no_execute, info.usable_top());
    // Without EFER.NXE the CPU ignores the NX bit: every page mapped is
    // executable, and the rights printed say so.
    const char* execute_right = space.no_execute ? " NX" : "X";
    log(LogTag::Mem,
        "kernel image mapped by section: text {} pages RX, rodata {} pages R{}, data+bss {} pages RW{}",
        space.text_pages, space.rodata_pages, execute_right, space.data_pages, execute_right);
    log(LogTag::Mem,
        "guard pages: {} unmapped (below the kernel stack and each IST stack); null page unmapped",
        space.guard_pages);
    log(LogTag::Mem, "direct map: {} MiB of physical memory at {:#x}, RW{}; no identity map",
        space.direct_map_bytes >> 20, mm::kDirectMapBase, execute_right);
    if (space.no_execute) {
        log(LogTag::Mem, "W^X check: {} writable+executable pages ({} pages mapped)",
            space.writable_executable_pages, space.mapped_pages);
    } else {
        log(LogTag::Mem,
            "warning: W^X cannot be enforced: the CPU has no NX ({} of the {} pages mapped are writable and "
            "executable)",
            space.writable_executable_pages, space.mapped_pages);
    }
}

void start_interrupts(const boot::BootInfo& info, const BootOptions& options)
{
    // The ACPI PM timer is the clock the PIT is measured against.
    discover_acpi(info);
    arch::start_interrupt_controllers_and_tick(options);
    if (drivers::init_keyboard())
        drivers::init_mouse();
    drivers::init_serial_input(g_com1);
    arch::enable_interrupts();
    // Proof that the tick arrives, at the rate asked for, and the TSC's
    // rate for the boot profile.
    measure_and_report_clocks(options.timer_hz);
}

// Before the other CPUs start: sizing BARs turns each function's decoding
// off for a moment, and nothing may use a device meanwhile.
void start_pci(const BootOptions& options)
{
    drivers::PciConfigChoice choice { platform_mcfg(), platform_mcfg_absence() };
    if (options.no_ecam)
        choice = { nullptr, "boot word noecam" };
    drivers::init_pci(choice);
}

void start_heap()
{
    // The TSC differs from boot to boot, so header check values do too.
    mm::init_kernel_heap(arch::read_timestamp_counter());
    mm::HeapStatistics stats = mm::kernel_heap_statistics();
    log(LogTag::Mem, "Heap allocator initialized at {:#x} (size: {} bytes)", mm::kHeapArenaBase,
        stats.bytes_held);

    // The seed's test allocation: 64 bytes, 8-byte aligned, written and read
    // back, still live when the statistics are printed.
    constexpr size_t kProbeWords = 8;
    auto* probe = static_cast<uint64_t*>(mm::kalloc(kProbeWords * sizeof(uint64_t), 8));
    if (probe == nullptr || reinterpret_cast<uintptr_t>(probe) % 8 != 0)
        PANIC("heap test allocation failed: {}", static_cast<void*>(probe));
    for (size_t i = 0; i < kProbeWords; ++i)
        probe[i] = 0x5241594F53000000ull + i; // "RAYOS" and an index
    for (size_t i = 0; i < kProbeWords; ++i) {
        if (probe[i] != 0x5241594F53000000ull + i)
            PANIC("heap block {} does not read back what was written", static_cast<void*>(probe));
    }
    log(LogTag::Mem, "Test allocation successful: {:#x}", reinterpret_cast<uintptr_t>(probe));
    stats = mm::kernel_heap_statistics();
    log(LogTag::Mem, "Stats: {}/{} bytes used, {} pages allocated", stats.bytes_in_use, stats.bytes_held,
        stats.pages_held);
    log(LogTag::Mem, "Heap: {} allocations, {} frees, peak {} bytes, {} bytes in blocks, {} metadata pages",
        stats.allocations, stats.frees, stats.peak_bytes_in_use, stats.block_bytes_in_use,
        stats.metadata_pages);
    mm::kfree(probe);
    mm::log_physical_memory();
}

} // namespace
} // namespace kernel

extern "C" [[noreturn]] void kernel_main(uint32_t multiboot_magic, uint64_t multiboot_info_physical)
{
    using namespace kernel;

    end_boot_phase("trampoline");
    const char* guard_source = seed_stack_protector();
    // Exceptions are reported from the first C++ statement on.
    arch::init_descriptor_tables();
    size_t constructors = run_global_constructors();
    init_console();
    log(LogTag::Boot, "{} booting (Multiboot2 information at {:#x})", rayos_version, multiboot_info_physical);
    if (!g_constructor_probe.constructed)
        PANIC("global constructors did not run");
    log(LogTag::Boot, "C++ runtime: {} global constructors run; stack protector guard from {}", constructors,
        guard_source);
    end_boot_phase("descriptor tables, C++ runtime, console");

    bool no_execute = arch::init_cpu();
    end_boot_phase("CPU identity and protections");

    boot::BootInfo boot_info = read_boot_info(multiboot_magic, multiboot_info_physical);
    log_boot_info(boot_info);
    BootOptions options = parse_boot_options(boot_info.command_line);
    sync::set_lockdep_enabled(options.lockdep);
    log(LogTag::Lockdep, "lock-order validator {}", options.lockdep ? "on" : "off (boot word lockdep=off)");
    end_boot_phase("boot information");

    log_image_layout();
    mm::init_physical_memory(boot_info);
    end_boot_phase("frame allocator");
    switch_to_kernel_address_space(no_execute, boot_info);
    end_boot_phase("kernel page tables");
    drivers::init_framebuffer_console(boot_info.framebuffer);
    end_boot_phase("screen console");
    start_heap();
    end_boot_phase("heap");
    start_interrupts(boot_info, options);
    end_boot_phase("interrupts, timer, keyboard");
    start_pci(options);
    end_boot_phase("PCI");
    start_application_processors(boot_info);
    end_boot_phase("other CPUs");
    sched::start_scheduler(options.timeslice_ms);
    log(LogTag::Mem, "read-only after init: {} pages (IDT, GDT, TSS, stack protector guard) sealed",
        seal_ro_after_init());
    end_boot_phase("scheduler, read-only seal");
    report_boot_profile();
    // Typing during boot is queued for later; say how much, so a flood that
    // came in while the clocks were measured is on the record.
    if (drivers::SerialInputCounts input = drivers::serial_input_counts(); input.arrived != 0)
        log(LogTag::Serial, "input during boot: {} bytes arrived, {} of them dropped (input queue full)",
            input.arrived, input.dropped);

    if (options.fault != nullptr)
        inject_fault(*options.fault, options.fault_cpu);

    report_ready_tsc();
    log(LogTag::Boot, "RayOS ready");
    if (options.benchmark) {
        mm::measure_heap_cycles(tsc_cycles_per_ms());
        sched::measure_thread_cycles(tsc_cycles_per_ms());
        sync::measure_mutex_cycles(tsc_cycles_per_ms());
    }
    if (options.run_tests) {
        ktest::set_torture_percent(options.torture_percent);
        ktest::RunSummary summary = ktest::run_tests(options.test_selection);
        bool passed = summary.selected > 0 && summary.failed == 0 && summary.timed_out == 0;
        drivers::qemu_exit(passed ? drivers::QemuExitCode::Success : drivers::QemuExitCode::Failure);
    }
    if (options.exit_when_ready)
        drivers::qemu_exit(drivers::QemuExitCode::Success);
    if (options.console)
        run_console();
    log(LogTag::Boot, "halted (boot with 'exit' to leave QEMU; in a terminal, Ctrl-A X quits)");
    // Idle with interrupts on, so drivers keep running. Typed input is
    // logged here, never in the interrupt handlers that queue it.
    for (;;) {
        arch::wait_for_interrupt();
        drivers::log_serial_input();
        drivers::log_keyboard_input();
        drivers::log_mouse_input();
        flush_log_screen();
    }
}
