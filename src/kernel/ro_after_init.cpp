#include "kernel/ro_after_init.h"

#include "arch/paging.h"
#include "kernel/image_layout.h"

namespace kernel {

size_t seal_ro_after_init()
{
    ImageRange section = ro_after_init_section();
    return arch::make_kernel_pages_read_only(
        reinterpret_cast<uint64_t>(section.start), reinterpret_cast<uint64_t>(section.end));
}

} // namespace kernel
