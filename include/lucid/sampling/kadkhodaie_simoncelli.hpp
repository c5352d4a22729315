#pragma once
/// \file kadkhodaie_simoncelli.hpp
/// Posterior sampling with the prior implicit in a denoiser: stochastic
/// coarse-to-fine gradient ascent (Kadkhodaie & Simoncelli, "Solving linear
/// inverse problems using the prior implicit in a denoiser", NeurIPS 2021).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "lucid/core/error.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/vector_space.hpp"
#include "lucid/denoisers/denoiser.hpp"
#include "lucid/sampling/data_consistency.hpp"
#include "lucid/sampling/noise.hpp"
#include "lucid/solvers/callbacks.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid::sampling {

/// Parameters of `kadkhodaie_simoncelli`.
struct KadkhodaieSimoncelliParams {
    double sigma_start = 50.0 / 255;  ///< σ₀ of the initial noise (≤ the denoiser's range)
    double sigma_end = 0.01;          ///< σ_L: stop when the effective noise ‖dₜ‖/√N falls below it
    double h0 = 0.01;                 ///< step-size schedule hₜ = h₀t/(1 + h₀(t−1))
    double beta = 0.5;                ///< noise injection: β = 1 deterministic ascent, β → 0 more noise
    double rho = 1e-3;                ///< ρ of the regularized projection (AᵀA + ρI)⁻¹ (noise in y)
    int max_iter = 1000;              ///< iteration budget
    int cg_iter = 30;                 ///< CG iterations per projection (operators without a closed form; see DataConsistency)
    bool blind = false;               ///< true: call denoise(y, 0) (blind model); false: pass the running σₜ
    double sigma_clamp = 50.0 / 255;  ///< largest σ passed to a non-blind denoiser
    std::uint64_t seed = 0;           ///< seed of the injected noise (one sample per seed)

    void validate() const {
        constexpr const char* w = "lucid::sampling::KadkhodaieSimoncelliParams";
        require_positive(w, "sigma_start", sigma_start);
        require(std::isfinite(sigma_end) && sigma_end > 0 && sigma_end < sigma_start, w, "sigma_end",
                "finite, > 0 and < sigma_start", sigma_end);
        require(std::isfinite(h0) && h0 > 0 && h0 <= 1, w, "h0", "in (0, 1]", h0);
        require(std::isfinite(beta) && beta > 0 && beta <= 1, w, "beta", "in (0, 1]", beta);
        require_positive(w, "rho", rho);
        require(max_iter >= 1, w, "max_iter", ">= 1", max_iter);
        require(cg_iter >= 1, w, "cg_iter", ">= 1", cg_iter);
        require_positive(w, "sigma_clamp", sigma_clamp);
    }
};

/// Draws one sample from (an approximation of) the posterior p(x | y) for
/// y = A x (+ small noise), with the prior implicit in a least-squares
/// denoiser D (Kadkhodaie & Simoncelli 2021, Algorithm 2, with the
/// projection onto {x : Ax = y} generalized to any linear A):
///
/// - init: \f$ y_0 = \mathcal P_\rho(\tfrac12\mathbf 1) + \sigma_0 z \f$ (gray
///   image made data-consistent, plus noise);
/// - for t = 1, 2, …: \f$ h_t = \frac{h_0 t}{1 + h_0(t-1)} \f$,
///   \f$ f_t = D(y_{t-1}) - y_{t-1} \f$ (∝ σ²∇log p, Miyasawa/Tweedie),
///   \f$ d_t = \mathcal P_\rho(y_{t-1} + f_t) - y_{t-1} \f$
///   (denoiser step in the null space of A, data step in its row space),
///   \f$ \sigma_t = \|d_t\|/\sqrt N \f$, stop when σₜ ≤ σ_L,
///   \f$ \gamma_t^2 = \big((1-\beta h_t)^2 - (1-h_t)^2\big)\sigma_t^2 \f$,
///   \f$ y_t = y_{t-1} + h_t d_t + \gamma_t z_t \f$;
/// - output \f$ x = y_{t-1} + d_t \f$ (denoised and data-consistent).
///
/// \f$ \mathcal P_\rho(v) = (A^\top A + \rho I)^{-1}(A^\top y + \rho v) \f$
/// (DataConsistency); ρ small makes the row-space part of x match y, a
/// larger ρ tolerates noise in y. The paper starts at σ₀ = 1; a denoiser
/// trained on σ ≤ 50/255 (lucid's Cnn) starts at σ₀ = 50/255 instead, which
/// keeps the coarse-to-fine schedule inside its range. `blind` passes σ = 0
/// (Cnn's blind mode, the paper's setting); otherwise the running estimate
/// σₜ₋₁ (clamped to `sigma_clamp`) is passed, so any Denoiser works.
///
/// Returns x, the status (converged when σ_L was reached) and a history
/// whose `residual` is σₜ and `objective` is ‖A yₜ − y‖. Different seeds
/// give different samples; workspaces are allocated before the loop.
///
/// ```cpp
/// auto cnn = lucid::denoisers::Cnn<float>::load_default();
/// auto s = lucid::sampling::kadkhodaie_simoncelli(cnn, mask_op, y, {.blind = true, .seed = 3});
/// ```
template <class D, LinearOperator A, class Callback = callbacks::None>
    requires Denoiser<D, domain_t<A>>
