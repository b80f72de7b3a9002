// Counting heap allocations in a test binary: allocation_counter.cpp replaces
// the global operator new / delete of every test binary it is linked into.
#pragma once

#include <cstdint>

namespace lathe::testing {

// Starts counting calls of operator new (any thread).
void start_counting_allocations();
// Stops counting; returns the calls since start_counting_allocations().
int64_t stop_counting_allocations();

} // namespace lathe::testing
