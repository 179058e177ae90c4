#include "arch/x86_64/io_apic.h"

#include "arch/page_size.h"
#include "arch/paging.h"
#include "sync/spinlock.h"

namespace arch {
namespace {

// Register indices behind IOREGSEL (82093AA 3.1, 3.2).
constexpr uint32_t kVersionRegister = 0x01;
constexpr uint32_t kFirstRedirectionRegister = 0x10; // pin n: 0x10 + 2n (low), + 1 (high)
// IOREGSEL at offset 0, IOWIN at 0x10, in 32-bit words.
constexpr size_t kSelectWord = 0;
constexpr size_t kWindowWord = 4;

struct VersionRegister : RegisterBits<VersionRegister, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(version, 0, 8)
    REGISTER_FIELD(max_redirection_entry, 16, 8)
};

IoApic g_io_apics[kMaxIoApics];
size_t g_io_apic_count = 0;
// The select/window pair is one shared cursor: one access at a time.
sync::Spinlock g_lock;

volatile uint32_t* window_of(size_t index)
{
    return reinterpret_cast<volatile uint32_t*>(kIoApicWindowBase + index * kPageSize);
}

uint32_t read_io_apic_register(size_t index, uint32_t reg)
{
    volatile uint32_t* window = window_of(index);
    window[kSelectWord] = reg;
    return window[kWindowWord];
}

void write_io_apic_register(size_t index, uint32_t reg, uint32_t value)
{
    volatile uint32_t* window = window_of(index);
    window[kSelectWord] = reg;
    window[kWindowWord] = value;
}

void write_entry(size_t index, uint32_t pin, RedirectionEntry entry)
{
    uint32_t low = kFirstRedirectionRegister + 2 * pin;
    // Masked first, so the pin never fires with half an entry written.
    write_io_apic_register(index, low, RedirectionEntry().set_masked(true).value());
    write_io_apic_register(index, low + 1, static_cast<uint32_t>(entry.value() >> 32));
    write_io_apic_register(index, low, static_cast<uint32_t>(entry.value()));
}

RedirectionEntry read_entry(size_t index, uint32_t pin)
{
    uint32_t low = kFirstRedirectionRegister + 2 * pin;
    return RedirectionEntry(read_io_apic_register(index, low)
        | static_cast<uint64_t>(read_io_apic_register(index, low + 1)) << 32);
}

// The I/O APIC serving gsi, or kMaxIoApics.
size_t owner_of(uint32_t gsi)
{
    for (size_t i = 0; i < g_io_apic_count; ++i) {
        const IoApic& io_apic = g_io_apics[i];
        if (gsi >= io_apic.gsi_base && gsi - io_apic.gsi_base < io_apic.pin_count)
            return i;
    }
    return kMaxIoApics;
}

} // namespace

const IoApic* add_io_apic(uint8_t id, uint64_t physical, uint32_t gsi_base)
{
    sync::SpinlockGuard guard(g_lock);
    if (g_io_apic_count == kMaxIoApics)
        return nullptr;
    size_t index = g_io_apic_count;
    if (!map_device_page(kIoApicWindowBase + index * kPageSize, physical))
        return nullptr;
    VersionRegister version(read_io_apic_register(index, kVersionRegister));
    IoApic& io_apic = g_io_apics[index];
    io_apic = { id, physical, gsi_base, static_cast<uint32_t>(version.max_redirection_entry()) + 1,
        static_cast<uint8_t>(version.version()) };
    for (uint32_t pin = 0; pin < io_apic.pin_count; ++pin)
        write_entry(index, pin, RedirectionEntry().set_masked(true));
    ++g_io_apic_count;
    return &io_apic;
}

bool route_gsi(uint32_t gsi, uint8_t vector, bool active_low, bool level_triggered, uint32_t destination)
{
    sync::SpinlockGuard guard(g_lock);
    size_t index = owner_of(gsi);
    if (index == kMaxIoApics)
        return false;
    write_entry(index, gsi - g_io_apics[index].gsi_base,
        RedirectionEntry()
            .set_vector(vector)
            .set_active_low(active_low)
            .set_level_triggered(level_triggered)
            .set_destination(destination));
    return true;
}

bool read_gsi(uint32_t gsi, RedirectionEntry& entry)
{
    sync::SpinlockGuard guard(g_lock);
    size_t index = owner_of(gsi);
    if (index == kMaxIoApics)
        return false;
    entry = read_entry(index, gsi - g_io_apics[index].gsi_base);
    return true;
}

} // namespace arch
