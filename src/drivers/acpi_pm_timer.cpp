#include "drivers/acpi_pm_timer.h"

#include "arch/x86_64/io_port.h"
#include "drivers/clock_cross_check.h"

namespace drivers {
namespace {

constinit arch::IoPort g_pm_timer_port(0);
constinit bool g_present = false;
constinit bool g_counts_32_bits = false;

static_assert(pm_timer_delta(0xFFFFF0, 0x000010, false) == 0x20, "a 24-bit counter wraps at 2^24");
static_assert(pm_timer_delta(0xFFFFFFF0, 0x10, true) == 0x20, "a 32-bit counter wraps at 2^32");

} // namespace

void init_pm_timer(uint16_t port, bool counts_32_bits)
{
    g_pm_timer_port = arch::IoPort(port);
    g_counts_32_bits = counts_32_bits;
    g_present = true;
}

bool pm_timer_present()
{
    return g_present;
}

uint16_t pm_timer_port()
{
    return g_pm_timer_port.number();
}

bool pm_timer_counts_32_bits()
{
    return g_counts_32_bits;
}

uint32_t read_pm_timer()
{
    auto value = g_pm_timer_port.read<uint32_t>();
    // ACPI 6.4 4.8.3.3: bits 31:24 of a 24-bit timer are reserved.
    return g_counts_32_bits ? value : value & 0x00FFFFFF;
}

PmStopwatch::PmStopwatch()
    : m_last(read_pm_timer())
{
}

uint64_t PmStopwatch::elapsed()
{
    return elapsed_at(read_pm_timer());
}

uint64_t PmStopwatch::elapsed_at(uint32_t now)
{
    m_counts += pm_timer_delta(m_last, now, g_counts_32_bits);
    m_last = now;
    return m_counts;
}

} // namespace drivers
