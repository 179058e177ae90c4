// The runtime for the kernel's UndefinedBehaviorSanitizer (-fsanitize=...
// in meson.build): GCC calls these when a check fails. Each names the kind
// of undefined behaviour and the values involved, and panics at the source
// location of the check (file, line and column), so the [PANIC] line points
// at the bug, not at this file. Built without instrumentation of its own.
//
// The data layouts are GCC's and Clang's (libsanitizer's ubsan_handlers.h).
// Everything here is marked no_sanitize: a check failing inside the
// runtime would call the runtime again.

#include <stdint.h>

#include "kernel/panic.h"

#define NOT_SANITIZED [[gnu::no_sanitize_undefined]]

namespace {

struct SourceLocation {
    const char* file;
    uint32_t line;
    uint32_t column;
};

struct TypeDescriptor {
    uint16_t kind; // 0 integer, 1 float
    uint16_t info; // integer: bit 0 signed, bits 1+ log2(bit width)
    char name[1];
};

struct OverflowData {
    SourceLocation location;
    const TypeDescriptor* type;
};

struct ShiftData {
    SourceLocation location;
    const TypeDescriptor* left_type;
    const TypeDescriptor* right_type;
};

struct OutOfBoundsData {
    SourceLocation location;
    const TypeDescriptor* array_type;
    const TypeDescriptor* index_type;
};

struct TypeMismatchData {
    SourceLocation location;
    const TypeDescriptor* type;
    uint8_t log_alignment;
    uint8_t check_kind;
};

struct InvalidValueData {
    SourceLocation location;
    const TypeDescriptor* type;
};

struct UnreachableData {
    SourceLocation location;
};

struct NonNullArgData {
    SourceLocation location;
    SourceLocation attribute;
    int argument_index;
};

struct PointerOverflowData {
    SourceLocation location;
};

struct InvalidBuiltinData {
    SourceLocation location;
    uint8_t kind;
};

// The file as the project names it (src/...). The compiler records the
// path it opened, relative to the build folder: ../src/... from build/,
// ../../src/... from build/lean, ../../path/to/checkout/src/... from a
// folder outside the tree. So the name starts at the last directory
// called src (none sits inside src/).
NOT_SANITIZED const char* project_path(const char* file)
{
    if (file == nullptr)
        return "(unknown file)";
    const char* start = file;
    for (const char* at = file; *at != '\0'; ++at) {
        if ((at == file || at[-1] == '/') && at[0] == 's' && at[1] == 'r' && at[2] == 'c' && at[3] == '/')
            start = at;
    }
    return start;
}

NOT_SANITIZED bool is_signed(const TypeDescriptor* type)
{
    return type->kind == 0 && (type->info & 1) != 0;
}

template <typename... Args>
NOT_SANITIZED [[noreturn]] void report(
    const SourceLocation& where, lib::StringView format, const Args&... args)
{
    kernel::panic_at(project_path(where.file), static_cast<int>(where.line), format, args...);
}

// A value as the handler receives it: inline in the pointer when it fits.
NOT_SANITIZED int64_t as_signed(const TypeDescriptor* type, uintptr_t value)
{
    unsigned bits = 1u << (type->info >> 1);
    if (bits <= 64)
        return static_cast<int64_t>(value << (64 - bits)) >> (64 - bits);
    return static_cast<int64_t>(value);
}

NOT_SANITIZED [[noreturn]] void overflow(
    OverflowData* data, uintptr_t left, uintptr_t right, const char* operation)
{
    if (is_signed(data->type))
        report(data->location, "UBSan: signed integer overflow: {} {} {} in type {} (column {})",
            as_signed(data->type, left), operation, as_signed(data->type, right), data->type->name,
            data->location.column);
    report(data->location, "UBSan: unsigned integer overflow: {} {} {} in type {} (column {})", left,
        operation, right, data->type->name, data->location.column);
}

constexpr const char* kCheckKinds[] = { "load of", "store to", "reference binding to", "member access within",
    "member call on", "constructor call on", "downcast of", "downcast of", "upcast of",
    "cast to virtual base of", "_Nonnull binding to", "dynamic operation on" };

} // namespace

