#include "arch/x86_64/backtrace.h"

#include "arch/safe_memory.h"
#include "arch/x86_64/gdt.h"

namespace arch {
namespace {

// The stack holding [address, address + 16), or false.
bool frame_is_on_a_known_stack(uint64_t address, StackRange& found)
{
    StackRange range;
    for (unsigned i = 0; known_stack(i, range); ++i) {
        if (address >= range.bottom && address + 16 <= range.top) {
            found = range;
            return true;
        }
    }
    return false;
}

} // namespace

size_t walk_frame_pointers(uint64_t rbp, uint64_t* return_addresses, size_t capacity)
{
    size_t count = 0;
    StackRange stack;
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

} // namespace arch
