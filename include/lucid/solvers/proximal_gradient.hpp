#pragma once
/// \file proximal_gradient.hpp
/// The forward–backward step shared by ISTA, FISTA and PnP-FISTA (lucid::detail):
/// \f$ p_L(y) = \mathrm{prox}_{g/L}\big(y - \tfrac1L \nabla f(y)\big) \f$ with the
/// backtracking rule of Beck & Teboulle (2009, SIAM J. Imaging Sci. 2(1),
/// "A fast iterative shrinkage-thresholding algorithm for linear inverse
/// problems", §4 "FISTA with backtracking"): increase L by η until
/// \f$ f(p) \le f(y) + \langle p - y, \nabla f(y)\rangle + \tfrac L2\|p - y\|^2 \f$.

#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>

#include "lucid/core/vector_space.hpp"
#include "lucid/solvers/monitor.hpp"
#include "lucid/solvers/smooth_term.hpp"

namespace lucid::detail {

/// The step size 1/L of a proximal-gradient run.
struct StepControl {
    double lipschitz = 1;      ///< current L (step 1/L)
    bool backtracking = false; ///< increase L until the sufficient-decrease test holds
    double factor = 2;         ///< η > 1
    int max_trials = 60;
};

/// Picks L: 1/step if given, else f's Lipschitz constant, else `initial` with backtracking.
template <class S>
StepControl make_step_control(const S& smooth, double step, bool force_backtracking, double factor, double initial) {
    StepControl c;
    c.factor = factor;
    if (step > 0) {
        c.lipschitz = 1.0 / step;
        c.backtracking = force_backtracking;
        return c;
    }
    const auto lip = smooth.lipschitz();
    if (lip && *lip > 0 && std::isfinite(double(*lip))) {
        c.lipschitz = double(*lip);
        c.backtracking = force_backtracking;
    } else {
        c.lipschitz = initial;
        c.backtracking = true;
    }
    return c;
}

/// ⟨p − y, d⟩ and ‖p − y‖² in one pass.
template <Vector V>
std::pair<double, double> inner_and_distance(const V& p, const V& y, const V& d) {
    double inner = 0, dist = 0;
    for_each_leaf([&](auto a, auto b, auto c) {
        for (std::size_t i = 0; i < a.size(); ++i) {
            const double e = double(a[i]) - double(b[i]);
            inner += e * double(c[i]);
            dist += e * e;
        }
    }, p, y, d);
    return {inner, dist};
}

/// p = prox_{g/L}(y − ∇f(y)/L) with `grad` = ∇f(y) already computed. With
/// backtracking, `f_y` = f(y) and L grows until the test holds. Returns false
/// when no L up to the trial budget passes (or values stop being finite).
/// `prox_step(v, tau, out)` applies the backward step (a prox or a denoiser);
/// it runs in place on p unless `work` is given (for steps that cannot alias).
template <class S, class ProxStep, Vector V>
bool forward_backward(const S& smooth, ProxStep&& prox_step, const V& y, const V& grad, double f_y, V& p,
                      StepControl& c, V* work = nullptr) {
    using T = scalar_t<V>;
    for (int trial = 0; trial < c.max_trials; ++trial) {
        const T tau = T(1.0 / c.lipschitz);
        V& v = work ? *work : p;
        lincomb(T(1), y, -tau, grad, v);   // forward (gradient) step
        prox_step(v, tau, p);              // backward (proximal) step
        if (!c.backtracking) return true;
        const double f_p = double(smooth.value(p));
        const auto [inner, dist] = inner_and_distance(p, y, grad);
        // Slack for round-off in f near convergence (f_p − f_y is a difference of nearly equal numbers).
        const double slack = 16 * double(std::numeric_limits<T>::epsilon()) * std::abs(f_y);
        if (std::isfinite(f_p) && f_p <= f_y + inner + 0.5 * c.lipschitz * dist + slack) return true;
        if (!std::isfinite(f_p) && !std::isfinite(f_y)) return false;
        c.lipschitz *= c.factor;
    }
    return false;
}

}  // namespace lucid::detail
