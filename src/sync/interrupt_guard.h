#pragma once

// Disables interrupts for a scope and restores the state it found: a guard
// taken with interrupts already off leaves them off, so guards nest.

#include "arch/interrupts.h"

namespace sync {

class [[nodiscard]] InterruptGuard {
public:
    InterruptGuard()
        : m_were_enabled(arch::interrupts_enabled())
    {
        arch::disable_interrupts();
    }
    ~InterruptGuard()
    {
        if (m_were_enabled)
            arch::enable_interrupts();
    }

    bool were_enabled() const { return m_were_enabled; }

    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

private:
    bool m_were_enabled;
};

} // namespace sync
