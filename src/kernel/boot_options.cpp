#include "kernel/boot_options.h"

#include "drivers/pit.h"
#include "kernel/log.h"
#include "lib/command_line.h"

namespace kernel {
namespace {

enum class Value : uint8_t { None, Required, Optional };

struct KnownOption {
    lib::StringView name;
    Value value;
    void (*apply)(BootOptions& options, lib::StringView value);
};

void apply_fault(BootOptions& options, lib::StringView value)
{
    FaultLookup lookup = find_fault_kind(value);
    if (!lookup.known) {
        log(LogTag::Boot, "warning: unknown fault kind '{}' ignored (known: {})", value, fault_kind_names());
        return;
    }
    options.fault = lookup.kind;
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

void apply_timer_hz(BootOptions& options, lib::StringView value)
{
    uint64_t hz = 0;
    if (!parse_decimal(value, drivers::kMinTimerHz, drivers::kMaxTimerHz, hz)) {
        log(LogTag::Boot, "warning: timer_hz='{}' is not a whole number from {} to {}; using {}", value,
            drivers::kMinTimerHz, drivers::kMaxTimerHz, options.timer_hz);
        return;
    }
    options.timer_hz = static_cast<uint32_t>(hz);
}

// The parsed words live in parse_boot_options's frame: a value kept past
// it needs storage of its own (the boot parses its options once).
char g_test_selection[lib::CommandLine::kMaxLength];

void apply_test(BootOptions& options, lib::StringView value)
{
    options.run_tests = true;
    size_t length = value.size() < sizeof(g_test_selection) ? value.size() : sizeof(g_test_selection);
    for (size_t i = 0; i < length; ++i)
        g_test_selection[i] = value[i];
    options.test_selection = lib::StringView(g_test_selection, length);
}

constexpr KnownOption kKnownOptions[] = {
    { "exit", Value::None, [](BootOptions& options, lib::StringView) { options.exit_when_ready = true; } },
    { "bench", Value::None, [](BootOptions& options, lib::StringView) { options.benchmark = true; } },
    { "console", Value::None, [](BootOptions& options, lib::StringView) { options.console = true; } },
    { "fault", Value::Required, apply_fault },
    { "test", Value::Optional, apply_test },
    { "timer_hz", Value::Required, apply_timer_hz },
};

const KnownOption* find_option(lib::StringView name)
{
    for (const KnownOption& option : kKnownOptions) {
        if (option.name == name)
            return &option;
    }
    return nullptr;
}

} // namespace

BootOptions parse_boot_options(lib::StringView command_line)
{
    BootOptions options;
    auto parsed = lib::CommandLine::parse(command_line);
    if (!parsed) {
        log(LogTag::Boot, "warning: command line ignored: {} (at offset {})", parsed.error().describe(),
            parsed.error().offset);
        return options;
    }
    const lib::CommandLine& words = parsed.value();
    bool seen[sizeof(kKnownOptions) / sizeof(kKnownOptions[0])] = {};
    for (size_t i = 0; i < words.size(); ++i) {
        lib::CommandLineWord word = words[i];
        const KnownOption* option = find_option(word.key);
        if (option == nullptr) {
            if (word.has_value)
                log(LogTag::Boot, "warning: unknown option '{}' (value '{}') ignored", word.key, word.value);
            else
                log(LogTag::Boot, "warning: unknown option '{}' ignored", word.key);
            continue;
        }
        if (word.has_value && option->value == Value::None) {
            log(LogTag::Boot, "warning: option '{}' takes no value; '{}={}' ignored", word.key, word.key,
                word.value);
            continue;
        }
        if (!word.has_value && option->value == Value::Required) {
            log(LogTag::Boot, "warning: option '{}' needs a value ({}=...); ignored", word.key, word.key);
            continue;
        }
        bool& given_before = seen[option - kKnownOptions];
        if (given_before)
            log(LogTag::Boot, "warning: option '{}' given more than once; the last one counts", word.key);
        given_before = true;
        option->apply(options, word.value);
    }
    return options;
}

} // namespace kernel
