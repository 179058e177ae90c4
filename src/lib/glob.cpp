#include "lib/glob.h"

namespace lib {

bool glob_match(StringView pattern, StringView text)
{
    // Greedy with one backtrack point: on a mismatch, let the last '*'
    // swallow one more character. Linear in practice, never recursive.
    size_t p = 0, t = 0;
    size_t star = StringView::kNotFound, resume_text = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume_text = t;
        } else if (star != StringView::kNotFound) {
            p = star + 1;
            t = ++resume_text;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

} // namespace lib
