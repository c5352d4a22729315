#pragma once
/// \file least_squares.hpp
/// The data term ½‖Ax − y‖² with gradient, Lipschitz constant and exact prox.

#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>

#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/quadratic_solver.hpp"
#include "lucid/ops/stored.hpp"

namespace lucid {

namespace detail {

/// f(x) = (w/2)‖Ax − y‖², the engine of LeastSquares and Tikhonov.
template <class A>
class WeightedLeastSquares {
public:
    using operator_type = unwrap_t<A>;
    static_assert(LinearOperator<operator_type>, "LeastSquares needs a LinearOperator (or std::cref of one)");
    using scalar_type = typename operator_type::scalar_type;
    using domain_type = typename operator_type::domain_type;
    using range_type = typename operator_type::range_type;
    using T = scalar_type;

    /// `weight_name`: the caller's name for the weight, in error messages.
    WeightedLeastSquares(const char* where, A a, range_type y, T weight, QuadraticProxParams params,
                         const char* weight_name = "weight")
        : a_(std::move(a)), y_(std::move(y)), w_(weight), r_(make_range(get(a_))) {
        require_positive(where, weight_name, weight);
        if (!(shape_of(y_) == get(a_).range_shape()))
            throw ShapeError(concat(where, ": argument 'y' must have the operator's range shape (got ",
                                    element_count(y_), " elements, expected ", element_count(r_), ")"));
        require(all_finite(y_), where, "y", "finite everywhere", "a non-finite value");
        solver_.init(a_, params);
        gram_route_ = gram_route_pays();
    }

    const operator_type& op() const { return get(a_); }
    const range_type& data() const { return y_; }
    T weight() const { return w_; }

    /// (w/2)‖Ax − y‖².
    T value(const domain_type& x) const {
        residual(x);
        return T(0.5) * w_ * squared_norm(r_);
    }

    /// g = w·Aᵀ(Ax − y). When A is an FFT-backed operator whose AᵀA is
    /// Fourier-diagonal (periodic convolution on its FFT path), computed as
    /// w·(𝓕⁻¹(Ĝ ⊙ 𝓕x) − Aᵀy): one transform pair instead of two.
    void gradient(const domain_type& x, domain_type& g) const {
        if (gram_route_) {
            if constexpr (detail::spectral_rank<domain_type>::value != 0) {
                if (!gram_op_) {  // built on first use: a prox-only caller never pays for it
                    gram_op_.emplace(*solver_.gram(), get(a_).domain_shape());
                    ensure_aty();
                }
                gram_op_->apply(x, g);
                axpy(T(-1), *aty_, g);
            }
        } else {
            residual(x);
            get(a_).apply_adjoint(r_, g);
        }
        if (w_ != T(1)) scale(w_, g);
    }

    /// w·‖A‖² (computed once, on first call).
    T lipschitz() const {
        if (!lipschitz_) lipschitz_ = w_ * solver_.squared_norm_estimate(a_);
        return *lipschitz_;
    }

    /// True when prox is computed in closed form (AᵀA diagonalized).
    bool closed_form_prox() const { return solver_.closed_form(); }

    /// out = (wτAᵀA + I)⁻¹(wτAᵀy + v). out may alias v. The CG path warm-starts
    /// from the previous prox output.
    void prox(const domain_type& v, T tau, domain_type& out, const char* where) const {
        require_tau(where, tau);
        ensure_aty();
        if (!rhs_) rhs_.emplace(make_domain(get(a_)));
        const T c = w_ * tau;
        lincomb(c, *aty_, T(1), v, *rhs_);
        if (solver_.closed_form()) {
            last_status_ = solver_.solve(a_, c, *rhs_, out);
            return;
        }
        if (!warm_) warm_.emplace(v);  // first call: start from v
        last_status_ = solver_.solve(a_, c, *rhs_, *warm_);
        copy(*warm_, out);
    }

    /// Status of the last inner CG solve (converged for the closed form).
    Status last_prox_status() const { return last_status_; }

private:
    void residual(const domain_type& x) const {
        get(a_).apply(x, r_);
        axpy(T(-1), y_, r_);
    }

    void ensure_aty() const {
        if (aty_) return;
        aty_.emplace(make_domain(get(a_)));
        get(a_).apply_adjoint(y_, *aty_);
    }

    // The gram route pays when applying A costs an FFT pair anyway (an operator
    // with fft_shape() ≠ {0, 0}, i.e. Convolution on its FFT path) and the gram
    // symbol is Fourier (FFTW's DCTs are several times slower than its r2c/c2r,
    // and direct-path convolutions with small kernels are cheaper than a pair).
    bool gram_route_pays() const {
        if constexpr (detail::spectral_rank<domain_type>::value == 0) {
            return false;
        } else {
            const auto& gram = solver_.gram();
            return gram && gram->transform == Transform::fourier && fft_backed(get(a_));
        }
    }

    template <class Op>
    static bool fft_backed(const Op& op) {
        if constexpr (requires { op.fft_shape(); }) {
            const auto s = op.fft_shape();
            return s[0] != 0 && s[1] != 0;
        } else {
            return false;
        }
    }

