#pragma once
/// \file diffusion.hpp
/// DDPM-style ancestral sampling with a denoiser as the noise predictor and
/// DiffPIR data-consistency steps (Ho, Jain & Abbeel, NeurIPS 2020; Zhu et
/// al., "Denoising diffusion models for plug-and-play image restoration",
/// CVPR 2023).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/sampling/data_consistency.hpp"
#include "lucid/sampling/noise.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid::sampling {

/// The DDPM noise schedule of Ho et al. (2020): βₜ linear from `beta_1` to
/// `beta_T` over t = 1..T, \f$ \bar\alpha_t = \prod_{s\le t}(1-\beta_s) \f$, and
/// the noise level of the rescaled variable \f$ x_t/\sqrt{\bar\alpha_t} = x_0 + \bar\sigma_t\varepsilon \f$:
/// \f$ \bar\sigma_t = \sqrt{(1-\bar\alpha_t)/\bar\alpha_t} \f$.
struct DdpmSchedule {
    std::vector<double> alpha_bar;  ///< ᾱₜ for t = 0..T (ᾱ₀ = 1)

    explicit DdpmSchedule(int T = 1000, double beta_1 = 1e-4, double beta_T = 0.02) {
        constexpr const char* w = "lucid::sampling::DdpmSchedule";
        require(T >= 2, w, "T", ">= 2", T);
        require(std::isfinite(beta_1) && beta_1 > 0 && beta_1 < 1, w, "beta_1", "in (0, 1)", beta_1);
        require(std::isfinite(beta_T) && beta_T >= beta_1 && beta_T < 1, w, "beta_T", "in [beta_1, 1)", beta_T);
        alpha_bar.resize(std::size_t(T) + 1);
        alpha_bar[0] = 1;
        for (int t = 1; t <= T; ++t) {
            const double beta = beta_1 + (beta_T - beta_1) * (t - 1) / double(T - 1);
            alpha_bar[std::size_t(t)] = alpha_bar[std::size_t(t) - 1] * (1 - beta);
        }
    }
    int steps() const { return int(alpha_bar.size()) - 1; }
    /// σ̄ₜ = √((1 − ᾱₜ)/ᾱₜ).
    double sigma_bar(int t) const { return std::sqrt((1 - alpha_bar[std::size_t(t)]) / alpha_bar[std::size_t(t)]); }
    /// The largest t with σ̄ₜ ≤ σ (0 if none).
    int t_for_sigma(double sigma) const {
        int t = 0;
        while (t < steps() && sigma_bar(t + 1) <= sigma) ++t;
        return t;
    }
};

/// Parameters of `diffusion_posterior_sample`.
struct DiffusionParams {
    int T = 1000;                ///< DDPM training length
    double beta_1 = 1e-4;        ///< β₁ (Ho et al.)
    double beta_T = 0.02;        ///< β_T (Ho et al.)
    double sigma_start = 50.0 / 255;  ///< start at the t whose σ̄ₜ ≤ this (the denoiser's range)
    int steps = 50;              ///< number of denoising steps (a subsequence of t_start..1)
    double noise_sigma = 0.01;   ///< σₙ of the measurement noise in y
    double lambda = 1.0;         ///< DiffPIR λ: data step ρₜ = λσₙ²/σ̄ₜ²
    double eta = 1.0;            ///< 1: DDPM ancestral (posterior variance), 0: deterministic DDIM
    double rho_min = 1e-6;       ///< floor of ρₜ (noise-free y)
    int cg_iter = 30;            ///< CG iterations per data step (operators without a closed form; see DataConsistency)
    int warm_start = 10;         ///< PnP iterations x ← P_y(D(x, σ̄_start)) before the chain (0: start from P_y(½))
    std::uint64_t seed = 0;      ///< seed (one sample per seed)

    void validate() const {
        constexpr const char* w = "lucid::sampling::DiffusionParams";
        require_positive(w, "sigma_start", sigma_start);
        require(steps >= 1, w, "steps", ">= 1", steps);
        require_nonnegative(w, "noise_sigma", noise_sigma);
        require_positive(w, "lambda", lambda);
        require(std::isfinite(eta) && eta >= 0 && eta <= 1, w, "eta", "in [0, 1]", eta);
        require_positive(w, "rho_min", rho_min);
        require(cg_iter >= 1, w, "cg_iter", ">= 1", cg_iter);
        require(warm_start >= 0, w, "warm_start", ">= 0", warm_start);
    }
};

