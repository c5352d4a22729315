#pragma once
/// \file conjugate_gradient.hpp
/// Conjugate gradients for A x = b with A symmetric positive definite.

#include <cmath>
#include <limits>

#include "lucid/core/linear_operator.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/start_point.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `conjugate_gradient`.
struct CgParams {
    int max_iter = 500;   ///< iteration budget
    double tol = 1e-8;    ///< stop when ‖b − A x‖ ≤ tol·‖b‖
    bool record_history = true;  ///< false: no per-iteration records (no allocation, for inner solves)

    void validate() const {
        require(max_iter >= 1, "lucid::conjugate_gradient", "max_iter", ">= 1", max_iter);
        require(std::isfinite(tol) && tol > 0, "lucid::conjugate_gradient", "tol", "finite and > 0", tol);
    }
};

/// Workspace of conjugate_gradient: three vectors, allocated once and reusable
/// across calls (e.g. for warm-started inner solves inside ADMM).
template <class V>
struct CgWorkspace {
    V r, p, ap;
    explicit CgWorkspace(const V& like) : r(zeros_like(like)), p(zeros_like(like)), ap(zeros_like(like)) {}
};

/// Solves A x = b for symmetric positive (semi-)definite A, starting from x
/// (warm start), updating x in place. Hestenes & Stiefel (1952):
///   r₀ = b − A x₀, p₀ = r₀;
///   αₖ = ‖rₖ‖² / ⟨pₖ, A pₖ⟩, xₖ₊₁ = xₖ + αₖ pₖ, rₖ₊₁ = rₖ − αₖ A pₖ,
///   βₖ = ‖rₖ₊₁‖² / ‖rₖ‖², pₖ₊₁ = rₖ₊₁ + βₖ pₖ.
/// History records the relative residual ‖rₖ‖/‖b‖. Returns the status and
/// iteration count (x holds the result). A breakdown (⟨p, Ap⟩ = 0 with the
/// residual above tol, e.g. A = 0) ends as `diverged`; clearly negative
/// curvature throws lucid::Error naming `op` (A is not positive semi-definite).
///
/// This overload writes the run into `out`, reusing its message and history
/// storage: solvers that call CG every iteration keep one RunInfo and so do
/// not allocate (a fresh message string would, once per call).
template <SquareOperator A, class Callback = callbacks::None>
void conjugate_gradient_inplace(RunInfo& out, const A& op, const domain_t<A>& b, domain_t<A>& x,
                                CgWorkspace<domain_t<A>>& ws, CgParams params = {}, Callback&& callback = {}) {
    params.validate();
    // Shapes checked here, or lincomb reports them as its own internal 'y'.
    detail::require_vector_shape("lucid::conjugate_gradient", "b", b, op.domain_shape(), "the operator's shape");
    detail::require_vector_shape("lucid::conjugate_gradient", "x", x, op.domain_shape(), "the operator's shape");
    using T = op_scalar_t<A>;
    detail::Stopwatch clock;
    out.status = Status::max_iterations;
    out.iterations = 0;
    out.history.clear();
    // Reserved up front (as Monitor does) so that recording never allocates
    // inside the loop; a reused RunInfo keeps its capacity from call to call.
    if (params.record_history) out.history.reserve_for_run(params.max_iter);
    const double bnorm = double(norm(b));
    op.apply(x, ws.ap);
    lincomb(T(1), b, T(-1), ws.ap, ws.r);
    copy(ws.r, ws.p);
    double rr = double(squared_norm(ws.r));
    const double scale_ = bnorm > 0 ? bnorm : 1.0;
    if (std::sqrt(rr) <= params.tol * scale_) {
        out.status = Status::converged;
        out.message = "initial residual below tolerance";
        return;
    }
    for (int k = 1; k <= params.max_iter; ++k) {
        op.apply(ws.p, ws.ap);
        const double pap = double(dot(ws.p, ws.ap));
        if (!std::isfinite(pap)) {
            out.status = Status::diverged;
            out.message = "non-finite curvature";
            out.iterations = k - 1;
            return;
        }
        if (!(pap > 0)) {
            // The residual is still above tol (tested before this step), so
            // this is a breakdown, never convergence. Curvature clearly below
            // zero (beyond rounding: ⟨p, Ap⟩ < −√ε‖p‖‖Ap‖) proves A is not
            // positive semi-definite: bad input. Zero curvature means A is
            // singular on p (e.g. A = 0): CG cannot go on.
            const double pn = double(norm(ws.p)), apn = double(norm(ws.ap));
            if (pap < -std::sqrt(double(std::numeric_limits<T>::epsilon())) * pn * apn)
                detail::fail_argument("lucid::conjugate_gradient", "op",
                                      "symmetric positive (semi-)definite",
                                      detail::concat("negative curvature <p, A p> = ", pap, " for ||p|| = ", pn));
            out.status = Status::diverged;
            out.message = detail::concat("breakdown: search direction has no curvature (A singular on it); "
                                         "relative residual ", std::sqrt(rr) / scale_, " above tol ", params.tol);
            out.iterations = k - 1;
            return;
        }
        const double alpha = rr / pap;
        axpy(T(alpha), ws.p, x);
        axpy(T(-alpha), ws.ap, ws.r);
        const double rr_next = double(squared_norm(ws.r));
        const double rel = std::sqrt(rr_next) / scale_;
        if (params.record_history) out.history.push(std::numeric_limits<double>::quiet_NaN(), rel, clock.seconds());
        out.iterations = k;
        if (!std::isfinite(rel)) {
            out.status = Status::diverged;
            out.message = "non-finite residual";
            return;
        }
        if (detail::invoke_callback(callback, IterationState<domain_t<A>>{k, x, std::nan(""), rel, clock.seconds()})) {
            out.status = Status::stopped;
            out.message = "stopped by callback";
            return;
        }
        if (rel <= params.tol) {
            out.status = Status::converged;
            out.message = "relative residual below tolerance";
            return;
        }
        axpby(T(1), ws.r, T(rr_next / rr), ws.p);
        rr = rr_next;
    }
    out.status = Status::max_iterations;
    out.message = "iteration budget exhausted";
}

