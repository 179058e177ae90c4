#pragma once

// Storage for a global object that the kernel constructs at a point of its
// choosing. A global whose defaults are not all zero bytes (a lock's
// declaration site, a flag that starts true) is stored in .data, and GRUB
// reads every byte of .data from the ISO at each boot (about 90 ms a MiB
// under TCG); this storage is all zeros until construct(), so it sits in
// .bss, which costs nothing to load.
//
//   lib::LateInit<Scheduler> g_scheduler;      // .bss
//   g_scheduler.construct(arguments...);        // once, before any use
//   g_scheduler->run();

#include <new>

namespace lib {

template <typename T>
class LateInit {
public:
    constexpr LateInit() = default;
    LateInit(const LateInit&) = delete;
    LateInit& operator=(const LateInit&) = delete;

    template <typename... Args>
    T& construct(Args&&... arguments)
    {
        return *new (m_storage) T(static_cast<Args&&>(arguments)...);
    }

    T& operator*() { return *std::launder(reinterpret_cast<T*>(m_storage)); }
    const T& operator*() const { return *std::launder(reinterpret_cast<const T*>(m_storage)); }
    T* operator->() { return &**this; }
    const T* operator->() const { return &**this; }

private:
    alignas(T) unsigned char m_storage[sizeof(T)] {};
};

} // namespace lib
