// Kernel tests of the frame allocator on the machine's real memory map.

#include <stdint.h>

#include "arch/ap_startup.h"
#include "kernel/image_layout.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "mm/direct_map.h"
#include "mm/physical_memory.h"

namespace mm {

// The APs start on this page (asm/ap_trampoline.asm): a frame handed out
// would be overwritten by the trampoline at every AP start.
KTEST(frames, ap_trampoline_frame_is_never_handed_out)
{
    KEXPECT_FALSE(frame_may_be_handed_out(arch::kApTrampolinePhysical));
    KEXPECT_FALSE(frame_may_be_handed_out(arch::kApTrampolinePhysical + kFrameSize - 1));
}

KTEST(frames, statistics_add_up)
{
    FrameStatistics stats = frame_statistics();
    KEXPECT_EQ(stats.free + stats.used, stats.usable);
    KEXPECT_LE(stats.usable, stats.total);
    KEXPECT_GT(stats.free, 0u);
}

// Up to 2000 frames, or every free frame on a machine with fewer: then the
// allocator must also say it has none left.
KTEST(frames, frames_are_distinct_usable_memory_and_come_back)
{
    constexpr size_t kMaxCount = 2000;
    static uint64_t storage[kMaxCount];
    FrameStatistics before = frame_statistics();
    size_t count = before.free < kMaxCount ? before.free : kMaxCount;
    uint64_t image_start = kernel::kernel_image().physical_start();
    uint64_t image_end = image_start + kernel::kernel_image().size();
    {
        ktest::OwnedFrames frames(storage, count);
        for (size_t i = 0; i < count; ++i) {
            KASSERT_TRUE(frames.allocate());
            KEXPECT_EQ(frames[i] % kFrameSize, 0u);
            KEXPECT_GE(frames[i], 0x100000u); // never frame 0, never the first MiB
            KEXPECT_TRUE(frames[i] >= image_end || frames[i] + kFrameSize <= image_start);
            // Real memory: a word written through the direct map reads back.
            *physical_to_virtual<volatile uint64_t>(frames[i]) = frames[i] ^ 0xA5A5A5A5;
        }
        if (count == before.free) {
            uint64_t one_more = 0;
            ktest::OwnedFrames beyond(&one_more, 1);
            KEXPECT_FALSE(beyond.allocate());
        }
        // Insertion sort, then no two alike.
        for (size_t i = 1; i < count; ++i) {
            for (size_t j = i; j > 0 && frames[j - 1] > frames[j]; --j) {
                uint64_t swap = frames[j];
                frames[j] = frames[j - 1];
                frames[j - 1] = swap;
            }
        }
        for (size_t i = 0; i < count; ++i) {
            if (i > 0)
                KEXPECT_NE(frames[i - 1], frames[i]);
            KEXPECT_EQ(*physical_to_virtual<volatile uint64_t>(frames[i]), frames[i] ^ 0xA5A5A5A5);
        }
        KEXPECT_EQ(frame_statistics().free, before.free - count);
    }
    KEXPECT_EQ(frame_statistics().free, before.free);
}

} // namespace mm
