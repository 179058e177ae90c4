#pragma once

// xorshift64*: a small, fast, repeatable sequence of pseudo-random numbers
// for tests, so that a failure can be replayed from its seed. Not for
// anything that must be unpredictable.

#include <stdint.h>

namespace lib {

class XorshiftRandom {
public:
    // A zero state would stay zero forever; it is replaced by a fixed one.
    explicit XorshiftRandom(uint64_t seed)
        : m_state(seed != 0 ? seed : 0x9E3779B97F4A7C15ull)
    {
    }
    uint64_t next()
    {
        m_state ^= m_state >> 12;
        m_state ^= m_state << 25;
        m_state ^= m_state >> 27;
        return m_state * 0x2545F4914F6CDD1Dull;
    }
    uint64_t below(uint64_t bound) { return next() % bound; }

private:
    uint64_t m_state;
};

} // namespace lib
