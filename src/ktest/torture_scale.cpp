#include "ktest/torture_scale.h"

namespace ktest {
namespace {

unsigned g_percent = kMaxTorturePercent;

} // namespace

void set_torture_percent(unsigned percent)
{
    g_percent = percent < kMinTorturePercent ? kMinTorturePercent
        : percent > kMaxTorturePercent       ? kMaxTorturePercent
                                             : percent;
}

unsigned torture_percent()
{
    return g_percent;
}

unsigned torture_operations(unsigned full)
{
    auto scaled
        = static_cast<unsigned>(static_cast<unsigned long long>(full) * g_percent / kMaxTorturePercent);
    return scaled == 0 ? 1 : scaled;
}

} // namespace ktest
