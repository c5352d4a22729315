#pragma once
/// \file wavelet_l1.hpp
/// Sparsity of wavelet coefficients, λ‖Wx‖₁, with an orthonormal DWT (exact
/// prox) or a Parseval frame such as the undecimated transform (exact prox of
/// the "balanced" functional, see below).

#include <algorithm>
#include <cmath>
#include <optional>
#include <type_traits>

#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/l1.hpp"

namespace lucid {

namespace detail {

/// Calls fn(pointer, count, is_approximation) for the coefficient blocks of
/// c = Wx: Wavelet2D keeps cA_L in the top-left H/2^L × W/2^L corner of each
/// plane; StationaryWavelet2D puts it in band 0 of its {3L+1, …} range.
template <class W, class C, class Fn>
void for_each_coefficient_run(const W& w, C& c, Fn&& fn) {
    auto* p = c.data();
    if constexpr (requires { w.approximation_shape(); }) {
        const auto shape = w.domain_shape();
        const auto hw = plane_shape(shape);
        const auto a = w.approximation_shape();
        const std::size_t planes = channel_count(shape);
        for (std::size_t k = 0; k < planes; ++k)
            for (std::size_t i = 0; i < hw[0]; ++i) {
                auto* row = p + (k * hw[0] + i) * hw[1];
                if (i < a[0]) {
                    fn(row, a[1], true);
                    fn(row + a[1], hw[1] - a[1], false);
                } else {
                    fn(row, hw[1], false);
                }
            }
    } else {
        static_assert(requires { w.bands(); }, "WaveletL1 needs Wavelet2D, StationaryWavelet2D or a compatible transform");
        const std::size_t per_band = c.size() / w.bands();
        fn(p, per_band, true);
        fn(p + per_band, c.size() - per_band, false);
    }
}

}  // namespace detail

/// \f$ f(x) = \lambda \|W x\|_1 \f$ over the detail coefficients of a wavelet
/// transform W (and over the coarse approximation cA_L too if
/// `penalize_approximation`; by default it is left free, as in wavelet
/// shrinkage). `prox(v, τ, out)` computes \f$ W^\top \mathrm{soft}(W v, \tau\lambda) \f$:
///
/// - W orthonormal (`ops::Wavelet2D`, WWᵀ = WᵀW = I): this is exactly
///   \f$ \mathrm{prox}_{\tau f}(v) \f$ (prox of g∘W = Wᵀ∘prox_g∘W for orthonormal W;
///   see Combettes & Pesquet 2011, "Proximal splitting methods in signal
///   processing", properties of proximity operators), and `exact_prox()` is true.
/// - W a Parseval frame (`ops::StationaryWavelet2D`, WᵀW = I but WWᵀ ≠ I): it
///   is not the prox of the analysis term λ‖Wx‖₁ (which has no closed form)
///   but exactly the prox of the *balanced* regularizer
///   \f$ \varphi(x) = \min_c \{ \lambda\|c\|_1 + \tfrac12\|(I - WW^\top)c\|^2 : W^\top c = x \} \f$,
///   because for a Parseval frame
///   \f$ \|c - Wv\|^2 = \|W^\top c - v\|^2 + \|(I - WW^\top)c\|^2 \f$, so
///   soft(Wv) minimizes λ‖c‖₁ + ½‖Wᵀc − v‖² + ½‖(I − WWᵀ)c‖² (the balanced
///   model between analysis and synthesis; Chaux, Combettes, Pesquet & Wajs
///   2007). φ(x) ≤ λ‖Wx‖₁ (take c = Wx, for which (I − WWᵀ)Wx = 0). `value` returns the analysis value λ‖Wx‖₁ (an upper bound
///   on φ); `exact_prox()` is false. Used in FISTA this minimizes the
///   balanced objective, the usual "undecimated wavelet" regularization.
///
/// W is stored by value; scratch for one coefficient array is allocated on first use.
template <class W>
class WaveletL1 {
public:
    using transform_type = W;
    using scalar_type = typename W::scalar_type;
    using domain_type = typename W::domain_type;
    using range_type = typename W::range_type;
    using T = scalar_type;

    /// λ > 0; W a wavelet transform operator.
    WaveletL1(W w, T lambda, bool penalize_approximation = false)
        : w_(std::move(w)), lambda_(lambda), penalize_approx_(penalize_approximation) {
        require_positive("lucid::WaveletL1", "lambda", lambda);
    }

    T lambda() const { return lambda_; }
    const W& transform() const { return w_; }
    bool penalizes_approximation() const { return penalize_approx_; }
    /// True when prox is the exact prox of `value` (orthonormal W).
    static constexpr bool exact_prox() { return std::is_same_v<range_type, domain_type>; }

    /// λ Σ |(Wx)ᵢ| over the penalized coefficients.
    T value(const domain_type& x) const {
        range_type& c = coeffs();
        w_.apply(x, c);
        double total = 0;
        detail::for_each_coefficient_run(w_, c, [&](T* p, std::size_t n, bool approx) {
            if (approx && !penalize_approx_) return;
            for (std::size_t i = 0; i < n; ++i) total += std::abs(double(p[i]));
        });
        return T(double(lambda_) * total);
    }

    /// out = Wᵀ soft(Wv, τλ) (see class comment for what it is the prox of).
    void prox(const domain_type& v, T tau, domain_type& out) const {
        detail::require_tau("lucid::WaveletL1::prox", tau);
        range_type& c = coeffs();
        w_.apply(v, c);
        const T t = tau * lambda_;
        detail::for_each_coefficient_run(w_, c, [&](T* p, std::size_t n, bool approx) {
            if (approx && !penalize_approx_) return;
            for (std::size_t i = 0; i < n; ++i) p[i] = detail::soft_threshold(p[i], t);
        });
        w_.apply_adjoint(c, out);
    }

private:
    range_type& coeffs() const {
        if (!c_) c_.emplace(make_range(w_));
        return *c_;
    }

    W w_;
    T lambda_;
    bool penalize_approx_;
    mutable std::optional<range_type> c_;
};

}  // namespace lucid
