#pragma once
/// \file data_consistency.hpp
/// The data step of the samplers: x = (AᵀA + ρI)⁻¹(Aᵀy + ρ v), in closed form
/// when A is diagonalized (a DFT/DCT symbol, or pointwise weights), else by
/// conjugate gradients on the correction; workspaces allocated once.

#include <cmath>
#include <complex>
#include <cstddef>
#include <limits>
#include <optional>
#include <type_traits>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/ops/diagonal.hpp"
#include "lucid/ops/mask.hpp"
#include "lucid/ops/spectral_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"
#include "lucid/solvers/smooth_term.hpp"

namespace lucid::sampling {

/// How a DataConsistency solves (AᵀA + ρI)x = Aᵀy + ρv.
enum class DataConsistencyMethod {
    transform,  ///< a one-block DFT/DCT symbol (periodic; reflect with an axis-symmetric kernel): a Wiener filter
    pointwise,  ///< A = diag(w) (ops::Mask, ops::Diagonal): elementwise
    cg          ///< conjugate gradients (every other operator, or closed forms turned off)
};

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

/// The weights w of a pointwise operator A = diag(w) (AᵀA = diag(w²)).
template <class T, std::size_t Rank>
const xt::xtensor<T, Rank>& pointwise_weights(const ops::Mask<T, Rank>& a) { return a.mask(); }
template <class V>
const V& pointwise_weights(const ops::Diagonal<V>& a) { return a.weights(); }

template <class A>
concept PointwiseOperator = requires(const A& a) { pointwise_weights(a); };

/// \f$ W_\rho = (A^\top A + \rho I)^{-1} A^\top = \mathcal T^{-1}\,
///     \mathrm{diag}\big(\overline{\hat A}/(|\hat A|^2 + \rho)\big)\,\mathcal T \f$
/// for an operator with a one-block DFT or DCT symbol Â (the Wiener filter
/// of NSR ρ): an ops::SpectralOperator whose symbol is rewritten in place
/// when ρ changes (no allocation after construction).
template <class T, std::size_t Rank>
class WienerStep {
public:
    WienerStep(Spectrum<T> symbol, Shape<Rank> shape) : a_(std::move(symbol)), w_(a_, shape) {}

    void set_rho(T rho) {
        if (rho == rho_) return;  // the samplers often keep ρ: skip the O(HW) rewrite
        rho_ = rho;
        w_.assign_symbol(a_, [rho](std::complex<T> a) { return std::conj(a) / (std::norm(a) + rho); });
    }
    /// out = W_ρ r (out may alias r: the transform reads r before writing out).
    void apply(const xt::xtensor<T, Rank>& r, xt::xtensor<T, Rank>& out) const { w_.apply(r, out); }

private:
    Spectrum<T> a_;                    ///< Â, the base of every rewrite
    ops::SpectralOperator<T, Rank> w_;
    T rho_ = std::numeric_limits<T>::quiet_NaN();  ///< the ρ the symbol holds (NaN: none yet)
};

}  // namespace detail

/// Regularized least-squares projection onto the data:
/// \f$ \mathcal P_\rho(v) = \arg\min_x \|A x - y\|^2 + \rho\|x - v\|^2
///   = (A^\top A + \rho I)^{-1}(A^\top y + \rho v) \f$.
/// For small ρ, \f$ \mathcal P_\rho(v) - v \to A^+(y - A v) \f$ restricted to the row
/// space, the projection step of Kadkhodaie & Simoncelli's constrained
/// sampler; for ρ = λσₙ²/σ̄ₜ² it is DiffPIR's data step (Zhu et al., CVPR 2023, eq. 13),
/// which uses the operator's closed form where it has one:
/// - A with a one-block DFT/DCT `spectrum()` Â on its image plane (periodic
///   convolution; reflect convolution with an axis-symmetric kernel; their
///   sums, compositions, polynomials): \f$ x = v + \mathcal T^{-1}\big(
///   \overline{\hat A}/(|\hat A|^2+\rho) \odot \mathcal T(y - Av)\big) \f$,
///   one application of A and one transform pair;
/// - A = diag(w) (ops::Mask, ops::Diagonal): \f$ x_i = v_i + w_i(y_i - w_i v_i)/(w_i^2 + \rho) \f$;
/// - otherwise CG on (AᵀA + ρI)δ = Aᵀ(y − Av), `cg_iter` iterations at most,
///   relative tolerance `cg_tol`.
/// `method()` says which one was chosen; `use_closed_form = false` forces CG.
template <LinearOperator A>
class DataConsistency {
public:
    using T = op_scalar_t<A>;
    using V = domain_t<A>;
    using R = range_t<A>;

