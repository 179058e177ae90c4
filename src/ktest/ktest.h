#pragma once

// Kernel tests: code that can only be tested inside the kernel (interrupt
// paths, page tables, the heap on real frames), written next to what it
// tests and reported as KTAP. A test is
//
//     KTEST(heap, alignments_are_honoured)
//     {
//         void* block = mm::kalloc(100, 64);
//         KASSERT_TRUE(block != nullptr);
//         KEXPECT_EQ(reinterpret_cast<uintptr_t>(block) % 64, 0u);
//     }
//
// KTEST registers it in the .kernel_tests section (the linker collects
// them; there is no list to edit). A KEXPECT that fails reports the check,
// both expressions and their values, file and line, and the test goes on; a
// KASSERT also leaves the test (by return: destructors run, so a test that
// holds frames or blocks through the owners of ktest/owners.h cleans up on
// every way out). KSKIP(reason...) leaves a test that cannot run on this
// machine, reported `ok N name # SKIP reason`. `test` on the command line
// runs them all, `test=<pattern>` some (src/ktest/runner.h).

#include <stdint.h>

#include "lib/format.h"
#include "lib/string_view.h"

namespace ktest {

class Context;
using TestFunction = void (*)(Context&);

// Runs only when a pattern names its suite: demonstrations of what a
// failure, a hang or a crash look like, never part of `test`.
inline constexpr uint32_t kExplicitOnly = 1;
inline constexpr uint32_t kDefaultTimeoutMs = 20000;

// The layout test/harness/kernel_tests.py reads from the ELF (through the
// pointers in .kernel_tests).
struct TestCase {
    const char* suite;
    const char* name;
    TestFunction function;
    const char* file;
    uint32_t line;
    uint32_t flags;
    uint32_t timeout_ms; // 0: kDefaultTimeoutMs
    uint32_t reserved;
};
static_assert(sizeof(TestCase) == 48);

// What a running test reports through; one a test.
class Context {
public:
    bool failed() const { return m_failed; }
    bool skipped() const { return m_skip_reason[0] != '\0'; }
    lib::StringView skip_reason() const { return lib::StringView(m_skip_reason); }
    void reset()
    {
        m_failed = false;
        m_skip_reason[0] = '\0';
    }

    void check_failed(const char* file, int line, const char* check, const char* expression);

    template <typename Left, typename Right>
    void comparison_failed(const char* file, int line, const char* check, const char* left_text,
        const char* right_text, const Left& left, const Right& right)
    {
        check_failed(file, line, check, nullptr, left_text, right_text);
        diagnostic("  {} = {}", left_text, left);
        diagnostic("  {} = {}", right_text, right);
    }

    // A "# ..." line in the test's KTAP output.
    template <typename... Args>
    void diagnostic(lib::StringView format, const Args&... args)
    {
        write_formatted(&Context::write_diagnostic, format, args...);
    }

    // Through KSKIP: the test cannot run here, and says why.
    template <typename... Args>
    void skip(lib::StringView format, const Args&... args)
    {
        write_formatted(&Context::write_skip_reason, format, args...);
    }

private:
    using Writer
        = void (Context::*)(lib::StringView format, const lib::FormatArgument* arguments, size_t count);

    template <typename... Args>
    void write_formatted(Writer writer, lib::StringView format, const Args&... args)
    {
        if constexpr (sizeof...(Args) == 0) {
            (this->*writer)(format, nullptr, 0);
        } else {
            const lib::FormatArgument arguments[] = { lib::make_format_argument(args)... };
            (this->*writer)(format, arguments, sizeof...(Args));
        }
    }
    void check_failed(const char* file, int line, const char* check, const char* expression, const char* left,
        const char* right);
    void write_diagnostic(lib::StringView format, const lib::FormatArgument* arguments, size_t count);
    void write_skip_reason(lib::StringView format, const lib::FormatArgument* arguments, size_t count);

    bool m_failed = false;
    char m_skip_reason[160] = {};
};

} // namespace ktest

