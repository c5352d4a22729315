#pragma once
/// \file prox_test.hpp
/// Checkers for the functional contracts, the counterparts of `adjoint_test`:
/// `prox_test` verifies the prox optimality condition numerically and
/// `gradient_test` compares a gradient with finite differences. Run them on
/// your own functionals before handing them to a solver.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>

#include "lucid/core/vector_space.hpp"
#include "lucid/functionals/concepts.hpp"

namespace lucid {

/// Options of `prox_test`.
struct ProxTestParams {
    int trials = 200;          ///< random points y tried
    std::uint64_t seed = 1;    ///< seed of the directions
    double radius = 1.0;       ///< largest step ‖y − p‖ (steps range from radius·1e-3 to radius)
};

/// Outcome of `prox_test`.
struct ProxTestResult {
    /// max over y of (f(p) + ⟨s, y − p⟩ − f(y)) / max(1, |f(p)|), s = (v − p)/τ.
    /// ≤ round-off iff s ∈ ∂f(p) along the directions tried, i.e. p = prox_{τf}(v) for convex f.
    double violation = -std::numeric_limits<double>::infinity();
    int finite_trials = 0;     ///< trials where f(y) was finite (indicators return +∞ outside)
};

/// Computes p = prox_{τf}(v) and checks the optimality condition
/// \f$ (v - p)/\tau \in \partial f(p) \f$ through the subgradient inequality
/// \f$ f(y) \ge f(p) + \langle (v - p)/\tau, y - p \rangle \f$ at random y near p
/// (half of them moving only where p ≠ 0, i.e. along the faces of sparse
/// solutions). Uses only `f.value`, so it is independent of the prox code.
template <class F, Vector V>
    requires Proximable<F, V>
ProxTestResult prox_test(const F& f, const V& v, functional_scalar_t<F> tau, ProxTestParams params = {}) {
    using T = functional_scalar_t<F>;
    V p = zeros_like(v);
    f.prox(v, tau, p);
    std::mt19937_64 rng(params.seed);
    std::normal_distribution<double> n01(0, 1);
    V s = zeros_like(v), y = zeros_like(v), d = zeros_like(v);
    lincomb(T(1) / tau, v, T(-1) / tau, p, s);
    const double fp = double(f.value(p));
    const double n = double(element_count(v));
    ProxTestResult r;
    for (int t = 0; t < params.trials; ++t) {
        const double step = params.radius * std::pow(10.0, -3.0 * double(t % 4) / 3.0);
        detail::for_each_leaf([&](auto a) { for (auto& e : a) e = T(n01(rng) * step / std::sqrt(n)); }, d);
        if (t % 2 == 1)
            detail::for_each_leaf([&](auto dd, auto pp) {
                for (std::size_t i = 0; i < dd.size(); ++i)
                    if (pp[i] == 0) dd[i] = 0;
            }, d, p);
        lincomb(T(1), p, T(1), d, y);
        const double fy = double(f.value(y));
        if (!std::isfinite(fy)) continue;
        ++r.finite_trials;
        r.violation = std::max(r.violation, (fp + double(dot(s, d)) - fy) / std::max(1.0, std::abs(fp)));
    }
    return r;
}

/// Relative difference between ⟨∇f(x), d⟩ and the central difference
/// (f(x + hd) − f(x − hd))/(2h) along a random unit-variance direction d.
template <class F, Vector V>
    requires Differentiable<F, V>
double gradient_test(const F& f, const V& x, std::uint64_t seed = 0) {
    using T = functional_scalar_t<F>;
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> n01(0, 1);
    V d = zeros_like(x), g = zeros_like(x), xp = zeros_like(x), xm = zeros_like(x);
    detail::for_each_leaf([&](auto a) { for (auto& e : a) e = T(n01(rng)); }, d);
    f.gradient(x, g);
    const double h = std::is_same_v<T, float> ? 1e-2 : 1e-5;
    lincomb(T(1), x, T(h), d, xp);
    lincomb(T(1), x, T(-h), d, xm);
    const double fd = (double(f.value(xp)) - double(f.value(xm))) / (2 * h);
    const double an = double(dot(g, d));
    return std::abs(an - fd) / std::max(1.0, std::abs(fd));
}

}  // namespace lucid
