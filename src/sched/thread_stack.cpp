#include "sched/thread_stack.h"

#include "arch/paging.h"
#include "mm/physical_memory.h"
#include "sync/spinlock.h"

namespace sched {
namespace {

static_assert(kThreadStackBytes % arch::kPageSize == 0);
static_assert(kThreadStackSlotBytes >= kThreadStackBytes + arch::kPageSize, "room for the guard page");
static_assert(kThreadStackSlots * kThreadStackSlotBytes <= (uint64_t { 1 } << 39), "one PML4 slot");

struct SlotMap {
    uint64_t used[kThreadStackSlots / 64] = {};
    size_t next_hint = 0;
};
sync::Locked<SlotMap> g_slots;

bool take_slot(size_t& slot)
{
    return g_slots.with([&](SlotMap& map) {
        for (size_t step = 0; step < kThreadStackSlots / 64; ++step) {
            size_t word = (map.next_hint + step) % (kThreadStackSlots / 64);
            if (map.used[word] == ~uint64_t { 0 })
                continue;
            auto bit = static_cast<unsigned>(__builtin_ctzll(~map.used[word]));
            map.used[word] |= uint64_t { 1 } << bit;
            map.next_hint = word;
            slot = word * 64 + bit;
            return true;
        }
        return false;
    });
}

void give_back_slot(size_t slot)
{
    g_slots.with([&](SlotMap& map) { map.used[slot / 64] &= ~(uint64_t { 1 } << (slot % 64)); });
}

// The pages of [bottom, end) (a stack, or the part of one mapped when
// mapping failed) unmapped in one go, and their frames freed.
void unmap_range(uint64_t bottom, uint64_t end)
{
    arch::unmap_and_free_kernel_pages(bottom, (end - bottom) / arch::kPageSize);
}

} // namespace

bool allocate_thread_stack(ThreadStack& stack)
{
    size_t slot;
    if (!take_slot(slot))
        return false;
    uint64_t guard = kThreadStackRegionBase + slot * kThreadStackSlotBytes;
    uint64_t bottom = guard + arch::kPageSize;
    for (uint64_t address = bottom; address < bottom + kThreadStackBytes; address += arch::kPageSize) {
        auto frame = mm::allocate_frame();
        if (!frame || !arch::map_kernel_data_page(address, frame.value())) {
            if (frame)
                mm::free_frame(frame.value());
            unmap_range(bottom, address);
            give_back_slot(slot);
            return false;
        }
    }
    stack = { guard, bottom, bottom + kThreadStackBytes };
    return true;
}

void free_thread_stack(const ThreadStack& stack)
{
    unmap_range(stack.bottom, stack.top);
    give_back_slot((stack.guard - kThreadStackRegionBase) / kThreadStackSlotBytes);
}

} // namespace sched
