#pragma once
/// \file toeplitz_row.hpp
/// A horizontal (1×n) blur kernel from a list of weights.

#include <algorithm>
#include <cmath>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/kernels/limits.hpp"

namespace lucid::kernels {

/// The 1×n row kernel k[0, j] = wⱼ / Σw: every pixel becomes the weighted mean
/// of its row neighbours (the centre is at j = n/2, so odd n is symmetric).
/// The weights must be finite and >= 0 with a positive sum. Without
/// arguments, the lecture's kernel [1 2 3 4 3 2 1]/16 (CLI `toeplitz:1,2,3,4,3,2,1`).
/// For the lecture's *un*normalized matrix (weights /15) see ops/toeplitz.hpp.
/// ```cpp
/// auto k = lucid::kernels::toeplitz_row<double>({1, 2, 1});  // [0.25 0.5 0.25]
/// ```
template <class T>
Image<T> toeplitz_row(const std::vector<double>& weights = {1, 2, 3, 4, 3, 2, 1}) {
    constexpr const char* where = "lucid::kernels::toeplitz_row";
    require(!weights.empty(), where, "weights", "a non-empty list", "an empty list");
    lucid::detail::require_kernel_side(where, "weights", double(weights.size()));
    double peak = 0;
    for (std::size_t j = 0; j < weights.size(); ++j) {
        const double w = weights[j];
        if (!std::isfinite(w) || w < 0)
            lucid::detail::fail_argument(where, "weights", "finite and >= 0", lucid::detail::concat(w, " at index ", j));
        peak = std::max(peak, w);
    }
    require(peak > 0, where, "weights", "a list with a positive sum", 0.0);
    // summed relative to the largest weight: Σw itself may overflow (weights near 1e308)
    double sum = 0;
    for (const double w : weights) sum += w / peak;
    Image<T> k({std::size_t(1), weights.size()});
    for (std::size_t j = 0; j < weights.size(); ++j) k(0, j) = T(weights[j] / peak / sum);
    return k;
}

}  // namespace lucid::kernels
