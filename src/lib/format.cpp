#include "lib/format.h"

namespace lib {
namespace {

enum class Align : uint8_t { Default, Left, Right, Centre };

struct FormatSpec {
    char fill = ' ';
    Align align = Align::Default;
    bool alternate = false; // '#'
    bool zero_pad = false; // '0'
    size_t width = 0;
    char type = '\0';
};

constexpr size_t kMaxWidth = 256;

bool is_align(char c)
{
    return c == '<' || c == '>' || c == '^';
}

Align align_from(char c)
{
    switch (c) {
    case '<':
        return Align::Left;
    case '>':
        return Align::Right;
    default:
        return Align::Centre;
    }
}

bool is_known_type(char c)
{
    StringView types("dxXbocsp");
    return types.find(c) != StringView::kNotFound;
}

// Parses the text between ':' and '}'. Returns false when it is malformed.
bool parse_spec(StringView text, FormatSpec& spec)
{
    size_t i = 0;
    if (text.size() >= 2 && is_align(text[1])) {
        spec.fill = text[0];
        spec.align = align_from(text[1]);
        i = 2;
    } else if (!text.empty() && is_align(text[0])) {
        spec.align = align_from(text[0]);
        i = 1;
    }
    if (i < text.size() && text[i] == '#') {
        spec.alternate = true;
        ++i;
    }
    if (i < text.size() && text[i] == '0') {
        spec.zero_pad = true;
        ++i;
    }
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        spec.width = spec.width * 10 + static_cast<size_t>(text[i] - '0');
        if (spec.width > kMaxWidth)
            return false;
        ++i;
    }
    if (i < text.size()) {
        if (!is_known_type(text[i]))
            return false;
        spec.type = text[i];
        ++i;
    }
    return i == text.size();
}

void put_repeated(FormatSink& sink, char c, size_t count)
{
    for (size_t i = 0; i < count; ++i)
        sink.put(c);
}

// Writes body with the spec's width and alignment. prefix (sign, 0x) goes
// before zero padding, so "{:#010x}" gives 0x0000abcd as std::format does.
void write_padded(
    FormatSink& sink, const FormatSpec& spec, StringView prefix, StringView body, Align natural_align)
{
    size_t length = prefix.size() + body.size();
    size_t padding = spec.width > length ? spec.width - length : 0;
    if (spec.zero_pad && spec.align == Align::Default) {
        sink.write(prefix);
        put_repeated(sink, '0', padding);
        sink.write(body);
        return;
    }
    Align align = spec.align == Align::Default ? natural_align : spec.align;
    size_t before = 0;
    if (align == Align::Right)
        before = padding;
    else if (align == Align::Centre)
        before = padding / 2;
    put_repeated(sink, spec.fill, before);
    sink.write(prefix);
    sink.write(body);
    put_repeated(sink, spec.fill, padding - before);
}

void write_integer(FormatSink& sink, const FormatSpec& spec, uint64_t magnitude, bool negative)
{
    unsigned base = 10;
    StringView digits_table = "0123456789abcdef";
    StringView alternate_prefix;
    switch (spec.type) {
    case 'x':
        base = 16;
        alternate_prefix = "0x";
        break;
    case 'X':
        base = 16;
        digits_table = "0123456789ABCDEF";
        alternate_prefix = "0X";
        break;
    case 'b':
        base = 2;
        alternate_prefix = "0b";
        break;
    case 'o':
        base = 8;
        alternate_prefix = "0o";
        break;
    default:
        break;
    }

    char digits[64];
    size_t count = 0;
    do {
        digits[sizeof(digits) - 1 - count] = digits_table[magnitude % base];
        magnitude /= base;
        ++count;
    } while (magnitude != 0);

    char prefix[3];
    size_t prefix_length = 0;
    if (negative)
        prefix[prefix_length++] = '-';
    if (spec.alternate) {
        for (char c : alternate_prefix)
            prefix[prefix_length++] = c;
    }
    write_padded(sink, spec, StringView(prefix, prefix_length),
        StringView(digits + sizeof(digits) - count, count), Align::Right);
}

void write_argument(FormatSink& sink, const FormatSpec& spec, const FormatArgument& argument)
{
    using Kind = FormatArgument::Kind;
    switch (argument.kind) {
    case Kind::Signed: {
        if (spec.type == 'c') {
            char c = static_cast<char>(argument.signed_value);
            write_padded(sink, spec, {}, StringView(&c, 1), Align::Left);
            return;
        }
        int64_t value = argument.signed_value;
        // Negate in unsigned arithmetic: -INT64_MIN does not fit in int64_t.
        uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
        write_integer(sink, spec, magnitude, value < 0);
        return;
    }
    case Kind::Unsigned:
        if (spec.type == 'c') {
            char c = static_cast<char>(argument.unsigned_value);
            write_padded(sink, spec, {}, StringView(&c, 1), Align::Left);
            return;
        }
        write_integer(sink, spec, argument.unsigned_value, false);
        return;
    case Kind::Boolean:
        if (spec.type != '\0' && spec.type != 's') {
            write_integer(sink, spec, argument.boolean ? 1 : 0, false);
            return;
        }
        write_padded(sink, spec, {}, argument.boolean ? "true" : "false", Align::Left);
        return;
    case Kind::Character:
        if (spec.type != '\0' && spec.type != 'c') {
            write_integer(sink, spec, static_cast<unsigned char>(argument.character), false);
            return;
        }
        write_padded(sink, spec, {}, StringView(&argument.character, 1), Align::Left);
        return;
    case Kind::String:
        write_padded(sink, spec, {}, StringView(argument.string.data, argument.string.size), Align::Left);
        return;
    case Kind::Pointer: {
        FormatSpec pointer_spec = spec;
        auto address = reinterpret_cast<uintptr_t>(argument.pointer);
        if (spec.type == '\0' || spec.type == 'p') {
            // Full width, so addresses line up in logs and compare as text.
            pointer_spec.type = 'x';
            pointer_spec.alternate = true;
            pointer_spec.zero_pad = true;
            pointer_spec.width = 18;
        }
        write_integer(sink, pointer_spec, address, false);
        return;
    }
    }
}

} // namespace

void format_arguments(
    FormatSink& sink, StringView format, const FormatArgument* arguments, size_t argument_count)
{
    size_t next_argument = 0;
    size_t i = 0;
    while (i < format.size()) {
        char c = format[i];
        if (c == '}') {
            // "}}" is one brace; a lone '}' is printed as it is.
            sink.put('}');
            i += (i + 1 < format.size() && format[i + 1] == '}') ? 2 : 1;
            continue;
        }
        if (c != '{') {
            sink.put(c);
            ++i;
            continue;
        }
        if (i + 1 < format.size() && format[i + 1] == '{') {
            sink.put('{');
            i += 2;
            continue;
        }
        size_t close = format.find('}', i + 1);
        if (close == StringView::kNotFound) {
            sink.write("{?}");
            return;
        }
        StringView inside = format.substr(i + 1, close - i - 1);
        i = close + 1;

        FormatSpec spec;
        bool well_formed = inside.empty() || (inside[0] == ':' && parse_spec(inside.substr(1), spec));
        if (!well_formed) {
            // Still consume its argument so the ones after it stay in place.
            sink.write("{?}");
            ++next_argument;
            continue;
        }
        if (next_argument >= argument_count) {
            sink.write("{missing}");
            continue;
        }
        write_argument(sink, spec, arguments[next_argument++]);
    }
}

} // namespace lib
