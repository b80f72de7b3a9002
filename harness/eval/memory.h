// Peak resident memory of this process, per measured run. Linux keeps a
// high-water mark of the resident set (VmHWM); writing "5" to
// /proc/self/clear_refs resets it to the current size, so each run reports
// its own peak, not one left over from loading, the quality pass or the
// bandwidth buffer.
#pragma once

#include <cstdint>

namespace lathe::harness {

// Resets the high-water mark; false when the kernel does not allow it (then
// peak_rss_bytes() is the peak since the process started).
bool reset_peak_rss();

// VmHWM in bytes, or getrusage's ru_maxrss when /proc is not available.
int64_t peak_rss_bytes();

} // namespace lathe::harness
