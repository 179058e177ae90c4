// The frame allocator under contention from every CPU at once (issue 13).
// Each CPU keeps a table of frames and, for kFrameTortureRounds rounds of kFrameTortureOpsPerRound
// operations, picks a slot at random: an empty one gets a frame, a full one
// gives its frame back. A frame handed out is marked in a bitmap all CPUs
// share (one bit a frame, set with an atomic fetch-or: a bit already set
// means the allocator handed the frame out twice) and filled, through the
// direct map, with a tag naming the CPU, the slot and a generation, which
// must still be there when it is given back (another CPU writing its own
// tag into it is the same fault, seen the other way). At the end every
// frame is back and the free count is where it was. Under -smp 1 it is the
// same test on one CPU.

#include <new>
#include <stddef.h>
#include <stdint.h>

#include "ktest/all_cpus.h"
#include "ktest/ktest.h"
#include "ktest/owners.h"
#include "ktest/torture_scale.h"
#include "lib/atomic.h"
#include "lib/xorshift_random.h"
#include "mm/direct_map.h"
#include "mm/physical_memory.h"

namespace mm {
namespace {

constexpr unsigned kFrameTortureRounds = 4;
constexpr unsigned kFrameTortureOpsPerRound = 5000;
constexpr unsigned kFrameTortureSlots = 32;
constexpr size_t kWordsPerFrame = kFrameSize / 8;

struct HeldFrame {
    uint64_t physical; // 0: the slot is empty (frame 0 is never handed out)
    uint64_t tag;
};

class FrameTorture : public ktest::SlotTorture<FrameTorture, HeldFrame, kFrameTortureSlots> {
public:
    FrameTorture(HeldFrame* rows, lib::Atomic<uint64_t>* bitmap)
        : SlotTorture(rows, kFrameTortureRounds, ktest::torture_operations(kFrameTortureOpsPerRound))
        , m_handed_out(bitmap)
    {
    }

    static bool is_full(const HeldFrame& held) { return held.physical != 0; }

    void fill(HeldFrame& held, uint64_t tag, lib::XorshiftRandom&, ktest::CpuCounts& counts,
        ktest::CpuFailure& failure)
    {
        auto frame = allocate_frame();
        if (!frame) {
            ++counts.out_of_memory;
            return;
        }
        ++counts.allocations;
        held = HeldFrame { frame.value(), tag };
        uint64_t bit = uint64_t { 1 } << (frame_number(held) % 64);
        uint64_t was = m_handed_out[frame_number(held) / 64].fetch_or(bit);
        if ((was & bit) != 0)
            failure.record("frame handed out twice", held.physical, 0, 1);
        auto* words = physical_to_virtual<uint64_t>(held.physical);
        for (size_t i = 0; i < kWordsPerFrame; ++i)
            words[i] = ktest::tag_word(held.tag, i);
    }

    void empty(HeldFrame& held, ktest::CpuCounts& counts, ktest::CpuFailure& failure)
    {
        const auto* words = physical_to_virtual<const uint64_t>(held.physical);
        for (size_t i = 0; i < kWordsPerFrame; ++i) {
            if (words[i] != ktest::tag_word(held.tag, i)) {
                failure.record(
                    "frame tag overwritten", held.physical + i * 8, ktest::tag_word(held.tag, i), words[i]);
                break;
            }
        }
        // The bit is cleared before the frame goes back: once it is back,
        // another CPU may be handed it and set the bit again.
        uint64_t bit = uint64_t { 1 } << (frame_number(held) % 64);
        uint64_t was = m_handed_out[frame_number(held) / 64].fetch_and(~bit);
        if ((was & bit) == 0)
            failure.record("frame's bit cleared by another CPU", held.physical, 1, 0);
        free_frame(held.physical);
        ++counts.frees;
        held.physical = 0;
    }

    static void between_rounds() { }

private:
    static uint64_t frame_number(const HeldFrame& held) { return held.physical / kFrameSize; }

    lib::Atomic<uint64_t>* m_handed_out; // one bit a frame
};

} // namespace

KTEST_DEFINE(frame_torture, every_cpu_allocates_and_frees_at_once, 0, 60000)
{
    // Tables and bitmap come from the heap before the free count is taken.
    size_t bitmap_words = (frame_statistics().total + 63) / 64;
    ktest::OwnedBlock bitmap(bitmap_words * sizeof(lib::Atomic<uint64_t>), alignof(lib::Atomic<uint64_t>));
    ktest::OwnedBlock tables(
        sizeof(HeldFrame) * kFrameTortureSlots * ktest::kMaxTestCpus, alignof(HeldFrame));
    KASSERT_TRUE(bitmap);
    KASSERT_TRUE(tables);
    auto* handed_out = bitmap.as<lib::Atomic<uint64_t>>();
    for (size_t i = 0; i < bitmap_words; ++i)
        new (&handed_out[i]) lib::Atomic<uint64_t>(0);
    FrameTorture torture(tables.as<HeldFrame>(), handed_out);

    FrameStatistics before = frame_statistics();
    ktest::run_on_every_cpu(torture);
    FrameStatistics after = frame_statistics();

    ktest::report_counts(ktest_context, "frame", kFrameTortureRounds,
        ktest::torture_operations(kFrameTortureOpsPerRound), torture.counts);
    KEXPECT_TRUE(ktest::no_cpu_failed(ktest_context, torture.failures));
    for (size_t i = 0; i < bitmap_words; ++i)
        KASSERT_EQ(handed_out[i].load(), 0u);
    KEXPECT_EQ(after.free, before.free);
}

} // namespace mm
