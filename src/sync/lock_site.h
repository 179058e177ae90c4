#pragma once

// Where a lock was declared and where it is taken: the lock-order validator
// (sync/lock_validator.h) names both in its reports. Plain data, no kernel
// runtime, so the validator's pure parts build for the host tests too.

#include <stddef.h>
#include <stdint.h>

namespace sync {

// A file and line, from std::source_location at the call.
struct LockSite {
    const char* file = nullptr;
    uint32_t line = 0;
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