/// The same, returning the run (see above).
template <SquareOperator A, class Callback = callbacks::None>
RunInfo conjugate_gradient_inplace(const A& op, const domain_t<A>& b, domain_t<A>& x, CgWorkspace<domain_t<A>>& ws,
                                   CgParams params = {}, Callback&& callback = {}) {
    RunInfo out;
    conjugate_gradient_inplace(out, op, b, x, ws, params, std::forward<Callback>(callback));
    return out;
}

/// Solves A x = b (A symmetric positive definite) from the start x0.
/// ```cpp
/// auto r = lucid::conjugate_gradient(lucid::gram(A) + rho * I, rhs, x0, {.tol = 1e-10});
/// ```
template <SquareOperator A, class Callback = callbacks::None>
SolverResult<domain_t<A>> conjugate_gradient(const A& op, const domain_t<A>& b, const domain_t<A>& x0,
                                             CgParams params = {}, Callback&& callback = {}) {
    params.validate();
    constexpr const char* where = "lucid::conjugate_gradient";
    detail::require_vector_shape(where, "b", b, op.domain_shape(), "the operator's shape");
    detail::require_vector_shape(where, "x0", x0, op.domain_shape(), "the operator's shape");
    require(all_finite(b), where, "b", "finite everywhere", "a non-finite value");
    detail::require_finite_start(where, x0);
    SolverResult<domain_t<A>> result;
    result.x = clone(x0);
    CgWorkspace<domain_t<A>> ws(x0);
    static_cast<RunInfo&>(result) = conjugate_gradient_inplace(op, b, result.x, ws, params, callback);
    return result;
}

}  // namespace lucid
