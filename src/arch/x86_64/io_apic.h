#pragma once

// The I/O APICs (Intel 82093AA datasheet, sections 3.0-3.2.4): each owns a
// range of global system interrupts (GSIs), one redirection entry per pin,
// reached through an index/data register pair in a 4 KiB window mapped
// uncached. The MADT says where they are; the version register says how
// many pins each has.

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/register_bits.h"

namespace arch {

inline constexpr size_t kMaxIoApics = 16;

// One redirection table entry (82093AA 3.2.4).
struct RedirectionEntry : RegisterBits<RedirectionEntry> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(vector, 0, 8)
    REGISTER_FIELD(delivery_mode, 8, 3) // 0: fixed
    REGISTER_BIT(logical_destination, 11)
    REGISTER_BIT(active_low, 13)
    REGISTER_BIT(remote_irr, 14)
    REGISTER_BIT(level_triggered, 15)
    REGISTER_BIT(masked, 16)
    REGISTER_FIELD(destination, 56, 8) // a physical APIC ID
};
static_assert(RedirectionEntry().set_masked(true).value() == 0x10000);
static_assert(RedirectionEntry().set_destination(3).set_vector(0x30).value() == 0x0300000000000030);

struct IoApic {
    uint8_t id;
    uint64_t physical;
    uint32_t gsi_base;
    uint32_t pin_count; // from the version register
    uint8_t version;
};

// Maps the I/O APIC's window, reads its version register and masks every
// pin. Returns it as registered, or nullptr when kMaxIoApics are known or no
// frame was left for a page table.
const IoApic* add_io_apic(uint8_t id, uint64_t physical, uint32_t gsi_base);

// Points gsi at vector on the CPU with APIC ID destination, unmasked.
// False when no I/O APIC serves gsi.
bool route_gsi(uint32_t gsi, uint8_t vector, bool active_low, bool level_triggered, uint32_t destination);

// The entry as programmed now (for reports and tests); false when no I/O
// APIC serves gsi.
bool read_gsi(uint32_t gsi, RedirectionEntry& entry);

} // namespace arch
