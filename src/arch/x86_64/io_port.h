#pragma once

// Typed x86 port I/O. Drivers hold an IoPort (or a base port plus register
// offsets) and call read<T>()/write<T>(); only this header contains the
// in/out instructions.

#include <stddef.h>
#include <stdint.h>

#include "lib/type_traits.h"

namespace arch {

template <typename T>
concept PortValue = lib::SameAs<T, uint8_t> || lib::SameAs<T, uint16_t> || lib::SameAs<T, uint32_t>;

class IoPort {
public:
    constexpr explicit IoPort(uint16_t number)
        : m_number(number)
    {
    }

    constexpr uint16_t number() const { return m_number; }
    constexpr IoPort offset(uint16_t delta) const { return IoPort(static_cast<uint16_t>(m_number + delta)); }

    template <PortValue T>
    T read() const
    {
        T value;
        if constexpr (sizeof(T) == 1)
            asm volatile("inb %w1, %b0" : "=a"(value) : "Nd"(m_number) : "memory");
        else if constexpr (sizeof(T) == 2)
            asm volatile("inw %w1, %w0" : "=a"(value) : "Nd"(m_number) : "memory");
        else
            asm volatile("inl %w1, %k0" : "=a"(value) : "Nd"(m_number) : "memory");
        return value;
    }

    template <PortValue T>
    void write(T value) const
    {
        if constexpr (sizeof(T) == 1)
            asm volatile("outb %b0, %w1" : : "a"(value), "Nd"(m_number) : "memory");
        else if constexpr (sizeof(T) == 2)
            asm volatile("outw %w0, %w1" : : "a"(value), "Nd"(m_number) : "memory");
        else
            asm volatile("outl %k0, %w1" : : "a"(value), "Nd"(m_number) : "memory");
    }

    // count bytes from data, in order, with one rep outsb: for devices that
    // take a stream (QEMU's debug console), where QEMU pays a round trip per
    // instruction, not per byte.
    void write_bytes(const void* data, size_t count) const
    {
        asm volatile("rep outsb" : "+S"(data), "+c"(count) : "d"(m_number) : "memory");
    }

private:
    uint16_t m_number;
};

// A short delay for devices that need time between accesses (the 8259 PIC
// on old chipsets): a write to port 0x80, the POST diagnostic port, which
// nothing listens to and which takes about a microsecond.
inline void io_wait()
{
    IoPort(0x80).write<uint8_t>(0);
}

} // namespace arch