// The kernel builds with -fno-sanitize-recover: every check calls the
// _abort variant (except the two that never recover anyway).
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_add_overflow_abort(
    OverflowData* data, uintptr_t left, uintptr_t right)
{
    overflow(data, left, right, "+");
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_sub_overflow_abort(
    OverflowData* data, uintptr_t left, uintptr_t right)
{
    overflow(data, left, right, "-");
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_mul_overflow_abort(
    OverflowData* data, uintptr_t left, uintptr_t right)
{
    overflow(data, left, right, "*");
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_negate_overflow_abort(
    OverflowData* data, uintptr_t value)
{
    report(data->location, "UBSan: negation of {} cannot be represented in type {} (column {})",
        as_signed(data->type, value), data->type->name, data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_divrem_overflow_abort(
    OverflowData* data, uintptr_t left, uintptr_t right)
{
    if (as_signed(data->type, right) == 0)
        report(data->location, "UBSan: division by zero in type {} (column {})", data->type->name,
            data->location.column);
    report(data->location, "UBSan: division of {} by {} overflows type {} (column {})",
        as_signed(data->type, left), as_signed(data->type, right), data->type->name, data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_shift_out_of_bounds_abort(
    ShiftData* data, uintptr_t left, uintptr_t right)
{
    int64_t exponent = as_signed(data->right_type, right);
    unsigned bits = 1u << (data->left_type->info >> 1);
    if (is_signed(data->right_type) && exponent < 0)
        report(data->location, "UBSan: shift exponent {} is negative (column {})", exponent,
            data->location.column);
    if (static_cast<uint64_t>(exponent) >= bits)
        report(data->location, "UBSan: shift exponent {} is too large for {}-bit type {} (column {})",
            exponent, bits, data->left_type->name, data->location.column);
    report(data->location,
        "UBSan: left shift of {} by {} places cannot be represented in type {} (column {})",
        as_signed(data->left_type, left), exponent, data->left_type->name, data->location.column);
}

extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_out_of_bounds_abort(
    OutOfBoundsData* data, uintptr_t index)
{
    report(data->location, "UBSan: index {} out of bounds for type {} (column {})",
        as_signed(data->index_type, index), data->array_type->name, data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_type_mismatch_v1_abort(
    TypeMismatchData* data, uintptr_t pointer)
{
    const char* what = data->check_kind < sizeof(kCheckKinds) / sizeof(kCheckKinds[0])
        ? kCheckKinds[data->check_kind]
        : "access to";
    if (pointer == 0)
        report(data->location, "UBSan: {} null pointer of type {} (column {})", what, data->type->name,
            data->location.column);
    uint64_t alignment = 1ull << data->log_alignment;
    if ((pointer & (alignment - 1)) != 0)
        report(data->location,
            "UBSan: {} misaligned address {:#x} for type {}, which needs {}-byte alignment "
            "(column {})",
            what, pointer, data->type->name, alignment, data->location.column);
    report(data->location, "UBSan: {} address {:#x} with insufficient space for type {} (column {})", what,
        pointer, data->type->name, data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_load_invalid_value_abort(
    InvalidValueData* data, uintptr_t value)
{
    report(data->location, "UBSan: load of value {} is not valid for type {} (column {})", value,
        data->type->name, data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_builtin_unreachable(UnreachableData* data)
{
    report(data->location, "UBSan: execution reached an unreachable program point (column {})",
        data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_missing_return(UnreachableData* data)
{
    report(data->location,
        "UBSan: execution reached the end of a value-returning function without returning "
        "a value (column {})",
        data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_vla_bound_not_positive_abort(
    OverflowData* data, uintptr_t bound)
{
    report(data->location, "UBSan: variable-length array bound {} is not positive (column {})",
        as_signed(data->type, bound), data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_nonnull_arg_abort(NonNullArgData* data)
{
    report(data->location,
        "UBSan: null pointer passed as argument {}, which is declared never null (column {})",
        data->argument_index, data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_nonnull_return_v1_abort(
    UnreachableData* data, SourceLocation*)
{
    report(data->location,
        "UBSan: null pointer returned from a function declared never to return null "
        "(column {})",
        data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_pointer_overflow_abort(
    PointerOverflowData* data, uintptr_t base, uintptr_t result)
{
    report(data->location, "UBSan: pointer arithmetic on {:#x} overflowed to {:#x} (column {})", base, result,
        data->location.column);
}
extern "C" NOT_SANITIZED [[noreturn]] void __ubsan_handle_invalid_builtin_abort(InvalidBuiltinData* data)
{
    report(data->location, "UBSan: {} called with zero, which is undefined (column {})",
        data->kind == 0 ? "__builtin_ctz" : "__builtin_clz", data->location.column);
}
