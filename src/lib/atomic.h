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
    // Stores desired when the value is expected, and says whether it did;
    // otherwise expected receives the value found.
    bool compare_exchange(T& expected, T desired, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        return __atomic_compare_exchange_n(&m_value, &expected, desired, false, static_cast<int>(order),
            static_cast<int>(order == MemoryOrder::Release ? MemoryOrder::Relaxed : order));
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

// An enum in an atomic of its underlying integer (Clang's __atomic builtins
// take integers and pointers only).
template <typename E>
class AtomicEnum {
    using Integer = __underlying_type(E);

public:
    constexpr AtomicEnum() = default;
    constexpr AtomicEnum(E value)
        : m_value(static_cast<Integer>(value))
    {
    }

    E load(MemoryOrder order = MemoryOrder::SequentiallyConsistent) const
    {
        return static_cast<E>(m_value.load(order));
    }
    void store(E value, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        m_value.store(static_cast<Integer>(value), order);
    }
    bool compare_exchange(E& expected, E desired, MemoryOrder order = MemoryOrder::SequentiallyConsistent)
    {
        auto integer = static_cast<Integer>(expected);
        bool exchanged = m_value.compare_exchange(integer, static_cast<Integer>(desired), order);
        expected = static_cast<E>(integer);
        return exchanged;
    }

private:
    Atomic<Integer> m_value;
};

} // namespace lib