/// One posterior sample for y = A x + n, n ~ N(0, σₙ²I), by DDPM ancestral
/// sampling whose noise predictor is a Gaussian denoiser D, with DiffPIR
/// data steps. In the rescaled variable \f$ \tilde x_t = x_t/\sqrt{\bar\alpha_t} = x_0 + \bar\sigma_t\varepsilon \f$:
///
/// 1. \f$ \hat x_0^{(t)} = D(\tilde x_t, \bar\sigma_t) \f$ (Tweedie; ε̂ = (x̃ₜ − x̂₀)/σ̄ₜ is the noise prediction);
/// 2. data step \f$ \hat x_0 = \arg\min_x \|Ax - y\|^2 + \rho_t\|x - \hat x_0^{(t)}\|^2 \f$,
///    \f$ \rho_t = \max(\lambda\sigma_n^2/\bar\sigma_t^2, \rho_{\min}) \f$ (closed form or CG, DataConsistency);
/// 3. \f$ \hat\varepsilon = (\tilde x_t - \hat x_0)/\bar\sigma_t \f$ and, for the next time s < t,
///    \f$ c = \eta\sqrt{\tfrac{1-\bar\alpha_s}{1-\bar\alpha_t}\big(1-\tfrac{\bar\alpha_t}{\bar\alpha_s}\big)} \f$,
///    \f$ x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s-c^2}\,\hat\varepsilon + c z \f$
///    (η = 1: the DDPM ancestral step, posterior variance β̃; on a subsequence, DDIM's η = 1 form).
///
/// The chain starts at the largest t whose σ̄ₜ ≤ `sigma_start` (the
/// denoiser's trained range; the rest of Ho et al.'s schedule is replaced by
/// a data-consistent initialization: x̂ = 𝒫(½·1), then `warm_start`
/// plug-and-play steps x̂ ← 𝒫(D(x̂, σ̄ₜ)) at that σ, then
/// \f$ \tilde x = \hat x + \bar\sigma_t z \f$), runs `steps` steps down to
/// t = 0 and returns x̂₀ of the last step. History: `residual` σ̄ₜ,
/// `objective` ‖A x̂₀ − y‖.
template <class D, LinearOperator A, class Callback = callbacks::None>
    requires Denoiser<D, domain_t<A>>
SolverResult<domain_t<A>> diffusion_posterior_sample(const D& denoiser, const A& op, const range_t<A>& y,
                                                     DiffusionParams params = {}, Callback&& callback = {}) {
    params.validate();
    using T = op_scalar_t<A>;
    using V = domain_t<A>;
    lucid::detail::Stopwatch clock;
    const DdpmSchedule sched(params.T, params.beta_1, params.beta_T);
    const int t_start = sched.t_for_sigma(params.sigma_start);
    require(t_start >= 1, "lucid::sampling::diffusion_posterior_sample", "sigma_start",
            lucid::detail::concat(">= sigma_bar(1) = ", sched.sigma_bar(1)), params.sigma_start);
    // time grid t_start = t_0 > t_1 > ... > t_K = 0
    const int K = std::min(params.steps, t_start);
    std::vector<int> ts(std::size_t(K) + 1);
    for (int k = 0; k <= K; ++k) ts[std::size_t(k)] = int(std::lround(t_start * (1.0 - double(k) / K)));

    DataConsistency<A> dc(op, y, params.cg_iter);
    V xt = make_domain(op), x0 = make_domain(op), xhat = make_domain(op), eps = make_domain(op), z = make_domain(op);
    GaussianNoise<T> noise(params.seed);
    fill(x0, T(0.5));
    copy(x0, xhat);
    dc.solve(x0, T(params.rho_min * 1e3), xhat);
    {
        // The chain starts at the denoiser's largest σ, far below DDPM's σ̄_T, so
        // it cannot invent what P_y(½) lacks (holes, lost frequencies): first
        // fill them by plug-and-play at that σ, then add the chain's noise.
        const double sb = sched.sigma_bar(t_start);
        const double rho = std::max(params.lambda * params.noise_sigma * params.noise_sigma / (sb * sb), params.rho_min);
        for (int i = 0; i < params.warm_start; ++i) {
            denoiser.denoise(xhat, T(sb), x0);
            dc.solve(x0, T(rho), xhat);
        }
    }
    noise.fill(z);
    lincomb(T(1), xhat, T(sched.sigma_bar(t_start)), z, xt);  // x̃_{t_start}

    SolverResult<V> out;
    out.history.reserve(std::size_t(K));
    const double sn2 = params.noise_sigma * params.noise_sigma;
    for (int k = 0; k < K; ++k) {
        const int t = ts[std::size_t(k)], s = ts[std::size_t(k) + 1];
        const double sb = sched.sigma_bar(t);
        denoiser.denoise(xt, T(sb), x0);                                   // step 1
        const double rho = std::max(params.lambda * sn2 / (sb * sb), params.rho_min);
        dc.solve(x0, T(rho), xhat);                                        // step 2
        out.iterations = k + 1;
        out.history.push(double(dc.residual(xhat, y)), sb, clock.seconds());
        if (!all_finite(xhat)) {
            out.status = Status::diverged;
            out.message = "non-finite estimate";
            break;
        }
        if (s == 0) {
            copy(xhat, xt);
            out.status = Status::converged;
            out.message = "reached t = 0";
            break;
        }
        lincomb(T(1 / sb), xt, T(-1 / sb), xhat, eps);                     // ε̂
        const double at = sched.alpha_bar[std::size_t(t)], as = sched.alpha_bar[std::size_t(s)];
        const double c2 = params.eta * params.eta * (1 - as) / (1 - at) * (1 - at / as);
        const double ce = std::sqrt(std::max(0.0, 1 - as - c2)), cz = std::sqrt(c2);
        noise.fill(z);
        // x̃_s = x_s/√ᾱ_s = x̂0 + (ce ε̂ + cz z)/√ᾱ_s
        lincomb(T(1), xhat, T(ce / std::sqrt(as)), eps, xt);
        axpy(T(cz / std::sqrt(as)), z, xt);
        if (lucid::detail::invoke_callback(callback, IterationState<V>{k + 1, xhat, out.history.objective.back(), sb,
                                                                       clock.seconds()})) {
            out.status = Status::stopped;
            out.message = "stopped by callback";
            copy(xhat, xt);
            break;
        }
    }
    out.x = std::move(xt);
    return out;
}

}  // namespace lucid::sampling
