// The #PF and selector error codes decoded by name, against the bit numbers
// of Intel SDM Vol. 3A Figure 4-12 and Figure 6-7, written out here.

#include "arch/x86_64/exception_error_codes.h"

#include <gtest/gtest.h>

namespace {

using arch::PageFaultError;
using arch::SelectorErrorCode;

struct PageFaultBit {
    unsigned position;
    bool (PageFaultError::*accessor)() const;
    const char* name;
};

// Figure 4-12: P, W/R, U/S, RSVD, I/D, PK, SS.
const PageFaultBit kPageFaultBits[] = {
    { 0, &PageFaultError::present, "present" },
    { 1, &PageFaultError::write, "write" },
    { 2, &PageFaultError::user, "user" },
    { 3, &PageFaultError::reserved_bit, "reserved_bit" },
    { 4, &PageFaultError::instruction_fetch, "instruction_fetch" },
    { 5, &PageFaultError::protection_key, "protection_key" },
    { 6, &PageFaultError::shadow_stack, "shadow_stack" },
};

TEST(PageFaultError, EachBitAloneSetsOnlyItsAccessor)
{
    for (const PageFaultBit& bit : kPageFaultBits) {
        PageFaultError error(uint64_t(1) << bit.position);
        for (const PageFaultBit& other : kPageFaultBits)
            EXPECT_EQ((error.*other.accessor)(), &other == &bit)
                << bit.name << " set, " << other.name << " read";
    }
}

TEST(PageFaultError, ZeroIsASupervisorReadOfANotPresentPage)
{
    for (const PageFaultBit& bit : kPageFaultBits)
        EXPECT_FALSE((PageFaultError(0).*bit.accessor)()) << bit.name;
}

TEST(PageFaultError, CodesTheFaultTestsSee)
{
    // A kernel write to .rodata: present page, write, supervisor.
    PageFaultError read_only_write(0x3);
    EXPECT_TRUE(read_only_write.present());
    EXPECT_TRUE(read_only_write.write());
    EXPECT_FALSE(read_only_write.user());
    // A kernel fetch from .data (NX): present, read, instruction fetch.
    PageFaultError no_execute_fetch(0x11);
    EXPECT_TRUE(no_execute_fetch.present());
    EXPECT_FALSE(no_execute_fetch.write());
    EXPECT_TRUE(no_execute_fetch.instruction_fetch());
    // Bits above the named ones do not leak into them.
    PageFaultError high(~uint64_t(0x7F));
    for (const PageFaultBit& bit : kPageFaultBits)
        EXPECT_FALSE((high.*bit.accessor)()) << bit.name;
}

TEST(SelectorErrorCode, FieldsOfFigure6_7)
{
    // Index 5 in the LDT, external.
    SelectorErrorCode ldt((5u << 3) | 4 | 1);
    EXPECT_TRUE(ldt.external());
    EXPECT_FALSE(ldt.idt());
    EXPECT_TRUE(ldt.local());
    EXPECT_EQ(ldt.index(), 5u);
    // IDT gate 0x1FFF (the largest index), not external.
    SelectorErrorCode idt((0x1FFFu << 3) | 2);
    EXPECT_FALSE(idt.external());
    EXPECT_TRUE(idt.idt());
    EXPECT_EQ(idt.index(), 0x1FFFu);
    // GDT selector 0x28 (index 5): the TSS.
    SelectorErrorCode gdt(0x28);
    EXPECT_FALSE(gdt.idt());
    EXPECT_FALSE(gdt.local());
    EXPECT_EQ(gdt.index(), 5u);
}

} // namespace
