#pragma once
/// \file tikhonov.hpp
/// Tikhonov-regularized least squares in closed form when the normal
/// operator is diagonalized (DFT or DCT), by conjugate gradients otherwise.

#include <algorithm>
#include <cmath>
#include <functional>
#include <type_traits>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/least_squares.hpp"
#include "lucid/ops/identity.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"
#include "lucid/solvers/quadratic_update.hpp"
#include "lucid/solvers/status.hpp"
#include "lucid/solvers/wiener.hpp"

namespace lucid {

/// Parameters of `tikhonov` (only the CG fallback uses them).
struct TikhonovParams {
    int cg_max_iter = 1000;   ///< CG budget when (AᵀA + λDᵀD) has no closed-form inverse
    double cg_tol = 1e-10;    ///< CG relative residual (raised to 1e-6 in float)

    void validate() const {
        require(cg_max_iter >= 1, "lucid::tikhonov", "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, "lucid::tikhonov", "cg_tol", "finite and > 0", cg_tol);
    }
};

/// Generalized Tikhonov regularization (Tikhonov 1963; Hansen, Nagy & O'Leary
/// 2006, "Deblurring Images: Matrices, Spectra, and Filtering", ch. 5):
/// \f[ \hat x = \arg\min_x \tfrac12\|Ax - y\|^2 + \tfrac\lambda2\|Dx\|^2 = (A^\top A + \lambda D^\top D)^{-1} A^\top y. \f]
/// Closed form by one transform pair when `gram_spectrum_of(A)` and
/// `gram_spectrum_of(D)` share the DFT (periodic convolution, periodic
/// differences) or the DCT (reflect boundary with a symmetric kernel, Neumann
/// differences): \f$ \hat x = \mathcal T^{-1}\big(\overline{\hat A}\,\mathcal T y / (|\hat A|^2 + \lambda|\hat D|^2)\big) \f$
/// when A itself has a symbol (one filter pass from y, as `wiener`), else
/// \f$ \mathcal T^{-1}\big(\mathcal T(A^\top y) / (|\hat A|^2 + \lambda|\hat D|^2)\big) \f$
/// (frequencies where the denominator vanishes get 0: the minimum-norm solution).
/// Otherwise conjugate gradients on the normal equations. `message` says which;
/// `iterations` is CG's count (0 for the closed form), and `callback` sees
/// every CG iteration (returning true stops with Status::stopped); the closed
/// form runs no iteration and never calls it.
/// λ must be a normal number of T (not subnormal, no overflow).
/// ```cpp
/// auto r = lucid::tikhonov(A, y, 1e-3, lucid::ops::Gradient<double>(y.shape()));
/// ```
template <LinearOperator A, LinearOperator D, class Callback = callbacks::None>
    requires std::same_as<domain_t<A>, domain_t<D>>
SolverResult<domain_t<A>> tikhonov(const A& op, const range_t<A>& y, double lambda, const D& reg,
                                   TikhonovParams params = {}, Callback&& callback = {}) {
    constexpr const char* where = "lucid::tikhonov";
    params.validate();
    require_positive(where, "lambda", lambda);
    require(shape_of(y) == op.range_shape(), where, "y", "of the operator's range shape", element_count(y));
    require(op.domain_shape() == reg.domain_shape(), where, "reg", "an operator on the domain of op",
            element_count(make_domain(reg)));
    using V = domain_t<A>;
    using T = op_scalar_t<A>;
    // As in wiener: a subnormal or zero T(λ) lets 1/(|Â|² + λ|D̂|²) overflow
    // where both vanish (0·∞ = NaN); an overflowing T(λ) is no λ at all.
    require_positive_normal<T>(where, "lambda", lambda, lambda);
    if constexpr (std::is_same_v<V, range_t<A>> &&
                  (std::is_same_v<V, xt::xtensor<T, 2>> || std::is_same_v<V, xt::xtensor<T, 3>>)) {
        // One filter pass from y, x̂ = conj(Â) ŷ / (|Â|² + λ|D̂|²), rather than
        // 𝒯(Aᵀy)/(…): Aᵀy formed in the image domain carries round-off ε‖Aᵀy‖ at
        // every frequency, which 1/(|Â|² + λ|D̂|²) ≈ 1/λ amplifies where Â ≈ 0
        // (float: errors of 1e-3 at λ = 1e-4); here it stays relative to |Â ŷ|.
        if (auto s = detail::FilterSymbol<T>::try_make(op)) {
            const auto gd = gram_spectrum_of(reg);
            const auto plane = plane_shape(op.domain_shape());
            if (gd && gd->blocks() == 1 &&
                (gd->transform == Transform::any || (gd->transform == s->transform() && gd->plane == plane))) {
                const bool constant = gd->transform == Transform::any;
                const std::size_t cols = gd->values.shape()[2];
                const std::complex<T>* d2 = gd->values.data();
                const T lam = T(lambda);
                SolverResult<V> out;
                out.x = V(op.domain_shape());  // the inverse transform writes every pixel
                detail::apply_conj_filter(*s, y, out.x, [=](std::size_t p, std::size_t q, T a2) {
                    const T den = a2 + lam * (constant ? d2[0] : d2[p * cols + q]).real();
                    return den > T(0) ? T(1) / den : T(0);  // 0 where both vanish: the minimum-norm solution
                });
                out.status = Status::converged;
                out.message = "closed form (one transform pair)";
                return out;
            }
        }
    }
    LeastSquares f(std::cref(op), y);
    CgParams cg;
    cg.max_iter = params.cg_max_iter;
    cg.tol = std::is_same_v<T, float> ? std::max(params.cg_tol, 1e-6) : params.cg_tol;
    cg.record_history = false;
    SolverResult<V> out;
    out.x = make_domain(op);
    detail::QuadraticUpdate<decltype(f), D, V, false> update(f, reg, out.x, cg);
    update.set_rho(T(lambda));
    const RunInfo run = update.solve_normal_run(*update.atb(), out.x, std::forward<Callback>(callback));
    out.status = run.status;
    out.iterations = run.iterations;
    out.message = update.closed_form() ? "closed form (one transform pair)"
                  : run.status == Status::stopped ? "stopped by the callback (conjugate gradients)"
                                                  : "conjugate gradients on the normal equations";
    return out;
}

/// Standard-form Tikhonov (D = I): \f$ \hat x = (A^\top A + \lambda I)^{-1}A^\top y \f$.
template <LinearOperator A, class Callback = callbacks::None>
SolverResult<domain_t<A>> tikhonov(const A& op, const range_t<A>& y, double lambda, TikhonovParams params = {},
                                   Callback&& callback = {}) {
    return tikhonov(op, y, lambda, ops::Identity<domain_t<A>>(op.domain_shape()), params,
                    std::forward<Callback>(callback));
}

}  // namespace lucid
