#include "arch/x86_64/exceptions.h"

#include "arch/cpu.h"
#include "arch/cpu_stop.h"
#include "arch/page_size.h"
#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/exception_error_codes.h"
#include "arch/x86_64/exception_table.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/per_cpu.h"
#include "arch/x86_64/vectors.h"
#include "drivers/qemu_exit.h"
#include "kernel/log.h"
#include "kernel/panic.h"
#include "sched/thread.h"

namespace arch {
namespace {

using kernel::log;
using kernel::LogTag;

// Intel SDM Vol. 3A 6.3.1, Table 6-1.
constexpr ExceptionInfo kExceptions[kExceptionVectorCount] = {
    { "#DE", "Divide Error", false },
    { "#DB", "Debug", false },
    { "NMI", "Non-Maskable Interrupt", false },
    { "#BP", "Breakpoint", false },
    { "#OF", "Overflow", false },
    { "#BR", "BOUND Range Exceeded", false },
    { "#UD", "Invalid Opcode", false },
    { "#NM", "Device Not Available", false },
    { "#DF", "Double Fault", true },
    { "#CSO", "Coprocessor Segment Overrun", false },
    { "#TS", "Invalid TSS", true },
    { "#NP", "Segment Not Present", true },
    { "#SS", "Stack-Segment Fault", true },
    { "#GP", "General Protection", true },
    { "#PF", "Page Fault", true },
    { "#15", "Reserved", false },
    { "#MF", "x87 Floating-Point Error", false },
    { "#AC", "Alignment Check", true },
    { "#MC", "Machine Check", false },
    { "#XM", "SIMD Floating-Point Exception", false },
    { "#VE", "Virtualization Exception", false },
    { "#CP", "Control Protection", true },
    { "#22", "Reserved", false },
    { "#23", "Reserved", false },
    { "#24", "Reserved", false },
    { "#25", "Reserved", false },
    { "#26", "Reserved", false },
    { "#27", "Reserved", false },
    { "#HV", "Hypervisor Injection", false },
    { "#VC", "VMM Communication", true },
    { "#SX", "Security Exception", true },
    { "#31", "Reserved", false },
};

// Page-fault error code, Intel SDM Vol. 3A 4.7, Figure 4-12.
void log_page_fault_error(uint64_t code)
{
    PageFaultError error(code);
    log(LogTag::Fault, "  error code {:#x}: {}, {}, {}{}{}", code,
        error.present() ? "protection violation" : "not-present page", error.write() ? "write" : "read",
        error.user() ? "user" : "supervisor", error.reserved_bit() ? ", reserved bit set" : "",
        error.instruction_fetch() ? ", instruction fetch" : "");
}

// Selector error code (#TS, #NP, #SS, #GP), Intel SDM Vol. 3A 6.13.
void log_selector_error(uint64_t code)
{
    if (code == 0) {
        log(LogTag::Fault, "  error code 0x0: not caused by a segment selector");
        return;
    }
    SelectorErrorCode error(code);
    const char* table = error.idt() ? "IDT" : (error.local() ? "LDT" : "GDT");
    log(LogTag::Fault, "  error code {:#x}: selector index {} in the {}, external event: {}", code,
        error.index(), table, error.external() ? "yes" : "no");
}

// A page fault on a guard page is a stack overflow; name the stack.
bool report_guard_page_hit(uint64_t address)
{
    StackRange range;
    for (unsigned i = 0; known_stack(i, range); ++i) {
        if (address >= range.guard && address < range.guard + kPageSize) {
            log(LogTag::Fault, "  stack overflow: guard page {:#x} of the {} ({:#x}-{:#x}) was hit",
                range.guard, range.name, range.bottom, range.top);
            return true;
        }
    }
    return false;
}

void report(const InterruptFrame& frame)
{
    const ExceptionInfo& info = exception_info(frame.vector);
    uint64_t cr2 = Cr2::read().value();
    log(LogTag::Fault, "{} {} (vector {}) in {} mode on CPU {}", info.mnemonic, info.name, frame.vector,
        (frame.cs & 3) ? "user" : "kernel", current_cpu_index());
    sched::log_current_thread_for_report();

    if (frame.vector == kPageFaultVector) {
        log_page_fault_error(frame.error_code);
        log(LogTag::Fault, "  CR2 {:#018x} (the address accessed)", cr2);
        report_guard_page_hit(cr2);
    } else if (frame.vector == kDoubleFaultVector) {
        // A #DF from a stack overflow: the #PF on the guard page could not be
        // delivered on the same stack; CR2 still holds the guard address.
        if (!report_guard_page_hit(cr2))
            log(LogTag::Fault, "  CR2 {:#018x}", cr2);
    } else if (has_selector_error_code(frame.vector)) {
        log_selector_error(frame.error_code);
    } else if (info.has_error_code) {
        log(LogTag::Fault, "  error code {:#x}", frame.error_code);
    }

    log_symbolized("  RIP ", frame.rip, frame.rip);
    log(LogTag::Fault, "  RSP {:#018x} RFLAGS {:#010x} CS {:#06x} SS {:#06x}", frame.rsp, frame.rflags,
        frame.cs, frame.ss);
    log(LogTag::Fault, "  CR0 {:#018x} CR2 {:#018x} CR3 {:#018x} CR4 {:#018x}", Cr0::read().value(), cr2,
        Cr3::read().value(), Cr4::read().value());
    log(LogTag::Fault, "  RAX {:#018x} RBX {:#018x} RCX {:#018x} RDX {:#018x}", frame.rax, frame.rbx,
        frame.rcx, frame.rdx);
    log(LogTag::Fault, "  RSI {:#018x} RDI {:#018x} RBP {:#018x} R8  {:#018x}", frame.rsi, frame.rdi,
        frame.rbp, frame.r8);
    log(LogTag::Fault, "  R9  {:#018x} R10 {:#018x} R11 {:#018x} R12 {:#018x}", frame.r9, frame.r10,
        frame.r11, frame.r12);
    log(LogTag::Fault, "  R13 {:#018x} R14 {:#018x} R15 {:#018x}", frame.r13, frame.r14, frame.r15);

    log(LogTag::Fault, "backtrace:");
    log_symbolized("  #0 ", frame.rip, frame.rip);
    uint64_t callers[kMaxBacktraceFrames];
    size_t count = walk_interrupted_frames(frame.rip, frame.rsp, frame.rbp, callers, kMaxBacktraceFrames);
    log_return_addresses(callers, count, 1);
}

[[noreturn]] void nested_exception(const InterruptFrame& frame, uint64_t outer_vector)
{
    kernel::claim_fatal_report();
    // Keep this path minimal: whatever failed in the report may fail again.
    log(LogTag::Panic,
        "nested exception: {} (vector {}) at RIP {:#x} while handling {} (vector {}) on CPU {}",
        exception_info(frame.vector).mnemonic, frame.vector, frame.rip, exception_info(outer_vector).mnemonic,
        outer_vector, current_cpu_index());
    drivers::qemu_exit(drivers::QemuExitCode::Failure);
}

} // namespace

const ExceptionInfo& exception_info(uint64_t vector)
{
    return kExceptions[vector % kExceptionVectorCount];
}

void handle_exception(InterruptFrame& frame)
{
    // The reporting CPU's request to stop (cpu_stop.h): halts, no report.
    if (frame.vector == kNmiVector)
        halt_if_stop_requested();
    // A read listed in the exception table (safe_memory.h): not a fault to
    // report but an error to return, even inside a report.
    if ((frame.vector == kPageFaultVector || frame.vector == kGeneralProtectionVector)
        && (frame.cs & 3) == 0) {
        if (uint64_t resume_at = exception_fixup(frame.rip)) {
            frame.rip = resume_at;
            return;
        }
    }
    // Per CPU: one CPU's report is not interrupted by another's fault.
    PerCpu& cpu = this_cpu();
    if (cpu.exception_depth > 0)
        nested_exception(frame, cpu.outer_exception_vector);
    ++cpu.exception_depth;
    cpu.outer_exception_vector = frame.vector;

    if (frame.vector == kBreakpointVector) {
        // int3 is a trap: RIP already points past it, so returning resumes.
        log(LogTag::Fault, "#BP Breakpoint (vector 3) in kernel mode on CPU {}: resuming", cpu.index);
        log_symbolized("  RIP ", frame.rip, frame.rip - 1);
        --cpu.exception_depth;
        return;
    }

    kernel::claim_fatal_report();
    report(frame);
    const ExceptionInfo& info = exception_info(frame.vector);
    // The report's backtrace is the one that matters, and the panic line
    // names where the CPU faulted, not this handler.
    PANIC_AT_FAULT(frame.rip, "unhandled {} {} in kernel mode", info.mnemonic, info.name);
}

} // namespace arch
