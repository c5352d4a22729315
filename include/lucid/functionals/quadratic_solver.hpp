#pragma once
/// \file quadratic_solver.hpp
/// Shared engine of the quadratic functionals (LeastSquares, Tikhonov):
/// solves (c·AᵀA + I) p = b exactly in a transform domain when AᵀA is
/// diagonalized (`gram_spectrum_of(A)`), by warm-started CG otherwise.

#include <algorithm>
#include <cmath>
#include <complex>
#include <optional>
#include <type_traits>

#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/operator_norm.hpp"
#include "lucid/ops/spectral_operator.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/stored.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"

namespace lucid {

/// Options of the inner solve of quadratic proxes when no spectrum is known.
struct QuadraticProxParams {
    int cg_max_iter = 300;   ///< CG iteration budget per prox call
    double cg_tol = 1e-10;   ///< relative residual of CG (raised to 1e-6 in float)
    bool use_spectrum = true;  ///< use the closed form when AᵀA is diagonalized

    void validate() const {
        require(cg_max_iter >= 1, "lucid::QuadraticProxParams", "cg_max_iter", ">= 1", cg_max_iter);
        require(std::isfinite(cg_tol) && cg_tol > 0, "lucid::QuadraticProxParams", "cg_tol", "finite and > 0", cg_tol);
    }
};

namespace detail {

template <class V>
struct spectral_rank : std::integral_constant<std::size_t, 0> {};
template <class T>
struct spectral_rank<xt::xtensor<T, 2>> : std::integral_constant<std::size_t, 2> {};
template <class T>
struct spectral_rank<xt::xtensor<T, 3>> : std::integral_constant<std::size_t, 3> {};

/// x ↦ c·AᵀA x + x, for CG (owns A's range as scratch).
template <class Stored>
class ShiftedGram {
    using OA = unwrap_t<Stored>;

public:
    using scalar_type = typename OA::scalar_type;
    using domain_type = typename OA::domain_type;
    using range_type = typename OA::domain_type;

    ShiftedGram(const Stored* a, scalar_type c) : a_(a), c_(c), mid_(make_range(get(*a))) {}
    void set(const Stored* a, scalar_type c) { a_ = a; c_ = c; }
    auto domain_shape() const { return get(*a_).domain_shape(); }
    auto range_shape() const { return get(*a_).domain_shape(); }
    void apply(const domain_type& x, range_type& y) const {
        get(*a_).apply(x, mid_);
        get(*a_).apply_adjoint(mid_, y);
        axpby(scalar_type(1), x, c_, y);
    }
    void apply_adjoint(const range_type& y, domain_type& x) const { apply(y, x); }

private:
    const Stored* a_;
    scalar_type c_;
    mutable typename OA::range_type mid_;
};

/// Solves (c·AᵀA + I) p = b for the operator held in `Stored` (value or reference_wrapper).
template <class Stored>
class RegularizedNormalSolver {
    using OA = unwrap_t<Stored>;
    static_assert(LinearOperator<OA>, "needs a LinearOperator");

public:
    using T = typename OA::scalar_type;
    using V = typename OA::domain_type;
    static constexpr std::size_t rank = spectral_rank<V>::value;

    RegularizedNormalSolver() = default;

    /// Prepares the solver for `a` (the same operator must be passed to every call).
    void init(const Stored& a, QuadraticProxParams params) {
        params.validate();
        params_ = params;
        gram_ = params.use_spectrum ? gram_spectrum_of(get(a)) : std::nullopt;
        if (gram_ && gram_->blocks() != 1) gram_.reset();
        if (gram_ && gram_->transform != Transform::any) {
            if constexpr (rank == 0) {
                gram_.reset();
            } else {
                const auto ds = get(a).domain_shape();
                for (std::size_t i = 0; i < rank; ++i) shape_[i] = ds[i];
                if (plane_shape(shape_) != gram_->plane) gram_.reset();
            }
        }
        c_ = -1;
        spectral_.reset();
        cg_.reset();
    }

    /// True when the solve is exact (spectral closed form).
    bool closed_form() const { return gram_.has_value(); }
    /// The spectrum of AᵀA when known.
    const std::optional<Spectrum<T>>& gram() const { return gram_; }

    /// ‖A‖² = λ_max(AᵀA): exact from the spectrum, else by power iteration
    /// (inflated by 1% because the power method approaches from below).
    T squared_norm_estimate(const Stored& a) const {
        if (gram_) {
            double m = 0;
            for (const auto& v : gram_->values) m = std::max(m, double(std::abs(v)));
            return T(m);
        }
        const T n = operator_norm(get(a), PowerIterationParams{.max_iter = 1000, .tol = 1e-7, .seed = 0});
        return T(1.01) * n * n;
    }

    /// p = (c·AᵀA + I)⁻¹ b; p holds the warm start on entry for CG.
    /// Returns the CG status (converged for the closed form).
    Status solve(const Stored& a, T c, const V& b, V& p) const {
        if (gram_) {
            if (gram_->transform == Transform::any) {
                const T s = T(1) / (c * gram_->values(0, 0, 0).real() + T(1));
                lincomb(s, b, T(0), b, p);
                return Status::converged;
            }
            if constexpr (rank != 0) {
                if (c != c_ || !spectral_) {
                    auto shifted_inverse = [c](std::complex<T> g) { return std::complex<T>(T(1) / (c * g.real() + T(1)), T(0)); };
                    if (!spectral_) spectral_.emplace(*gram_, shape_);
                    spectral_->assign_symbol(*gram_, shifted_inverse);  // no allocation when only c changes
                    c_ = c;
                }
                spectral_->apply(b, p);
                return Status::converged;
            }
        }
        if (!cg_) cg_.emplace(&a, b);
        cg_->op.set(&a, c);
        CgParams cp;
        cp.max_iter = params_.cg_max_iter;
        cp.tol = std::is_same_v<T, float> ? std::max(params_.cg_tol, 1e-6) : params_.cg_tol;
        cp.record_history = false;
        conjugate_gradient_inplace(cg_->run, cg_->op, b, p, cg_->ws, cp);
        return cg_->run.status;
    }

private:
    struct Cg {
        ShiftedGram<Stored> op;
        CgWorkspace<V> ws;
        RunInfo run;  // reused: no message allocation per prox call
        Cg(const Stored* a, const V& like) : op(a, T(1)), ws(like) {}
    };

    QuadraticProxParams params_;
    Shape<rank == 0 ? 1 : rank> shape_{};
    std::optional<Spectrum<T>> gram_;
    mutable T c_ = -1;
    mutable std::optional<std::conditional_t<rank == 0, int, ops::SpectralOperator<T, rank == 0 ? 2 : rank>>> spectral_;
    mutable std::optional<Cg> cg_;
};

}  // namespace detail
}  // namespace lucid
