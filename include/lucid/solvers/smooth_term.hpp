#pragma once
/// \file smooth_term.hpp
/// How first-order solvers evaluate the differentiable term f (lucid::detail).
///
/// Generic f: its own `gradient` and `value`. A quadratic data term
/// f(x) = (w/2)‖Ax − b‖² (LeastSquares, Tikhonov: anything with `op()`,
/// `data()` and `weight()`) whose normal operator AᵀA is diagonalized
/// (`gram_spectrum_of(A)`) on images gets its gradient as
/// \f$ \nabla f(x) = w(A^\top A x - A^\top b) \f$ from one transform pair
/// (ops::SpectralOperator) instead of one A and one Aᵀ — half the FFTs of a
/// convolution's forward and adjoint. Values still use f.value.

#include <memory>
#include <optional>
#include <type_traits>

#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/ops/spectral_operator.hpp"
#include "lucid/ops/spectrum.hpp"

namespace lucid::detail {

/// f(x) = (w/2)‖Ax − b‖² exposing its pieces.
template <class F>
concept QuadraticDataTerm = requires(const F& f) {
    f.op();
    f.data();
    { f.weight() } -> std::convertible_to<typename F::scalar_type>;
};

template <class V>
struct image_rank : std::integral_constant<std::size_t, 0> {};
template <class T>
struct image_rank<xt::xtensor<T, 2>> : std::integral_constant<std::size_t, 2> {};
template <class T>
struct image_rank<xt::xtensor<T, 3>> : std::integral_constant<std::size_t, 3> {};

/// The spectral normal operator w·AᵀA of a quadratic data term on images, if AᵀA is diagonalized.
template <class F, class V>
auto spectral_normal_operator(const F& f, const V& like) {
    using T = scalar_t<V>;
    constexpr std::size_t R = image_rank<V>::value;
    using Op = ops::SpectralOperator<T, (R == 0 ? 2 : R)>;
    std::optional<Op> out;
    if constexpr (R != 0 && QuadraticDataTerm<F>) {
        if constexpr (std::is_same_v<domain_t<std::remove_cvref_t<decltype(f.op())>>, V>) {
            auto g = gram_spectrum_of(f.op());
            if (g && g->blocks() == 1) {
                Shape<R> shape;
                for (std::size_t i = 0; i < R; ++i) shape[i] = like.shape()[i];
                if (g->transform == Transform::any || g->plane == plane_shape(shape))
                    out.emplace(spectrum_scale(T(f.weight()), std::move(*g)), shape);
            }
        }
    }
    return out;
}

/// f's gradient (possibly through the spectral normal operator) and value.
template <class F, class V>
class SmoothTerm {
public:
    using T = scalar_t<V>;

    SmoothTerm(const F& f, const V& like) : f_(f) {
        if constexpr (QuadraticDataTerm<F> && image_rank<V>::value != 0) {
            if (auto op = spectral_normal_operator(f, like)) {
                normal_ = std::make_unique<NormalOp>(std::move(*op));
                atb_ = std::make_unique<V>(zeros_like(like));
                f.op().apply_adjoint(f.data(), *atb_);
                scale(T(f.weight()), *atb_);  // w·Aᵀb
            }
        }
    }

    /// True when the gradient costs one transform pair (spectral normal operator).
    bool spectral() const { return normal_ != nullptr; }

    /// g = ∇f(x).
    void gradient(const V& x, V& g) const {
        if constexpr (QuadraticDataTerm<F> && image_rank<V>::value != 0) {
            if (normal_) {
                normal_->apply(x, g);
                axpy(T(-1), *atb_, g);
                return;
            }
        }
        f_.gradient(x, g);
    }

    T value(const V& x) const { return T(f_.value(x)); }
    std::optional<T> lipschitz() const { return lipschitz_constant(f_); }

private:
    // unique_ptr rather than optional: GCC 12 reports false maybe-uninitialized
    // warnings for disengaged optionals of containers.
    using NormalOp = ops::SpectralOperator<T, (image_rank<V>::value == 0 ? 2 : image_rank<V>::value)>;
    const F& f_;
    std::unique_ptr<NormalOp> normal_;
    std::unique_ptr<V> atb_;
};

}  // namespace lucid::detail