// The section holds a pointer to each TestCase, not the cases themselves:
// GCC may align objects of 32 bytes or more to 32, which would leave gaps
// between cases; pointers are 8 bytes, 8-aligned, and pack.
#define KTEST_DEFINE(suite, name, flags, timeout_ms)                                                         \
    static void ktest_function_##suite##__##name(::ktest::Context&);                                         \
    static constinit const ::ktest::TestCase ktest_case_##suite##__##name { #suite, #name,                   \
        ktest_function_##suite##__##name, __FILE__, __LINE__, flags, timeout_ms, 0 };                        \
    [[gnu::used,                                                                                             \
        gnu::section(                                                                                        \
            ".kernel_tests")]] static constinit const ::ktest::TestCase* const ktest_entry_##suite##__##name \
        = &ktest_case_##suite##__##name;                                                                     \
    static void ktest_function_##suite##__##name([[maybe_unused]] ::ktest::Context& ktest_context)

#define KTEST(suite, name) KTEST_DEFINE(suite, name, 0, 0)
#define KTEST_EXPLICIT(suite, name, timeout_ms) KTEST_DEFINE(suite, name, ::ktest::kExplicitOnly, timeout_ms)

#define KTEST_COMPARE(check, op, left, right, on_failure)                                                    \
    do {                                                                                                     \
        const auto& ktest_left = (left);                                                                     \
        const auto& ktest_right = (right);                                                                   \
        if (!(ktest_left op ktest_right)) {                                                                  \
            ktest_context.comparison_failed(                                                                 \
                __FILE__, __LINE__, check, #left, #right, ktest_left, ktest_right);                          \
            on_failure;                                                                                      \
        }                                                                                                    \
    } while (0)

#define KTEST_CHECK(check, expression, holds, on_failure)                                                    \
    do {                                                                                                     \
        if (!(holds)) {                                                                                      \
            ktest_context.check_failed(__FILE__, __LINE__, check, expression);                               \
            on_failure;                                                                                      \
        }                                                                                                    \
    } while (0)

// Leaves the test as skipped, with the reason (a format and its values):
// for a test whose subject this machine lacks (no NX, too little memory).
#define KSKIP(...)                                                                                           \
    do {                                                                                                     \
        ktest_context.skip(__VA_ARGS__);                                                                     \
        return;                                                                                              \
    } while (0)

#define KEXPECT_EQ(left, right) KTEST_COMPARE("KEXPECT_EQ", ==, left, right, (void)0)
#define KEXPECT_NE(left, right) KTEST_COMPARE("KEXPECT_NE", !=, left, right, (void)0)
#define KEXPECT_LT(left, right) KTEST_COMPARE("KEXPECT_LT", <, left, right, (void)0)
#define KEXPECT_LE(left, right) KTEST_COMPARE("KEXPECT_LE", <=, left, right, (void)0)
#define KEXPECT_GT(left, right) KTEST_COMPARE("KEXPECT_GT", >, left, right, (void)0)
#define KEXPECT_GE(left, right) KTEST_COMPARE("KEXPECT_GE", >=, left, right, (void)0)
#define KEXPECT_TRUE(condition) KTEST_CHECK("KEXPECT_TRUE", #condition, condition, (void)0)
#define KEXPECT_FALSE(condition) KTEST_CHECK("KEXPECT_FALSE", #condition, !(condition), (void)0)
#define KASSERT_EQ(left, right) KTEST_COMPARE("KASSERT_EQ", ==, left, right, return )
#define KASSERT_NE(left, right) KTEST_COMPARE("KASSERT_NE", !=, left, right, return )
#define KASSERT_LE(left, right) KTEST_COMPARE("KASSERT_LE", <=, left, right, return )
#define KASSERT_GT(left, right) KTEST_COMPARE("KASSERT_GT", >, left, right, return )
#define KASSERT_GE(left, right) KTEST_COMPARE("KASSERT_GE", >=, left, right, return )
#define KASSERT_TRUE(condition) KTEST_CHECK("KASSERT_TRUE", #condition, condition, return )
#define KASSERT_FALSE(condition) KTEST_CHECK("KASSERT_FALSE", #condition, !(condition), return )
