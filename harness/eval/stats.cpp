#include "harness/eval/stats.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace lathe::harness {

Summary summarize(std::span<const double> values) {
  Summary s;
  s.n = static_cast<int64_t>(values.size());
  if (values.empty()) return s;
  std::vector<double> v(values.begin(), values.end());
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.min = v.front();
  s.max = v.back();
  s.median = n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  double sum = 0.0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(n);
  if (n >= 2) {
    double ss = 0.0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.stddev = std::sqrt(ss / static_cast<double>(n - 1));
  }
  s.cv = s.mean != 0.0 ? s.stddev / std::abs(s.mean) : 0.0;
  return s;
}

} // namespace lathe::harness
