#include "arch/x86_64/backtrace.h"

#include "arch/backtrace.h"
#include "arch/safe_memory.h"
#include "arch/x86_64/gdt.h"
#include "kernel/log.h"
#include "kernel/symbols.h"
#include "lib/format.h"

namespace arch {
namespace {

using kernel::log;
using kernel::LogTag;

constexpr uint8_t kPushRbp = 0x55;

bool frame_lies_within(const StackRange& range, uint64_t address)
{
    return address >= range.bottom && address + 16 <= range.top;
}

// The stack holding [address, address + 16), or false. found: the stack of
// the frame before, tried first: a chain of frames seldom leaves its stack
// (an interrupt's frames lead into the code it interrupted), and asking the
// CPU's stacks again for every frame was a quarter of the 900 instructions
// each lock acquisition's backtrace took with the lock validator on
// (`bench` under -icount: a kalloc+kfree pair takes two).
bool frame_is_on_a_known_stack(uint64_t address, StackRange& found)
{
    if (frame_lies_within(found, address))
        return true;
    StackRange range;
    for (unsigned i = 0; known_stack(i, range); ++i) {
        if (frame_lies_within(range, address)) {
            found = range;
            return true;
        }
    }
    return false;
}

// A return address lands just after a call inside some function.
bool is_in_a_function(uint64_t return_address)
{
    return kernel::kernel_symbols().find(return_address - 1).found;
}

// Where the return address of code stopped at rip sits when its frame is not
// set up yet: at RSP before the push %rbp (or with no function at all: a call
// into data or the heap), at RSP + 8 after it. Zero when the frame is set up.
uint64_t unframed_return_address_slot(uint64_t rip, uint64_t rsp)
{
    lib::SymbolLocation location = kernel::kernel_symbols().find(rip);
    if (!location.found || location.offset == 0)
        return rsp;
    uint8_t first_byte = 0;
    if (location.offset == 1 && copy_from_kernel_nofault(&first_byte, rip - 1, 1) && first_byte == kPushRbp)
        return rsp + 8;
    return 0;
}

} // namespace

size_t walk_frame_pointers(uint64_t rbp, uint64_t* return_addresses, size_t capacity)
{
    size_t count = 0;
    StackRange stack {};
    while (count < capacity && rbp != 0 && rbp % 8 == 0 && frame_is_on_a_known_stack(rbp, stack)) {
        // Through the exception table: a frame that looks right but is not
        // mapped ends the walk instead of faulting inside a fault report.
        uint64_t caller_rbp = 0, return_address = 0;
        if (!read_word_nofault(rbp, caller_rbp) || !read_word_nofault(rbp + 8, return_address))
            break;
        if (return_address == 0)
            break;
        return_addresses[count++] = return_address;
        // Callers' frames lie above (stacks grow down); anything else is a
        // corrupt or circular chain.
        if (caller_rbp <= rbp)
            break;
        rbp = caller_rbp;
    }
    return count;
}

size_t walk_interrupted_frames(
    uint64_t rip, uint64_t rsp, uint64_t rbp, uint64_t* return_addresses, size_t capacity)
{
    size_t count = 0;
    StackRange stack {};
    uint64_t slot = unframed_return_address_slot(rip, rsp);
    uint64_t return_address = 0;
    // Only a word that is a return address into kernel code: a jump (not a
    // call) to a bad RIP leaves something else there.
    if (capacity > 0 && slot != 0 && slot % 8 == 0 && frame_is_on_a_known_stack(slot, stack)
        && read_word_nofault(slot, return_address) && is_in_a_function(return_address))
        return_addresses[count++] = return_address;
    return count + walk_frame_pointers(rbp, return_addresses + count, capacity - count);
}

void log_symbolized(lib::StringView label, uint64_t address, uint64_t lookup_address)
{
    lib::SymbolLocation location = kernel::kernel_symbols().find(lookup_address);
    if (location.found)
        log(LogTag::Fault, "{}{:#018x} {}+{:#x}", label, address,
            kernel::kernel_symbols().name_of(location).view(), location.offset + (address - lookup_address));
    else
        log(LogTag::Fault, "{}{:#018x} (no symbol)", label, address);
}

void log_return_addresses(const uint64_t* return_addresses, size_t count, size_t first_index)
{
    for (size_t i = 0; i < count; ++i) {
        char label[16];
        // A return address may be one past the end of a function that ends
        // in a call; look up the call instruction's last byte instead.
        log_symbolized(lib::format_to_buffer(label, sizeof(label), "  #{} ", first_index + i),
            return_addresses[i], return_addresses[i] - 1);
    }
}

// The running code's own chain, on every lock taken while the lock
// validator is on: frames on the stack that holds the first one are read
// with plain loads, as that stack is mapped while the code runs on it (the
// exception table's reads, two calls a frame, took a capture from 270
// instructions to 680). Where the chain leaves that stack (into frames of
// code an interrupt stopped), the careful walk takes over.
// backtrace_tests.cpp checks both walks find the same frames.
size_t capture_callers(uint64_t frame_pointer, uint64_t* return_addresses, size_t capacity)
{
    StackRange stack {};
    uint64_t rbp = frame_pointer;
    size_t count = 0;
    if (rbp % 8 == 0 && frame_is_on_a_known_stack(rbp, stack)) {
        while (count < capacity && rbp % 8 == 0 && frame_lies_within(stack, rbp)) {
            const auto* frame = reinterpret_cast<const uint64_t*>(rbp);
            uint64_t caller_rbp = frame[0];
            uint64_t return_address = frame[1];
            if (return_address == 0)
                return count;
            return_addresses[count++] = return_address;
            if (caller_rbp <= rbp) // as walk_frame_pointers: corrupt or circular
                return count;
            rbp = caller_rbp;
        }
    }
    if (count == capacity || rbp == 0)
        return count;
    return count + walk_frame_pointers(rbp, return_addresses + count, capacity - count);
}

void log_backtrace_from_frame(uint64_t frame_pointer)
{
    uint64_t callers[kMaxBacktraceFrames];
    size_t count = walk_frame_pointers(frame_pointer, callers, kMaxBacktraceFrames);
    log(LogTag::Fault, "backtrace of the panic:");
    log_return_addresses(callers, count, 0);
}

} // namespace arch