    /// op and y must outlive this object; y of op's range shape, finite.
    DataConsistency(const A& op, const R& y, int cg_iter = 50, double cg_tol = 1e-6, bool use_closed_form = true)
        : op_(&op), y_(&y), r_(make_range(op)), cg_iter_(cg_iter), cg_tol_(cg_tol) {
        require(cg_iter >= 1, "lucid::sampling::DataConsistency", "cg_iter", ">= 1", cg_iter);
        require_shape("lucid::sampling::DataConsistency", "y", shape_of(y), op.range_shape());
        // a NaN in y makes every CG solve break down to δ = 0: the data would be ignored silently
        require(all_finite(y), "lucid::sampling::DataConsistency", "y", "finite everywhere", "a non-finite value");
        if (use_closed_form) choose_closed_form();
        if (method_ != DataConsistencyMethod::pointwise) delta_.emplace(make_domain(op));
        if (method_ == DataConsistencyMethod::cg) cg_.emplace(op, *delta_);
    }

    /// The solver every `solve` uses (fixed at construction).
    DataConsistencyMethod method() const { return method_; }
    /// True when each solve is exact (no inner iterations).
    bool closed_form() const { return method_ != DataConsistencyMethod::cg; }

    /// x ← (AᵀA + ρI)⁻¹(Aᵀy + ρ v) (ρ > 0), computed as x = v + δ with
    /// (AᵀA + ρI)δ = Aᵀ(y − A v): the null-space part of v is kept exactly and
    /// the error scales with the data misfit, however small ρ is (CG's relative
    /// tolerance applies to it; the closed form filters y − Av by
    /// conj(Â)/(|Â|² + ρ), bounded by 1/(2√ρ), rather than Aᵀ(y − Av) by 1/ρ).
    /// x may alias v.
    void solve(const V& v, T rho, V& x) {
        require(std::isfinite(rho) && rho > T(0), "lucid::sampling::DataConsistency::solve", "rho", "finite and > 0",
                rho);
        if constexpr (detail::PointwiseOperator<A>) {
            if (method_ == DataConsistencyMethod::pointwise) {
                require_shape("lucid::sampling::DataConsistency::solve", "v", shape_of(v), op_->domain_shape());
                require_shape("lucid::sampling::DataConsistency::solve", "x", shape_of(x), op_->domain_shape());
                lucid::detail::for_each_leaf([rho](auto w, auto y, auto vv, auto xx) {
                    for (std::size_t i = 0; i < xx.size(); ++i) {
                        const T wi = w[i], vi = vv[i];  // read v before x is written (x may alias v)
                        xx[i] = vi + wi * (y[i] - wi * vi) / (wi * wi + rho);
                    }
                }, detail::pointwise_weights(*op_), *y_, v, x);
                return;
            }
        }
        op_->apply(v, r_);
        lincomb(T(1), *y_, T(-1), r_, r_);  // r = y − Av
        V& delta = *delta_;
        if constexpr (square_image) {
            if (method_ == DataConsistencyMethod::transform) {
                wiener_->set_rho(rho);
                wiener_->apply(r_, delta);
                lincomb(T(1), v, T(1), delta, x);
                return;
            }
        }
        cg_->normal.rho = rho;
        op_->apply_adjoint(r_, cg_->rhs);
        set_zero(delta);
        conjugate_gradient_inplace(cg_->run, cg_->normal, cg_->rhs, delta, cg_->ws,
                                   CgParams{.max_iter = cg_iter_, .tol = cg_tol_, .record_history = false});
        lincomb(T(1), v, T(1), delta, x);
    }

    /// ‖A x − y‖ (allocation-free; uses the internal range scratch).
    T residual(const V& x, const R& y) const {
        op_->apply(x, r_);
        return distance(r_, y);
    }

private:
    static constexpr std::size_t rank = lucid::detail::image_rank<V>::value;
    // the transform path needs images with the operator's range equal to its domain
    static constexpr bool square_image = rank != 0 && std::is_same_v<V, R>;
    using Wiener = detail::WienerStep<T, (rank == 0 ? 2 : rank)>;

    struct Cg {
        detail::NormalOperator<A> normal;
        V rhs;
        CgWorkspace<V> ws;
        RunInfo run;  // reused: no message allocation per call
        Cg(const A& op, const V& like) : normal{&op, T(1), make_range(op)}, rhs(zeros_like(like)), ws(like) {}
    };

    void choose_closed_form() {
        if constexpr (detail::PointwiseOperator<A>) {
            method_ = DataConsistencyMethod::pointwise;
        } else if constexpr (square_image) {
            auto s = spectrum_of(*op_);
            if (!s || s->blocks() != 1) return;
            const auto ds = op_->domain_shape(), rs = op_->range_shape();
            Shape<rank> shape;
            for (std::size_t i = 0; i < rank; ++i) {
                if (std::size_t(ds[i]) != std::size_t(rs[i])) return;
                shape[i] = std::size_t(ds[i]);
            }
            if (s->transform != Transform::any && s->plane != plane_shape(shape)) return;
            wiener_.emplace(std::move(*s), shape);
            method_ = DataConsistencyMethod::transform;
        }
    }

    const A* op_;
    const R* y_;
    mutable R r_;                  ///< y − Av, and residual()'s scratch
    std::optional<V> delta_;       ///< the correction (transform and CG paths)
    DataConsistencyMethod method_ = DataConsistencyMethod::cg;
    // only the chosen path's buffers exist
    std::optional<Wiener> wiener_;
    std::optional<Cg> cg_;
    int cg_iter_;
    double cg_tol_;
};

}  // namespace lucid::sampling