SolverResult<domain_t<A>> kadkhodaie_simoncelli(const D& denoiser, const A& op, const range_t<A>& y,
                                                KadkhodaieSimoncelliParams params = {}, Callback&& callback = {}) {
    params.validate();
    using T = op_scalar_t<A>;
    using V = domain_t<A>;
    lucid::detail::Stopwatch clock;
    DataConsistency<A> dc(op, y, params.cg_iter);
    const double n = double(element_count(make_domain(op)));
    V cur = make_domain(op), den = make_domain(op), proj = make_domain(op), d = make_domain(op),
      z = make_domain(op);
    // y0 = P(1/2) + σ0 z
    fill(den, T(0.5));
    copy(den, proj);
    dc.solve(den, T(params.rho), proj);
    GaussianNoise<T> noise(params.seed);
    noise.fill(z);
    lincomb(T(1), proj, T(params.sigma_start), z, cur);

    SolverResult<V> out;
    out.history.reserve(std::size_t(params.max_iter));
    double sigma = params.sigma_start;
    for (int t = 1; t <= params.max_iter; ++t) {
        const double h = params.h0 * t / (1 + params.h0 * (t - 1));
        const T s_in = params.blind ? T(0) : T(std::min(sigma, params.sigma_clamp));
        denoiser.denoise(cur, s_in, den);                 // D(y_{t-1})
        dc.solve(den, T(params.rho), proj);               // P(D(y_{t-1}))
        lincomb(T(1), proj, T(-1), cur, d);               // d_t
        sigma = double(norm(d)) / std::sqrt(n);           // σ_t
        out.iterations = t;
        if (!std::isfinite(sigma)) {
            out.status = Status::diverged;
            out.message = "non-finite update";
            break;
        }
        if (sigma <= params.sigma_end) {                  // x = y_{t-1} + d_t = proj
            out.history.push(double(dc.residual(proj, y)), sigma, clock.seconds());
            copy(proj, cur);
            out.status = Status::converged;
            out.message = "effective noise below sigma_end";
            break;
        }
        const double g2 = std::max(0.0, ((1 - params.beta * h) * (1 - params.beta * h) - (1 - h) * (1 - h))) * sigma * sigma;
        noise.fill(z);
        axpy(T(h), d, cur);                               // y_t = y_{t-1} + h d_t + γ z
        axpy(T(std::sqrt(g2)), z, cur);
        out.history.push(double(dc.residual(cur, y)), sigma, clock.seconds());
        if (lucid::detail::invoke_callback(callback, IterationState<V>{t, cur, out.history.objective.back(), sigma,
                                                                       clock.seconds()})) {
            out.status = Status::stopped;
            out.message = "stopped by callback";
            break;
        }
        if (t == params.max_iter) {
            copy(proj, cur);                              // the last denoised, data-consistent estimate
            out.status = Status::max_iterations;
            out.message = "iteration budget exhausted before sigma_end";
        }
    }
    out.x = std::move(cur);
    return out;
}

}  // namespace lucid::sampling
