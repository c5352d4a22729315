#pragma once
/// \file options.hpp
/// Options of blind kernel estimation, of the non-blind deconvolution that
/// follows it, and of the whole blind deblurring.

#include <cmath>
#include <cstddef>
#include <string_view>

#include "lucid/core/error.hpp"

namespace lucid::blind {

/// Options of `estimate_kernel` (defaults: Pan et al. 2014's settings where
/// they apply; kernel_weight and edge_fraction tuned on the cases of
/// docs/blind-deblurring.md). Only `kernel_size` usually needs setting: an odd upper bound
/// on the blur's extent in pixels.
struct KernelEstimationOptions {
    std::size_t kernel_size = 25;       ///< odd side n of the estimated kernel (its support bound), ≥ 3
    int iterations = 5;                 ///< alternations x-step ↔ k-step per pyramid level
    double lambda = 4e-3;               ///< initial weight λ of the L0 gradient prior
    double lambda_decay = 1.1;          ///< λ ← max(λ/decay^(5/iterations), lambda_min) after every alternation (decay⁵ per level)
    double lambda_min = 1e-4;           ///< floor of λ
    double kernel_weight = 0.4;         ///< γ/ρ(0): weight of ½γ‖k‖² relative to the gradient energy ρ(0) = Σ|∇x|² (tuned, docs/blind-deblurring.md)
    double scale_ratio = 0.70710678118654752;  ///< image (and kernel) scale between pyramid levels, in (0, 1)
    std::size_t coarsest_kernel_size = 5;      ///< the pyramid stops before the kernel would be smaller (≥ 3)
    double initial_sigma = 1.5;         ///< the coarsest level starts from an isotropic Gaussian of this σ (pixels); 0 = delta
    double beta_max = 1e5;              ///< half-quadratic continuation: β = 2λ, 2λκ, … < beta_max
    double kappa = 2;                   ///< half-quadratic continuation factor, > 1
    double salient_fraction = 0.2;      ///< kernel step uses the largest latent gradients: this fraction per orientation (Cho & Lee 2009)
    double edge_fraction = 0.5;         ///< kernel step uses only this fraction of pixels with the most useful edges (Xu & Jia 2010's r-map); 1 = all
    double edge_epsilon = 0.01;         ///< ε of the r-map r = |Σ∇y| / (Σ|∇y| + ε) over kernel-sized windows
    int cg_iterations = 25;             ///< conjugate-gradient steps of the unconstrained kernel least squares
    int simplex_iterations = 50;        ///< accelerated projected-gradient steps on the simplex
    double prune_threshold = 0.05;      ///< kernel entries below this fraction of the peak are set to 0
    double component_mass = 0.1;        ///< 8-connected kernel components lighter than this fraction are removed

    /// Throws lucid::Error naming the first field that breaks its rule (`where` names the caller).
    void validate(std::string_view where = "lucid::blind::estimate_kernel") const {
        require(kernel_size % 2 == 1, where, "options.kernel_size", "odd (the centre is the pixel (n/2, n/2))",
                kernel_size);
        require(kernel_size >= 3, where, "options.kernel_size", ">= 3", kernel_size);
        require(kernel_size <= 255, where, "options.kernel_size", "<= 255", kernel_size);
        require(iterations >= 1 && iterations <= 1000, where, "options.iterations", "in [1, 1000]", iterations);
        require(std::isfinite(lambda) && lambda > 0, where, "options.lambda", "finite and > 0", lambda);
        require(std::isfinite(lambda_decay) && lambda_decay >= 1, where, "options.lambda_decay", "finite and >= 1",
                lambda_decay);
        require(std::isfinite(lambda_min) && lambda_min > 0 && lambda_min <= lambda, where, "options.lambda_min",
                lucid::detail::concat("finite, > 0 and <= lambda (", lambda, ")"), lambda_min);
        require(std::isfinite(kernel_weight) && kernel_weight >= 0, where, "options.kernel_weight",
                "finite and >= 0", kernel_weight);
        require(std::isfinite(scale_ratio) && scale_ratio > 0.1 && scale_ratio < 1, where, "options.scale_ratio",
                "in (0.1, 1)", scale_ratio);
        require(coarsest_kernel_size >= 3, where, "options.coarsest_kernel_size", ">= 3", coarsest_kernel_size);
        require(std::isfinite(initial_sigma) && initial_sigma >= 0, where, "options.initial_sigma", "finite and >= 0",
                initial_sigma);
        require(std::isfinite(beta_max) && beta_max > 2 * lambda, where, "options.beta_max",
                lucid::detail::concat("finite and > 2*lambda (", 2 * lambda, ")"), beta_max);
        require(std::isfinite(kappa) && kappa > 1, where, "options.kappa", "finite and > 1", kappa);
        require(std::log(beta_max / (2 * lambda_min)) / std::log(kappa) <= 1000, where, "options.kappa",
                "large enough for at most 1000 half-quadratic steps", kappa);
        require(std::isfinite(salient_fraction) && salient_fraction > 0 && salient_fraction <= 1, where,
                "options.salient_fraction", "in (0, 1]", salient_fraction);
        require(std::isfinite(edge_fraction) && edge_fraction > 0 && edge_fraction <= 1, where,
                "options.edge_fraction", "in (0, 1]", edge_fraction);
        require(std::isfinite(edge_epsilon) && edge_epsilon > 0, where, "options.edge_epsilon", "finite and > 0",
                edge_epsilon);
        require(cg_iterations >= 0 && cg_iterations <= 10000, where, "options.cg_iterations", "in [0, 10000]",
                cg_iterations);
        require(simplex_iterations >= 0 && simplex_iterations <= 10000, where, "options.simplex_iterations",
                "in [0, 10000]", simplex_iterations);
        require(std::isfinite(prune_threshold) && prune_threshold >= 0 && prune_threshold < 1, where,
                "options.prune_threshold", "in [0, 1)", prune_threshold);
        require(std::isfinite(component_mass) && component_mass >= 0 && component_mass < 1, where,
                "options.component_mass", "in [0, 1)", component_mass);
    }
};

}  // namespace lucid::blind

