#pragma once

// Keeps the calling thread on its CPU for a scope: the tick may still
// interrupt it, but never switches it away or moves it. For code that
// reads the CPU's index and must still be on that CPU when it uses it.
// Nests (a count per CPU); blocking inside one panics (might_sleep).

#include "arch/thread_context.h"

namespace sync {

class [[nodiscard]] PreemptionGuard {
public:
    PreemptionGuard() { arch::disable_preemption(); }
    ~PreemptionGuard() { arch::enable_preemption(); }
    PreemptionGuard(const PreemptionGuard&) = delete;
    PreemptionGuard& operator=(const PreemptionGuard&) = delete;
};

} // namespace sync
