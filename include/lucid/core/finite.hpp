#pragma once
/// \file finite.hpp
/// The finiteness scan behind every input check: one vectorized memory pass.

#include <cstddef>
#include <type_traits>

namespace lucid::detail {

/// True when every value of p[0..n) is finite. Σ 0·pᵢ is NaN exactly when some
/// pᵢ is NaN or ±∞ (0·∞ = NaN, and NaN survives any sum), so the scan needs no
/// compare or early exit; eight independent partial sums let the compiler
/// vectorize it (a loop of std::isfinite with an early exit does not vectorize,
/// and cost ~10% of a 256² TV prox call).
template <class T>
bool all_finite_values(const T* p, std::size_t n) {
    static_assert(std::is_floating_point_v<T>, "all_finite_values scans float or double data");
    T acc[8] = {};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (std::size_t l = 0; l < 8; ++l) acc[l] += p[i + l] * T(0);
    for (; i < n; ++i) acc[0] += p[i] * T(0);
    T total = 0;
    for (T a : acc) total += a;
    return total == T(0);
}

}  // namespace lucid::detail
