#include "kernel/boot_options.h"

#include "drivers/pit.h"
#include "kernel/log.h"
#include "ktest/torture_scale.h"
#include "lib/command_line.h"

namespace kernel {
namespace {

enum class Value : uint8_t { None, Required, Optional };

// CPU numbers are indexes into a 64-bit set (kernel/cross_cpu_call.h).
constexpr uint64_t kMaxFaultCpu = 63;
constexpr uint64_t kMinTimesliceMs = 1;
constexpr uint64_t kMaxTimesliceMs = 1000;

struct KnownOption {
    lib::StringView name;
    Value value;
    // False when the value was refused (and a warning said why).
    bool (*apply)(BootOptions& options, lib::StringView value);
};

bool apply_fault(BootOptions& options, lib::StringView value)
{
    FaultLookup lookup = find_fault_kind(value);
    if (!lookup.known) {
        log(LogTag::Boot, "warning: unknown fault kind '{}' ignored (known: {})", value, fault_kind_names());
        return false;
    }
    options.fault = lookup.kind;
    return true;
}

// A decimal number in [minimum, maximum], or false.
bool parse_decimal(lib::StringView text, uint64_t minimum, uint64_t maximum, uint64_t& value)
{
    if (text.empty() || text.size() > 19)
        return false;
    value = 0;
    for (char c : text) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    return value >= minimum && value <= maximum;
}

bool apply_timer_hz(BootOptions& options, lib::StringView value)
{
    uint64_t hz = 0;
    if (!parse_decimal(value, drivers::kMinTimerHz, drivers::kMaxTimerHz, hz)) {
        log(LogTag::Boot, "warning: timer_hz='{}' is not a whole number from {} to {}; using {}", value,
            drivers::kMinTimerHz, drivers::kMaxTimerHz, options.timer_hz);
        return false;
    }
    options.timer_hz = static_cast<uint32_t>(hz);
    return true;
}

bool apply_timeslice_ms(BootOptions& options, lib::StringView value)
{
    uint64_t ms = 0;
    if (!parse_decimal(value, kMinTimesliceMs, kMaxTimesliceMs, ms)) {
        log(LogTag::Boot, "warning: timeslice_ms='{}' is not a whole number from {} to {}; using {}", value,
            kMinTimesliceMs, kMaxTimesliceMs, options.timeslice_ms);
        return false;
    }
    options.timeslice_ms = static_cast<uint32_t>(ms);
    return true;
}

// Checked against the CPUs online only when the fault is injected: they
// are not started yet when the words are read.
bool apply_fault_cpu(BootOptions& options, lib::StringView value)
{
    uint64_t cpu = 0;
    if (!parse_decimal(value, 0, kMaxFaultCpu, cpu)) {
        log(LogTag::Boot, "warning: fault_cpu='{}' is not a CPU number from 0 to {}; using {}", value,
            kMaxFaultCpu, options.fault_cpu);
        return false;
    }
    options.fault_cpu = static_cast<unsigned>(cpu);
    return true;
}

bool apply_torture_percent(BootOptions& options, lib::StringView value)
{
    uint64_t percent = 0;
    if (!parse_decimal(value, ktest::kMinTorturePercent, ktest::kMaxTorturePercent, percent)) {
        log(LogTag::Boot, "warning: torture_percent='{}' is not a whole number from {} to {}; using {}",
            value, ktest::kMinTorturePercent, ktest::kMaxTorturePercent, options.torture_percent);
        return false;
    }
    options.torture_percent = static_cast<unsigned>(percent);
    return true;
}

// The parsed words live in parse_boot_options's frame: a value kept past
// it needs storage of its own (the boot parses its options once).
char g_test_selection[lib::CommandLine::kMaxLength];

bool apply_test(BootOptions& options, lib::StringView value)
{
    options.run_tests = true;
    size_t length = value.size() < sizeof(g_test_selection) ? value.size() : sizeof(g_test_selection);
    for (size_t i = 0; i < length; ++i)
        g_test_selection[i] = value[i];
    options.test_selection = lib::StringView(g_test_selection, length);
    return true;
}

bool apply_lockdep(BootOptions& options, lib::StringView value)
{
    if (value == "on" || value == "off") {
        options.lockdep = value == "on";
        return true;
    }
    log(LogTag::Boot, "warning: lockdep='{}' ignored (on or off)", value);
    return false;
}

constexpr KnownOption kKnownOptions[] = {
    { "exit", Value::None,
        [](BootOptions& options, lib::StringView) { return options.exit_when_ready = true; } },
    { "bench", Value::None, [](BootOptions& options, lib::StringView) { return options.benchmark = true; } },
    { "console", Value::None, [](BootOptions& options, lib::StringView) { return options.console = true; } },
    { "fault", Value::Required, apply_fault },
    { "fault_cpu", Value::Required, apply_fault_cpu },
    { "test", Value::Optional, apply_test },
    { "timer_hz", Value::Required, apply_timer_hz },
    { "torture_percent", Value::Required, apply_torture_percent },
    { "timeslice_ms", Value::Required, apply_timeslice_ms },
    { "noapic", Value::None, [](BootOptions& options, lib::StringView) { return options.no_apic = true; } },
    { "noecam", Value::None, [](BootOptions& options, lib::StringView) { return options.no_ecam = true; } },
    { "lockdep", Value::Required, apply_lockdep },
};

constexpr size_t kOptionCount = sizeof(kKnownOptions) / sizeof(kKnownOptions[0]);

size_t option_index(lib::StringView name)
{
    for (size_t i = 0; i < kOptionCount; ++i) {
        if (kKnownOptions[i].name == name)
            return i;
    }
    return kOptionCount;
}

// After the ready line the kernel does one thing, and these words choose
// it. When several are given, the first in this order wins: a fault ends
// the boot where it happens, the tests end it with their own status, `exit`
// ends it at once, and `console` waits for a person. A breakpoint is
// reported and survived, so it ends nothing and conflicts with nothing.
struct Ending {
    lib::StringView option;
    bool (*given)(const BootOptions& options);
    void (*cancel)(BootOptions& options);
};

constexpr Ending kEndings[] = {
    { "fault", [](const BootOptions& o) { return fault_ends_the_boot(o.fault); },
        [](BootOptions& o) { o.fault = nullptr; } },
    { "test", [](const BootOptions& o) { return o.run_tests; }, [](BootOptions& o) { o.run_tests = false; } },
    { "exit", [](const BootOptions& o) { return o.exit_when_ready; },
        [](BootOptions& o) { o.exit_when_ready = false; } },
    { "console", [](const BootOptions& o) { return o.console; }, [](BootOptions& o) { o.console = false; } },
};

// Keeps the winning ending and cancels the others, one warning each naming
// both words as written. given[i] is the word that set kKnownOptions[i].
void resolve_endings(BootOptions& options, const lib::CommandLineWord* given)
{
    const lib::CommandLineWord* winner = nullptr;
    for (const Ending& ending : kEndings) {
        if (!ending.given(options))
            continue;
        const lib::CommandLineWord& word = given[option_index(ending.option)];
        if (winner == nullptr) {
            winner = &word;
            continue;
        }
        log(LogTag::Boot, "warning: '{}{}{}' and '{}{}{}' both given: '{}{}{}' wins, '{}{}{}' ignored",
            winner->key, winner->has_value ? "=" : "", winner->value, word.key, word.has_value ? "=" : "",
            word.value, winner->key, winner->has_value ? "=" : "", winner->value, word.key,
            word.has_value ? "=" : "", word.value);
        ending.cancel(options);
    }
}

// A dropped word as the warning shows it: whole when short, else its start.
constexpr size_t kShownDroppedBytes = 40;

void warn_dropped(lib::StringView text, const lib::CommandLine& words)
{
    for (size_t i = 0; i < words.dropped_count() && i < lib::CommandLine::kMaxDroppedKept; ++i) {
        lib::CommandLineError dropped = words.dropped(i);
        lib::StringView shown = text.substr(dropped.offset, dropped.length);
        const char* ellipsis = shown.size() > kShownDroppedBytes ? "..." : "";
        shown = shown.substr(0, kShownDroppedBytes);
        if (dropped.kind == lib::CommandLineError::Kind::EmptyKey)
            log(LogTag::Boot, "warning: dropped '{}{}' from the command line: {}", shown, ellipsis,
                dropped.describe());
        else
            log(LogTag::Boot,
                "warning: dropped '{}{}' and the rest of the command line ({} bytes from offset {}): {}",
                shown, ellipsis, dropped.length, dropped.offset, dropped.describe());
    }
    if (words.dropped_count() > lib::CommandLine::kMaxDroppedKept)
        log(LogTag::Boot, "warning: {} more malformed words dropped from the command line",
            words.dropped_count() - lib::CommandLine::kMaxDroppedKept);
}

} // namespace

BootOptions parse_boot_options(lib::StringView command_line)
{
    BootOptions options;
    lib::CommandLine words = lib::CommandLine::parse(command_line);
    warn_dropped(command_line, words);
    bool seen[kOptionCount] = {};
    lib::CommandLineWord given[kOptionCount] = {};
    for (size_t i = 0; i < words.size(); ++i) {
        lib::CommandLineWord word = words[i];
        size_t index = option_index(word.key);
        if (index == kOptionCount) {
            if (word.has_value)
                log(LogTag::Boot, "warning: unknown option '{}' (value '{}') ignored", word.key, word.value);
            else
                log(LogTag::Boot, "warning: unknown option '{}' ignored", word.key);
            continue;
        }
        const KnownOption& option = kKnownOptions[index];
        if (word.has_value && option.value == Value::None) {
            log(LogTag::Boot, "warning: option '{}' takes no value; '{}={}' ignored", word.key, word.key,
                word.value);
            continue;
        }
        if (!word.has_value && option.value == Value::Required) {
            log(LogTag::Boot, "warning: option '{}' needs a value ({}=...); ignored", word.key, word.key);
            continue;
        }
        if (seen[index])
            log(LogTag::Boot, "warning: option '{}' given more than once; the last one counts", word.key);
        seen[index] = true;
        if (option.apply(options, word.value))
            given[index] = word;
    }
    resolve_endings(options, given);
    return options;
}

} // namespace kernel
