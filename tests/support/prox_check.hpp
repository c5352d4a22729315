#pragma once
// Test support: independent checks of proximal operators.
//  - the prox optimality condition (v − p)/τ ∈ ∂f(p), checked numerically
//    through the subgradient inequality f(y) ≥ f(p) + ⟨(v − p)/τ, y − p⟩ at
//    random points y near p (f convex), using only f.value;
//  - 1-D brute-force minimization of separable scalar proxes on a fine grid
//    refined by golden-section search.

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

#include "lucid/core/vector_space.hpp"

namespace lucid::test {

/// Largest violation of f(y) − f(p) − ⟨s, y − p⟩ ≥ 0 (s = (v − p)/τ) over
/// `trials` random points y = p + r·d (d ~ N(0,I)/√n, r from 1e-3 to 1), made
/// relative to max(1, |f(p)|). ≤ 0 (up to round-off) iff p passes.
template <class F, class V>
double subgradient_violation(const F& f, const V& v, typename F::scalar_type tau, const V& p, int trials = 200,
                             unsigned seed = 1, double radius = 1.0) {
    using T = typename F::scalar_type;
    std::mt19937 rng(seed);
    std::normal_distribution<double> n01(0, 1);
    V s = zeros_like(v);
    lincomb(T(1) / tau, v, T(-1) / tau, p, s);
    const double fp = double(f.value(p));
    const double n = double(element_count(v));
    double worst = -std::numeric_limits<double>::infinity();
    V y = zeros_like(v), d = zeros_like(v);
    for (int t = 0; t < trials; ++t) {
        const double r = radius * std::pow(10.0, -3.0 * double(t % 4) / 3.0);
        lucid::detail::for_each_leaf([&](auto a) { for (auto& e : a) e = T(n01(rng) * r / std::sqrt(n)); }, d);
        // half the trials stay in the sparsity pattern of p (moves along faces)
        if (t % 2 == 1)
            lucid::detail::for_each_leaf([&](auto dd, auto pp) {
                for (std::size_t i = 0; i < dd.size(); ++i)
                    if (pp[i] == 0) dd[i] = 0;
            }, d, p);
        lincomb(T(1), p, T(1), d, y);
        const double fy = double(f.value(y));
        if (!std::isfinite(fy)) continue;  // outside the domain of an indicator
        const double viol = fp + double(dot(s, d)) - fy;
        worst = std::max(worst, viol / std::max(1.0, std::abs(fp)));
    }
    return worst;
}

/// argmin_x phi(x) over [lo, hi] by a grid of `n` points and golden-section refinement.
inline double minimize_1d(const std::function<double(double)>& phi, double lo, double hi, int n = 2001) {
    double best = lo, fbest = phi(lo);
    for (int i = 1; i < n; ++i) {
        const double x = lo + (hi - lo) * i / (n - 1);
        const double fx = phi(x);
        if (fx < fbest) { fbest = fx; best = x; }
    }
    double a = std::max(lo, best - (hi - lo) / (n - 1)), b = std::min(hi, best + (hi - lo) / (n - 1));
    const double g = (std::sqrt(5.0) - 1) / 2;
    for (int it = 0; it < 200; ++it) {
        const double c = b - g * (b - a), d = a + g * (b - a);
        if (phi(c) < phi(d)) b = d; else a = c;
    }
    const double m = (a + b) / 2;
    return phi(m) <= fbest ? m : best;
}

}  // namespace lucid::test