namespace lucid::blind {

/// The non-blind deconvolution that follows kernel estimation.
enum class Deconvolution {
    tv,        ///< ADMM-TV (lucid::admm_tv, FFT path) on the smooth periodic continuation of the image (default)
    tv_valid,  ///< ADMM-TV with the `valid` boundary (Almeida & Figueiredo 2013): exact borders, slower
    wiener     ///< Wiener filter (lucid::wiener) on the smooth periodic continuation: closed form, fastest
};

constexpr std::string_view to_string(Deconvolution d) {
    switch (d) {
        case Deconvolution::tv: return "tv";
        case Deconvolution::tv_valid: return "tv_valid";
        case Deconvolution::wiener: return "wiener";
    }
    return "?";
}

/// Options of `deconvolve` (the non-blind step of `deblur`).
struct DeconvolutionOptions {
    Deconvolution method = Deconvolution::tv;  ///< solver, see Deconvolution
    double lambda = 1.5e-3;   ///< TV weight λ in ½‖k ∗ x − y‖² + λ TV(x) (tv, tv_valid); suits ~1% noise
    int max_iter = 100;       ///< ADMM iterations (tv, tv_valid)
    double tol = 1e-5;        ///< ADMM relative tolerance (tv, tv_valid); 0 = run max_iter
    double nsr = 2e-3;        ///< noise-to-signal ratio K of the Wiener filter (wiener)

    /// Throws lucid::Error naming the first field that breaks its rule.
    void validate(std::string_view where = "lucid::blind::deconvolve") const {
        const int m = int(method);
        require(m >= 0 && m <= 2, where, "options.method", "tv, tv_valid or wiener", m);
        require(std::isfinite(lambda) && lambda > 0, where, "options.lambda", "finite and > 0", lambda);
        require(max_iter >= 1 && max_iter <= 100000, where, "options.max_iter", "in [1, 100000]", max_iter);
        require(std::isfinite(tol) && tol >= 0, where, "options.tol", "finite and >= 0", tol);
        require(std::isfinite(nsr) && nsr > 0, where, "options.nsr", "finite and > 0", nsr);
    }
};

/// Options of `deblur`: kernel estimation, then non-blind deconvolution.
/// ```cpp
/// lucid::blind::DeblurOptions o;
/// o.estimation.kernel_size = 31;        // the CLI's --size N
/// o.deconvolution.lambda = 2e-3;
/// ```
struct DeblurOptions {
    KernelEstimationOptions estimation;      ///< see KernelEstimationOptions (kernel_size = 25)
    DeconvolutionOptions deconvolution;      ///< see DeconvolutionOptions (ADMM-TV, λ = 1.5e-3)

    void validate(std::string_view where = "lucid::blind::deblur") const {
        estimation.validate(where);
        deconvolution.validate(where);
    }
};

}  // namespace lucid::blind
