#pragma once

// The kernel's physical memory: the frame allocator built from the boot
// information, with everything already in use carved out, behind a lock.

#include <stddef.h>
#include <stdint.h>

#include "boot/boot_info.h"
#include "mm/frame_allocator.h"

namespace mm {

// Panics when the map leaves nothing to allocate from. Carves out the first
// MiB, the kernel image, the boot information (info.physical_range()) and
// the modules.
void init_physical_memory(const boot::BootInfo& info);

lib::Result<uint64_t, FrameError> allocate_frame();
// Panics on a bad free: a kernel that frees a frame twice is broken.
void free_frame(uint64_t physical);
// count frames under one hold of the allocator's lock, into frames; all or
// none (false: not that many free).
bool allocate_frames(uint64_t* frames, size_t count);
FrameStatistics frame_statistics();
// Whether the allocator may ever hand out this frame (usable, not carved out).
bool frame_may_be_handed_out(uint64_t physical);
// The "[MEM] Physical: ..." line: usable, free and used frames now.
void log_physical_memory();

} // namespace mm
