#pragma once

// At most `limit` events a window of time go through; the rest are counted,
// so that one summary line a window can say how many were held back. Keeps
// a flood of input from turning into a flood of log lines. Pure logic:
// host-tested; the caller supplies the time.

#include <stdint.h>

namespace lib {

class RateLimit {
public:
    constexpr RateLimit(uint32_t limit, uint64_t window_ms)
        : m_limit(limit)
        , m_window_ms(window_ms)
    {
    }

    // Whether one more event may go through at now_ms; counts it if not.
    bool allow(uint64_t now_ms)
    {
        if (now_ms - m_window_start >= m_window_ms) {
            m_window_start = now_ms;
            m_allowed = 0;
        }
        if (m_allowed < m_limit) {
            ++m_allowed;
            return true;
        }
        ++m_held_back;
        return false;
    }

    // The events held back so far, once the window they fell in has closed
    // (0 before that), and from then on counted afresh.
    uint64_t take_held_back(uint64_t now_ms)
    {
        if (m_held_back == 0 || now_ms - m_window_start < m_window_ms)
            return 0;
        uint64_t held_back = m_held_back;
        m_held_back = 0;
        return held_back;
    }

    uint32_t limit() const { return m_limit; }
    uint64_t window_ms() const { return m_window_ms; }

private:
    uint32_t m_limit;
    uint64_t m_window_ms;
    uint64_t m_window_start = 0;
    uint32_t m_allowed = 0;
    uint64_t m_held_back = 0;
};

} // namespace lib
