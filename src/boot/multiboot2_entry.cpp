#include "boot/multiboot2_entry.h"

#include "boot/multiboot2.h"
#include "mm/direct_map.h"

namespace boot {

using lib::fail;

lib::Result<BootInfo, BootError> read_multiboot2(
    uint32_t magic, uint64_t physical_address, PhysicalRange kernel_image)
{
    // The trampoline already refused other magic values; reaching here with
    // one would mean it was bypassed.
    if (magic != multiboot2::kBootloaderMagic)
        return fail(BootError::wrong_magic(magic));
    if (physical_address >= mm::kEarlyDirectMapSize - kMaxBootInfoSize)
        return fail(BootError::outside_early_direct_map(physical_address));

    // The structure's own total_size is checked against this bound. Physical
    // 0 is a valid direct-map address, so a null EBX is passed on as null.
    const uint8_t* info
        = physical_address == 0 ? nullptr : mm::physical_to_virtual<const uint8_t>(physical_address);
    auto parsed = parse_multiboot2(info, kMaxBootInfoSize);
    if (!parsed)
        return fail(BootError::malformed_structure(parsed.error()));
    BootInfo& boot_info = parsed.value();
    boot_info.physical_address = physical_address;

    TRY(check_module_placement(boot_info, kernel_image));
    return boot_info;
}

lib::Result<void, BootError> check_module_placement(const BootInfo& info, PhysicalRange kernel_image)
{
    for (size_t i = 0; i < info.module_count; ++i) {
        const BootModule& module = info.modules[i];
        PhysicalRange placed = { module.start, module.end };
        if (!info.is_usable(module.start, module.end))
            return fail(BootError::misplaced_module(BootError::Kind::ModuleOutsideUsableMemory, module));
        if (placed.overlaps(kernel_image))
            return fail(BootError::misplaced_module(BootError::Kind::ModuleOverKernelImage, module));
        if (placed.overlaps(info.physical_range()))
            return fail(BootError::misplaced_module(BootError::Kind::ModuleOverBootInformation, module));
    }
    return {};
}

} // namespace boot
