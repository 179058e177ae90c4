#pragma once

// Where a lock was declared and where it is taken: the lock-order validator
// (sync/lock_validator.h) names both in its reports. Plain data, no kernel
// runtime, so the validator's pure parts build for the host tests too.

#include <stddef.h>
#include <stdint.h>

namespace sync {

// A file and line. As a default argument, LockSite::current() is the
// caller's (GCC and clang both evaluate __builtin_FILE and __builtin_LINE
// at the outermost call; std::source_location would do the same, but the
// clang that lints the code lacks its builtin).
struct LockSite {
    const char* file = nullptr;
    uint32_t line = 0;

    static constexpr LockSite current(const char* file = __builtin_FILE(), uint32_t line = __builtin_LINE())
    {
        return LockSite { file, line };
    }
};

// A lock's class: what it is called and where it was declared. Every lock
// carries one; locks declared at the same place (each instance of one
// struct's member, say) share the class. Two locks declared in one class
// body report the class's line (GCC's location for an implicit
// constructor), so they are told apart by their names.
struct LockClassKey {
    const char* name = nullptr; // nullptr: the site alone names it
    LockSite declared;
    // The validator's number for the class, found on first acquisition;
    // 0 until then.
    uint16_t class_index = 0;
};

// Class numbers are 1 .. kMaxLockClasses - 1; 0 is "no class yet".
inline constexpr size_t kMaxLockClasses = 128;

// How many return addresses an acquisition keeps, innermost first.
inline constexpr size_t kAcquisitionFrames = 6;

// One acquisition: where it was taken and the callers above that place.
struct Acquisition {
    LockSite site;
    uint8_t frame_count = 0;
    uint64_t frames[kAcquisitionFrames] {};
};

} // namespace sync
