// The heap's block records and poison (src/mm/heap_block_checks.h) on a
// plain buffer: a record is only recognised as written, at its own address,
// under its own secret; poison covers exactly what was asked, and the check
// names the first byte the test itself changed.

#include "mm/heap_block_checks.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

constexpr uint64_t kSecret = 0x243F6A8885A308D3ull;

struct alignas(16) Buffer {
    uint8_t bytes[512];
};

uintptr_t address_of(Buffer& buffer, size_t offset = 0)
{
    return reinterpret_cast<uintptr_t>(buffer.bytes) + offset;
}

TEST(HeapBlockChecks, AWrittenRecordIsRecognisedOnlyByItsMagic)
{
    Buffer buffer {};
    mm::write_record(kSecret, address_of(buffer), mm::kLiveMagic, 40, 0);
    EXPECT_TRUE(mm::record_is(kSecret, address_of(buffer), mm::kLiveMagic));
    EXPECT_FALSE(mm::record_is(kSecret, address_of(buffer), mm::kFreedMagic));
    EXPECT_FALSE(mm::record_is(kSecret, address_of(buffer), mm::kPadMagic));
    EXPECT_EQ(mm::record_at(address_of(buffer)).size, 40u);
}

TEST(HeapBlockChecks, EveryFlippedBitOfARecordIsCaught)
{
    Buffer buffer {};
    uintptr_t record = address_of(buffer);
    for (size_t bit = 0; bit < mm::kHeapHeaderSize * 8; ++bit) {
        mm::write_record(kSecret, record, mm::kLiveMagic, 1000, 32);
        buffer.bytes[bit / 8] ^= uint8_t(1u << (bit % 8));
        EXPECT_FALSE(mm::record_is(kSecret, record, mm::kLiveMagic)) << "bit " << bit;
    }
}

TEST(HeapBlockChecks, ARecordCopiedElsewhereOrUnderAnotherSecretIsNotOneOfTheHeaps)
{
    Buffer buffer {};
    mm::write_record(kSecret, address_of(buffer), mm::kLiveMagic, 64, 0);
    std::memcpy(buffer.bytes + 64, buffer.bytes, mm::kHeapHeaderSize);
    EXPECT_FALSE(mm::record_is(kSecret, address_of(buffer, 64), mm::kLiveMagic));
    EXPECT_FALSE(mm::record_is(kSecret ^ 1, address_of(buffer), mm::kLiveMagic));
}

TEST(HeapBlockChecks, PoisonCoversExactlyTheLengthAsked)
{
    Buffer buffer {};
    mm::fill_poison(address_of(buffer, 16), 256);
    for (size_t i = 0; i < sizeof(buffer.bytes); ++i) {
        bool inside = i >= 16 && i < 16 + 256;
        EXPECT_EQ(buffer.bytes[i], inside ? mm::kHeapPoisonByte : 0) << "byte " << i;
    }
    EXPECT_TRUE(mm::check_poison(address_of(buffer, 16), 256, address_of(buffer)).has_value());
}

// A slab block's prefix, at every length slab_poison_length gives (16, 32
// and 48 bytes): filled exactly, and every byte of it checked, none after.
TEST(HeapBlockChecks, APrefixIsPoisonedAndCheckedExactlyAtItsLength)
{
    for (size_t length : { 16, 32, 48 }) {
        Buffer buffer {};
        mm::fill_prefix_poison(address_of(buffer, 16), length);
        for (size_t i = 0; i < sizeof(buffer.bytes); ++i) {
            bool inside = i >= 16 && i < 16 + length;
            EXPECT_EQ(buffer.bytes[i], inside ? mm::kHeapPoisonByte : 0)
                << "length " << length << ", byte " << i;
        }
        EXPECT_TRUE(mm::prefix_holds_poison(address_of(buffer, 16), length)) << "length " << length;
        for (size_t changed = 16; changed < 16 + length + 16; ++changed) {
            mm::fill_prefix_poison(address_of(buffer, 16), length);
            uint8_t kept = buffer.bytes[changed];
            buffer.bytes[changed] ^= 0x01;
            bool inside = changed < 16 + length;
            EXPECT_EQ(mm::prefix_holds_poison(address_of(buffer, 16), length), !inside)
                << "length " << length << ", byte " << changed;
            buffer.bytes[changed] = kept;
        }
    }
    static_assert(mm::slab_poison_length(32) == 16 && mm::slab_poison_length(48) == 32
        && mm::slab_poison_length(64) == 48 && mm::slab_poison_length(mm::kMaxSlabStride) == 48);
}

TEST(HeapBlockChecks, ThePoisonCheckNamesTheFirstChangedByteFromTheBlock)
{
    Buffer buffer {};
    uintptr_t block = address_of(buffer);
    for (size_t changed = 16; changed < 16 + 256; ++changed) {
        mm::fill_poison(address_of(buffer, 16), 256);
        buffer.bytes[changed] = 0;
        buffer.bytes[16 + 255] = 0; // a later change is not the one named
        auto checked = mm::check_poison(address_of(buffer, 16), 256, block);
        ASSERT_FALSE(checked.has_value()) << "byte " << changed;
        EXPECT_EQ(checked.error().kind, mm::HeapErrorKind::UseAfterFree);
        EXPECT_EQ(checked.error().address, block);
        EXPECT_EQ(checked.error().detail, changed) << "byte " << changed;
    }
}

} // namespace
