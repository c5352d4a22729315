#pragma once
/// \file data_consistency.hpp
/// The data step of the samplers: x = (AᵀA + ρI)⁻¹(Aᵀy + ρ v), solved by
/// conjugate gradients on the correction, with workspaces allocated once.

#include <cmath>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"

namespace lucid::sampling {

namespace detail {

/// N = AᵀA + ρI as a square operator on A's domain (one scratch range vector).
template <LinearOperator A>
struct NormalOperator {
    using scalar_type = op_scalar_t<A>;
    using domain_type = domain_t<A>;
    using range_type = domain_t<A>;
    const A* op;
    scalar_type rho;
    mutable range_t<A> tmp;

    shape_t<domain_type> domain_shape() const { return op->domain_shape(); }
    shape_t<domain_type> range_shape() const { return op->domain_shape(); }
    void apply(const domain_type& x, domain_type& out) const {
        op->apply(x, tmp);
        op->apply_adjoint(tmp, out);
        axpy(rho, x, out);
    }
    void apply_adjoint(const domain_type& x, domain_type& out) const { apply(x, out); }
};

}  // namespace detail

/// Regularized least-squares projection onto the data:
/// \f$ \mathcal P_\rho(v) = \arg\min_x \|A x - y\|^2 + \rho\|x - v\|^2
///   = (A^\top A + \rho I)^{-1}(A^\top y + \rho v) \f$.
/// For small ρ, \f$ \mathcal P_\rho(v) - v \to A^+(y - A v) \f$ restricted to the row
/// space, the projection step of Kadkhodaie & Simoncelli's constrained
/// sampler; for ρ = λσₙ²/σ̄ₜ² it is DiffPIR's data step (Zhu et al., CVPR 2023, eq. 13). Solved by CG,
/// `cg_iter` iterations at most.
template <LinearOperator A>
class DataConsistency {
public:
    using T = op_scalar_t<A>;
    using V = domain_t<A>;
    using R = range_t<A>;

    DataConsistency(const A& op, const R& y, int cg_iter = 50, double cg_tol = 1e-6)
        : op_(&op), y_(&y), normal_{&op, T(1), make_range(op)}, r_(make_range(op)), rhs_(make_domain(op)),
          delta_(make_domain(op)), ws_(rhs_), cg_iter_(cg_iter), cg_tol_(cg_tol) {
        require(cg_iter >= 1, "lucid::sampling::DataConsistency", "cg_iter", ">= 1", cg_iter);
        require_shape("lucid::sampling::DataConsistency", "y", shape_of(y), op.range_shape());
        // a NaN in y makes every CG solve break down to δ = 0: the data would be ignored silently
        require(all_finite(y), "lucid::sampling::DataConsistency", "y", "finite everywhere", "a non-finite value");
    }

    /// x ← (AᵀA + ρI)⁻¹(Aᵀy + ρ v) (ρ > 0), computed as x = v + δ with
    /// (AᵀA + ρI)δ = Aᵀ(y − A v): the null-space part of v is kept exactly and
    /// CG's relative tolerance applies to the data misfit, however small ρ is.
    /// x may alias v. y must outlive this object.
    void solve(const V& v, T rho, V& x) {
        require(std::isfinite(rho) && rho > T(0), "lucid::sampling::DataConsistency::solve", "rho", "finite and > 0",
                rho);
        normal_.rho = rho;
        op_->apply(v, r_);
        lincomb(T(1), *y_, T(-1), r_, r_);
        op_->apply_adjoint(r_, rhs_);
        set_zero(delta_);
        conjugate_gradient_inplace(run_, normal_, rhs_, delta_, ws_,
                                   CgParams{.max_iter = cg_iter_, .tol = cg_tol_, .record_history = false});
        lincomb(T(1), v, T(1), delta_, x);
    }

    /// ‖A x − y‖ (allocation-free; uses the internal range scratch).
    T residual(const V& x, const R& y) const {
        op_->apply(x, normal_.tmp);
        return distance(normal_.tmp, y);
    }

private:
    const A* op_;
    const R* y_;
    detail::NormalOperator<A> normal_;
    R r_;
    V rhs_, delta_;
    CgWorkspace<V> ws_;
    RunInfo run_;  // reused: no message allocation per call
    int cg_iter_;
    double cg_tol_;
};

}  // namespace lucid::sampling
