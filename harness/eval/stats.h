// Summary statistics across measured runs.
#pragma once

#include <cstdint>
#include <span>

namespace lathe::harness {

struct Summary {
  int64_t n = 0;
  double mean = 0.0;
  double median = 0.0; // the middle value; the mean of the two middle values for even n
  double min = 0.0;
  double max = 0.0;
  double stddev = 0.0; // sample standard deviation (n - 1 in the denominator); 0 for n < 2
  double cv = 0.0;     // coefficient of variation: stddev / mean; 0 when the mean is 0
};

// All zeros for an empty span.
Summary summarize(std::span<const double> values);

} // namespace lathe::harness
