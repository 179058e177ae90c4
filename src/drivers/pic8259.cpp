#include "drivers/pic8259.h"

#include "arch/x86_64/idt.h"
#include "arch/x86_64/io_port.h"
#include "arch/x86_64/vectors.h"

namespace drivers {
namespace {

constexpr arch::IoPort kMasterCommand(0x20);
constexpr arch::IoPort kMasterData(0x21);
constexpr arch::IoPort kSlaveCommand(0xA0);
constexpr arch::IoPort kSlaveData(0xA1);

// Initialization command words (8259A datasheet, "Initialization Command Words").
constexpr uint8_t kIcw1Init = 0x10; // start initialization
constexpr uint8_t kIcw1NeedsIcw4 = 0x01;
constexpr uint8_t kIcw3SlaveOnIrq2 = 0x04; // master: a slave on line 2
constexpr uint8_t kIcw3SlaveIdentity = 2; // slave: my cascade identity
constexpr uint8_t kIcw48086Mode = 0x01;
// Operation command words.
constexpr uint8_t kOcw2EndOfInterrupt = 0x20;
constexpr uint8_t kOcw3ReadInService = 0x0B;

constexpr uint8_t kCascadeIrq = 2;
constexpr uint8_t kMasterSpuriousIrq = 7;
constexpr uint8_t kSlaveSpuriousIrq = 15;

IrqHandler g_pic_irq_handlers[kIrqCount];
PicStatistics g_statistics;

uint8_t in_service(arch::IoPort command)
{
    command.write<uint8_t>(kOcw3ReadInService);
    return command.read<uint8_t>();
}

void set_mask(uint8_t irq, bool masked)
{
    arch::IoPort data = irq < 8 ? kMasterData : kSlaveData;
    auto bit = static_cast<uint8_t>(1u << (irq % 8));
    auto mask = data.read<uint8_t>();
    data.write<uint8_t>(masked ? (mask | bit) : (mask & ~bit));
}

// An IRQ 7 or 15 whose in-service bit is clear was a spurious interrupt (a
// line that dropped before the CPU acknowledged it): no EOI for it, except
// that the master did see the cascade for a spurious IRQ 15.
bool is_spurious(uint8_t irq)
{
    if (irq == kMasterSpuriousIrq && !(in_service(kMasterCommand) & 0x80)) {
        ++g_statistics.spurious_irq7;
        return true;
    }
    if (irq == kSlaveSpuriousIrq && !(in_service(kSlaveCommand) & 0x80)) {
        ++g_statistics.spurious_irq15;
        kMasterCommand.write<uint8_t>(kOcw2EndOfInterrupt);
        return true;
    }
    return false;
}

void end_of_interrupt(uint8_t irq)
{
    if (irq >= 8)
        kSlaveCommand.write<uint8_t>(kOcw2EndOfInterrupt);
    kMasterCommand.write<uint8_t>(kOcw2EndOfInterrupt);
}

void dispatch(arch::InterruptFrame& frame)
{
    auto irq = static_cast<uint8_t>(frame.vector - arch::kPicIrqBaseVector);
    if (is_spurious(irq))
        return;
    ++g_statistics.interrupts[irq];
    if (g_pic_irq_handlers[irq] != nullptr)
        g_pic_irq_handlers[irq]();
    end_of_interrupt(irq);
}

} // namespace

void init_pic()
{
    // The full initialization sequence, each write followed by a short
    // delay for old chipsets.
    kMasterCommand.write<uint8_t>(kIcw1Init | kIcw1NeedsIcw4);
    arch::io_wait();
    kSlaveCommand.write<uint8_t>(kIcw1Init | kIcw1NeedsIcw4);
    arch::io_wait();
    kMasterData.write<uint8_t>(arch::kPicIrqBaseVector); // ICW2: vector offsets
    arch::io_wait();
    kSlaveData.write<uint8_t>(arch::kPicIrqBaseVector + 8);
    arch::io_wait();
    kMasterData.write<uint8_t>(kIcw3SlaveOnIrq2);
    arch::io_wait();
    kSlaveData.write<uint8_t>(kIcw3SlaveIdentity);
    arch::io_wait();
    kMasterData.write<uint8_t>(kIcw48086Mode);
    arch::io_wait();
    kSlaveData.write<uint8_t>(kIcw48086Mode);
    arch::io_wait();

    // Everything masked until a driver asks for its line.
    kMasterData.write<uint8_t>(0xFF);
    kSlaveData.write<uint8_t>(0xFF);
    for (uint8_t irq = 0; irq < kIrqCount; ++irq)
        arch::set_interrupt_handler(arch::kPicIrqBaseVector + irq, dispatch);
}

void pic_handle_irq(uint8_t irq, IrqHandler handler)
{
    g_pic_irq_handlers[irq] = handler;
    set_mask(irq, false);
    if (irq >= 8)
        set_mask(kCascadeIrq, false);
}

PicStatistics pic_statistics()
{
    return g_statistics;
}

uint16_t pic_masks()
{
    return static_cast<uint16_t>(kMasterData.read<uint8_t>() | (kSlaveData.read<uint8_t>() << 8));
}

uint8_t pic_first_vector()
{
    return arch::kPicIrqBaseVector;
}

} // namespace drivers
