#pragma once
/// \file prox_denoiser.hpp
/// Any proximable functional as a denoiser (the MAP estimate under its prior).

#include <cmath>
#include <utility>

#include "lucid/core/error.hpp"
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/functionals/concepts.hpp"

namespace lucid::denoisers {

/// D(y, σ) = \f$ \mathrm{prox}_{\sigma^2 w f}(y) = \arg\min_x \tfrac{1}{2\sigma^2}\|x - y\|^2 + w f(x) \f$:
/// the MAP estimate for y = x + N(0, σ²I) under the prior p(x) ∝ exp(−w f(x)).
/// Convention: τ = σ²·weight. (For 1-homogeneous priors such as TV or ℓ1 the
/// best weight scales like 1/σ, i.e. τ ∝ σ — see TvDenoiser for that
/// parameterization.)
/// ```cpp
/// denoisers::ProxDenoiser d(lucid::L1<double>(1.0), 20.0);   // soft threshold at 20σ²
/// d.denoise(y, 0.1, out);
/// ```
template <class F>
class ProxDenoiser {
public:
    using scalar_type = typename F::scalar_type;
    using T = scalar_type;

    /// weight > 0 (finite).
    explicit ProxDenoiser(F f, T weight = T(1)) : f_(std::move(f)), w_(weight) {
        require_positive("lucid::denoisers::ProxDenoiser", "weight", weight);
    }

    const F& functional() const { return f_; }
    T weight() const { return w_; }

    /// out = prox_{σ²·weight·f}(y); σ > 0.
    template <Vector V>
        requires Proximable<F, V>
    void denoise(const V& y, T sigma, V& out) const {
        constexpr const char* where = "lucid::denoisers::ProxDenoiser::denoise";
        require_positive(where, "sigma", sigma);
        const T tau = sigma * sigma * w_;
        require(std::isfinite(tau), where, "sigma", "a value whose sigma^2 * weight is finite", sigma);
        if (tau == T(0)) {  // σ²·weight underflowed: prox_{τf} → identity as τ → 0
            if (&out != &y) copy(y, out);
            return;
        }
        f_.prox(y, tau, out);
    }

private:
    F f_;
    T w_;
};

template <class F, class S>
ProxDenoiser(F, S) -> ProxDenoiser<F>;
template <class F>
ProxDenoiser(F) -> ProxDenoiser<F>;

}  // namespace lucid::denoisers
