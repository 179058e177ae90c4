#pragma once

// Atomics over GCC's __atomic builtins. Not std::atomic: GCC 12's <atomic>
// includes <bits/atomic_wait.h>, which pulls in glibc's <unistd.h>, a
// hosted header the kernel must not depend on.

namespace lib {

enum class MemoryOrder : int {
    Relaxed = __ATOMIC_RELAXED,
    Acquire = __ATOMIC_ACQUIRE,
    Release = __ATOMIC_RELEASE,
    SequentiallyConsistent = __ATOMIC_SEQ_CST,
};

template <typename T>
class Atomic {
public:
    constexpr Atomic() = default;
    constexpr Atomic(T value)
        : m_value(value)
    {
    }
    Atomic(const Atomic&) = delete;
    Atomic& operator=(const Atomic&) = delete;

    T load(MemoryOrder order = MemoryOrder::SequentiallyConsistent) const
    {
        return __atomic_load_n(&m_value, static_cast<int>(order));
    }
    void store(T value, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        __atomic_store_n(&m_value, value, static_cast<int>(order));
    }
    T exchange(T value, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        return __atomic_exchange_n(&m_value, value, static_cast<int>(order));
    }
    T fetch_add(T delta, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        return __atomic_fetch_add(&m_value, delta, static_cast<int>(order));
    }
    T fetch_or(T bits, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        return __atomic_fetch_or(&m_value, bits, static_cast<int>(order));
    }
    T fetch_and(T bits, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        return __atomic_fetch_and(&m_value, bits, static_cast<int>(order));
    }

private:
    T m_value {};
};

} // namespace lib
