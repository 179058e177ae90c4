// A small program for test_coverage_format.py: branches, a loop, a function
// never called, and an inline function two units could both emit.

namespace kernel {
void dump_coverage();
}

inline int twice(int value)
{
    return value * 2;
}

static int never_called(int value)
{
    return value + 1;
}

int classify(int value)
{
    if (value < 0)
        return -1;
    if (value == 0)
        return 0;
    return value > 100 ? 2 : 1;
}

int main(int argc, char**)
{
    int total = 0;
    for (int value = -3; value < 7 + argc; ++value)
        total += classify(value) + twice(value);
    if (total == 12345)
        total = never_called(total);
    kernel::dump_coverage();
    return total == 0 ? 1 : 0;
}
