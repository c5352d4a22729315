#pragma once
/// \file wasserstein.hpp
/// The p-Wasserstein distance between two 1-D empirical distributions (sort-based).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/vector_space.hpp"

namespace lucid::learning {

/// p-Wasserstein distance (to the power p, p ∈ {1, 2}) between the empirical
/// distributions of two samples of equal size n:
/// \f$ W_p^p(a, b) = \frac1n \sum_{i} |a_{(i)} - b_{(i)}|^p \f$ where
/// \f$ a_{(i)} \f$ are the sorted values (the optimal 1-D coupling matches
/// order statistics). The gradient with respect to a is
/// \f$ \partial W/\partial a_{\pi(i)} = \frac pn |d_i|^{p-1}\mathrm{sign}(d_i) \f$
/// with \f$ d_i = a_{(i)} - b_{(i)} \f$ and π the sorting permutation of a.
/// Uses the caller's index scratch (size ≥ n each) so that nothing allocates.
template <class T>
T wasserstein_1d(std::span<const T> a, std::span<const T> b, int p, std::span<T> grad_a,
                 std::span<std::size_t> order_a, std::span<std::size_t> order_b) {
    constexpr const char* where = "lucid::learning::wasserstein_1d";
    // Messages are built only on failure (concat allocates; the PDL calls this per channel).
    using lucid::detail::concat;
    using lucid::detail::fail_argument;
    if (b.size() != a.size()) fail_argument(where, "b", concat("of size ", a.size(), " (equal sample sizes)"), b.size());
    require(p == 1 || p == 2, where, "p", "1 or 2", p);
    require(a.size() > 0, where, "a", "non-empty", "an empty sample");
    const std::size_t n = a.size();
    if (order_a.size() < n) fail_argument(where, "order_a", concat("scratch of at least ", n, " entries"), order_a.size());
    if (order_b.size() < n) fail_argument(where, "order_b", concat("scratch of at least ", n, " entries"), order_b.size());
    const bool want_grad = !grad_a.empty();
    if (want_grad && grad_a.size() != n) fail_argument(where, "grad_a", concat("of size ", n), grad_a.size());
    auto is_nan = [](T v) { return std::isnan(v); };
    if (std::any_of(a.begin(), a.end(), is_nan) || std::any_of(b.begin(), b.end(), is_nan)) {
        // NaN has no place in an order (and std::sort with NaN is undefined): the
        // distance and every gradient entry are NaN, for the caller to detect.
        std::fill(grad_a.begin(), grad_a.end(), std::numeric_limits<T>::quiet_NaN());
        return std::numeric_limits<T>::quiet_NaN();
    }
    auto oa = order_a.first(n), ob = order_b.first(n);
    std::iota(oa.begin(), oa.end(), std::size_t(0));
    std::iota(ob.begin(), ob.end(), std::size_t(0));
    std::sort(oa.begin(), oa.end(), [&](std::size_t i, std::size_t j) { return a[i] < a[j]; });
    std::sort(ob.begin(), ob.end(), [&](std::size_t i, std::size_t j) { return b[i] < b[j]; });
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double d = double(a[oa[i]]) - double(b[ob[i]]);
        s += p == 1 ? std::abs(d) : d * d;
        if (want_grad) {
            const double g = p == 1 ? (d > 0 ? 1.0 : (d < 0 ? -1.0 : 0.0)) : 2.0 * d;
            grad_a[oa[i]] = T(g / double(n));
        }
    }
    return T(s / double(n));
}

/// Allocating convenience: \f$ W_p^p \f$ of two samples (see above).
template <class T>
T wasserstein_1d(std::span<const T> a, std::span<const T> b, int p = 1) {
    std::vector<std::size_t> oa(a.size()), ob(b.size());
    return wasserstein_1d<T>(a, b, p, {}, oa, ob);
}

}  // namespace lucid::learning
