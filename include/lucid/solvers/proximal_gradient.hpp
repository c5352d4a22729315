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

/// ⟨p − y, a − b⟩ accumulated in double.
template <Vector V>
double inner_of_differences(const V& p, const V& y, const V& a, const V& b) {
    double s = 0;
    for_each_leaf([&](auto pp, auto yy, auto aa, auto bb) {
        for (std::size_t i = 0; i < pp.size(); ++i) s += (double(pp[i]) - double(yy[i])) * (double(aa[i]) - double(bb[i]));
    }, p, y, a, b);
    return s;
}

/// p = prox_{g/L}(y − ∇f(y)/L) with `grad` = ∇f(y) already computed. With
/// backtracking, `f_y` = f(y) and L grows until the sufficient-decrease test
/// f(p) ≤ f(y) + ⟨∇f(y), p − y⟩ + (L/2)‖p − y‖² holds. Returns false when no L
/// up to the trial budget passes (or values stop being finite).
/// Near convergence f(p) − f(y) is a difference of nearly equal numbers
/// whose round-off (of the order ε·‖Ay‖·‖Ay − b‖ for least squares, far
/// above ε·|f|) can exceed (L/2)‖p − y‖²: the test then fails for any L and
/// the step would shrink for good. When |f(p) − f(y)| ≤ √ε·|f|, and
/// `grad_p` is given, the curvature test ⟨p − y, ∇f(p) − ∇f(y)⟩ ≤ L‖p − y‖²
/// decides instead (equivalent for quadratic f; the form TFOCS, Becker, Candès
/// & Grant 2011, switches to); its round-off is linear, not quadratic, in ‖p − y‖.
/// A step within a few ulps of y (‖p − y‖ ≤ 4ε‖y‖) is accepted as it is.
/// `prox_step(v, tau, out)` applies the backward step (a prox or a denoiser);
/// it runs in place on p unless `work` is given (for steps that cannot alias).
template <class S, class ProxStep, Vector V>
bool forward_backward(const S& smooth, ProxStep&& prox_step, const V& y, const V& grad, double f_y, V& p,
                      StepControl& c, V* work = nullptr, V* grad_p = nullptr) {
    using T = scalar_t<V>;
    constexpr double eps = std::numeric_limits<T>::epsilon();
    for (int trial = 0; trial < c.max_trials; ++trial) {
        const T tau = T(1.0 / c.lipschitz);
        V& v = work ? *work : p;
        lincomb(T(1), y, -tau, grad, v);   // forward (gradient) step
        prox_step(v, tau, p);              // backward (proximal) step
        if (!c.backtracking) return true;
        const double f_p = double(smooth.value(p));
        const auto [inner, dist] = inner_and_distance(p, y, grad);
        // Slack for round-off in f (f_p − f_y is a difference of nearly equal numbers).
        const double slack = 16 * eps * std::abs(f_y);
        if (std::isfinite(f_p) && f_p <= f_y + inner + 0.5 * c.lipschitz * dist + slack) return true;
        if (!std::isfinite(f_p) && !std::isfinite(f_y)) return false;
        if (grad_p && std::isfinite(f_p) &&
            std::abs(f_p - f_y) <= std::sqrt(eps) * std::max(std::abs(f_p), std::abs(f_y))) {
            // a step within a few ulps of y certifies nothing either way: no reason to shrink it
            if (dist <= 16 * eps * eps * double(squared_norm(y))) return true;
            smooth.gradient(p, *grad_p);
            if (inner_of_differences(p, y, *grad_p, grad) <= c.lipschitz * dist) return true;
        }
        c.lipschitz *= c.factor;
    }
    return false;
}

}  // namespace lucid::detail
