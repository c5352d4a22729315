#pragma once
/// \file tv_denoiser.hpp
/// ROF total-variation denoising as a Denoiser.

#include <cmath>
#include <optional>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/functionals/total_variation.hpp"

namespace lucid::denoisers {

/// Parameters of TvDenoiser.
struct TvDenoiserParams {
    /// Fixed λ (> 0) of the ROF problem, ignoring σ — the CLI's `--lambda L`.
    /// 0: use λ = lambda_per_sigma·σ.
    double lambda = 0;
    /// λ/σ when `lambda` is 0. Default 0.8: the PSNR-optimal ROF weight for
    /// σ ∈ {0.05, 0.1, 0.2} on data/camera.png lies in 0.7σ–0.9σ (measured with
    /// scikit-image's denoise_tv_chambolle, whose `weight` is our λ).
    double lambda_per_sigma = 0.8;
    TvNorm norm = TvNorm::isotropic;   ///< vectorial couples color channels
    TvProxParams prox{.max_iter = 300, .tol = 1e-4};

    void validate() const {
        constexpr const char* where = "lucid::denoisers::TvDenoiserParams";
        require(std::isfinite(lambda) && lambda >= 0, where, "lambda", "finite and >= 0 (0 = proportional to sigma)", lambda);
        require_positive(where, "lambda_per_sigma", lambda_per_sigma);
        prox.validate();
    }
};

/// ROF denoising (Rudin, Osher & Fatemi 1992):
/// \f$ \hat x = \arg\min_x \tfrac12\|x - y\|^2 + \lambda\,\mathrm{TV}(x) \f$ with
/// λ = `lambda` if set, else λ = lambda_per_sigma·σ (TV is 1-homogeneous, so
/// the best λ grows linearly with σ). Solved by TotalVariation::prox (FGP,
/// duality-gap stop); the dual variable is kept between calls (warm start).
template <class T>
class TvDenoiser {
public:
    using scalar_type = T;

    explicit TvDenoiser(TvDenoiserParams params = {})
        : params_((params.validate(), params)), tv_(T(1), params.norm, params.prox) {}

    const TvDenoiserParams& params() const { return params_; }
    /// The λ used for noise level σ.
    T lambda_for(T sigma) const { return params_.lambda > 0 ? T(params_.lambda) : T(params_.lambda_per_sigma) * sigma; }
    /// FGP report of the last call.
    const TvProxInfo& last_info() const { return tv_.last_prox_info(); }

    /// out = argmin ½‖x − y‖² + λ(σ)·TV(x); σ > 0 (ignored when λ is fixed). out may alias y.
    template <std::size_t Rank>
    void denoise(const xt::xtensor<T, Rank>& y, T sigma, xt::xtensor<T, Rank>& out) const {
        constexpr const char* where = "lucid::denoisers::TvDenoiser::denoise";
        require_positive(where, "sigma", sigma);
        const T lambda = lambda_for(sigma);
        require(std::isfinite(lambda), where, "sigma", "a value whose lambda_per_sigma * sigma is finite", sigma);
        if (lambda == T(0)) {  // λ(σ) underflowed: the prox → identity as λ → 0
            if (static_cast<const void*>(&out) != static_cast<const void*>(&y)) out = y;
            return;
        }
        tv_.prox(y, lambda, out);  // prox of τ·(1·TV) with τ = λ
    }

private:
    TvDenoiserParams params_;
    TotalVariation<T> tv_;
};

}  // namespace lucid::denoisers
