#pragma once
// What the load generators report about the latencies they measured.
#include <algorithm>
#include <cstddef>
#include <vector>

namespace pons::test {

/// The p-th percentile (0-100) of `v`, by rank (no interpolation); 0 for no samples. Reorders `v`.
inline double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  auto idx = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(idx), v.end());
  return v[idx];
}

}  // namespace pons::test