    A a_;
    range_type y_;
    T w_;
    mutable range_type r_;
    detail::RegularizedNormalSolver<A> solver_;
    mutable std::optional<T> lipschitz_;
    mutable std::optional<domain_type> aty_, rhs_, warm_;
    using GramOperator = std::conditional_t<detail::spectral_rank<domain_type>::value == 0, int,
                                            ops::SpectralOperator<T, std::max<std::size_t>(2, detail::spectral_rank<domain_type>::value)>>;
    bool gram_route_ = false;  // gradient through the gram symbol (see gram_route_pays)
    mutable std::optional<GramOperator> gram_op_;
    mutable Status last_status_ = Status::converged;
};

}  // namespace detail

/// The least-squares data term
/// \f$ f(x) = \tfrac12\|Ax - y\|_2^2 \f$ with
/// \f$ \nabla f(x) = A^\top(Ax - y) \f$, Lipschitz constant \f$ \|A\|_2^2 \f$
/// (exact, max |AᵀA symbol|, when A reports a gram spectrum; power iteration
/// +1% otherwise; computed once on first request) and
/// \f$ \mathrm{prox}_{\tau f}(v) = (A^\top A + I/\tau)^{-1}(A^\top y + v/\tau) \f$,
/// exact in one transform pair when AᵀA is Fourier/cosine-diagonal, else by
/// warm-started CG (tolerance in QuadraticProxParams).
///
/// A is stored by value; pass `std::cref(A)` to keep a reference.
/// ```cpp
/// auto f = lucid::LeastSquares(A, y);          // CTAD
/// auto r = lucid::fista(f, lucid::TotalVariation<double>(0.01), y);
/// ```
template <class A>
class LeastSquares : public detail::WeightedLeastSquares<A> {
    using Base = detail::WeightedLeastSquares<A>;

public:
    using typename Base::domain_type;
    using typename Base::range_type;
    using typename Base::scalar_type;

    /// A: the forward operator; y: data of A's range shape (finite).
    LeastSquares(A a, range_type y, QuadraticProxParams params = {})
        : Base("lucid::LeastSquares", std::move(a), std::move(y), scalar_type(1), params) {}

    /// Exact prox (see class comment).
    void prox(const domain_type& v, scalar_type tau, domain_type& out) const {
        Base::prox(v, tau, out, "lucid::LeastSquares::prox");
    }
};

template <class A, class Y>
LeastSquares(A, Y) -> LeastSquares<A>;
template <class A, class Y>
LeastSquares(A, Y, QuadraticProxParams) -> LeastSquares<A>;

/// Generalized Tikhonov regularization
/// \f$ f(x) = \tfrac{\lambda}{2}\|D(x - x_0)\|_2^2 \f$ (x₀ = 0 by default) for a
/// linear operator D (e.g. ops::Gradient, a Laplacian). Gradient
/// λDᵀD(x − x₀), Lipschitz λ‖D‖², exact prox
/// \f$ (I + \tau\lambda D^\top D)^{-1}(v + \tau\lambda D^\top D x_0) \f$ — closed form when
/// DᵀD is diagonalized (Neumann/periodic differences), CG otherwise.
/// For the plain ½λ‖x − x₀‖² use SquaredL2.
template <class D>
class Tikhonov : public detail::WeightedLeastSquares<D> {
    using Base = detail::WeightedLeastSquares<D>;

public:
    using typename Base::domain_type;
    using typename Base::range_type;
    using typename Base::scalar_type;

    /// ½λ‖Dx‖²; λ > 0.
    Tikhonov(D d, scalar_type lambda, QuadraticProxParams params = {})
        : Base("lucid::Tikhonov", D(d), zero_range(d), lambda, params, "lambda") {}

    /// ½λ‖D(x − x₀)‖²; λ > 0, x₀ of D's domain shape.
    Tikhonov(D d, scalar_type lambda, const domain_type& x0, QuadraticProxParams params = {})
        : Base("lucid::Tikhonov", D(d), image_of(d, x0), lambda, params, "lambda") {}

    scalar_type lambda() const { return this->weight(); }

    /// Exact prox (see class comment).
    void prox(const domain_type& v, scalar_type tau, domain_type& out) const {
        Base::prox(v, tau, out, "lucid::Tikhonov::prox");
    }

private:
    static range_type zero_range(const D& d) { return make_range(detail::get(d)); }
    static range_type image_of(const D& d, const domain_type& x0) {
        const auto& op = detail::get(d);
        if (!(shape_of(x0) == op.domain_shape()))
            throw ShapeError("lucid::Tikhonov: argument 'x0' must have the operator's domain shape");
        auto y = make_range(op);
        op.apply(x0, y);
        return y;
    }
};

template <class D, class S>
Tikhonov(D, S) -> Tikhonov<D>;
template <class D, class S>
Tikhonov(D, S, QuadraticProxParams) -> Tikhonov<D>;
template <class D, class S, class X>
    requires Vector<X>
Tikhonov(D, S, X) -> Tikhonov<D>;
template <class D, class S, class X>
Tikhonov(D, S, X, QuadraticProxParams) -> Tikhonov<D>;

}  // namespace lucid
