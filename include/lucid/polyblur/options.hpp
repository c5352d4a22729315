#pragma once
/// \file options.hpp
/// Parameters of Polyblur (POLYBLUR.md §7): the blur estimator's
/// `EstimateOptions`, the deconvolution `Route`, and `PolyblurOptions`.

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>

#include "lucid/core/error.hpp"

namespace lucid::polyblur {

/// Largest |α|, |β| and |coefficient| accepted: the filter output Σ aᵢ Kⁱ v of
/// an image on the [0, 1] scale then stays far from overflow even in float
/// (3β in the coefficients overflows double for β near 6e307).
inline constexpr double max_polynomial_weight = 1e6;

/// How `estimate_blur` finds the blur direction θ (POLYBLUR.md §2, step 6):
/// from the directional maxima f_j = max |∂_{a_j} g|, a_j = jπ/n_angles, or
/// from the image's power spectrum.
enum class DirectionRule {
    /// POLYBLUR.md §2.6 (the faithful algorithm): θ = argmin of the
    /// Keys-interpolated maxima F(θ_i), θ_i = iπ/n_interpolated_angles, so θ
    /// lies on that grid (6° steps by default).
    argmin,
    /// Least-squares fit of the per-direction blur variance
    /// σ²(a_j) = c²/f_j² − b² (step 7's model) by the directional variance of
    /// an oriented Gaussian, m + p·cos 2a + q·sin 2a; θ = ½·atan2(q, p) in
    /// [0, π), not restricted to a grid. Uses all directions instead of the
    /// single smallest one, which the photo's own anisotropic edges bias:
    /// measured on the shipped photos (σ0/σ1 = 2, five θ), 29 of 30 cases
    /// within ±15°, worst 16°, noise-free and with 1 % noise (argmin: 26 and
    /// 27 of 30, worst 24°); see docs/polyblur.md. σ0, σ1 still come from
    /// §2.7 at F(θ), F(θ + π/2). Needs n_angles >= 3.
    sinusoid_fit,
    /// θ = principal axis of the blur covariance Σ fitted to how the gray
    /// image's power spectrum decays along each radial line,
    /// log(P − N) = a(φ) − γ log|ω| − ωᵀΣω (spectrum_direction.hpp): the
    /// photo's own anisotropy is a free per-direction offset a(φ), so its
    /// edges do not bias θ. Measured on the shipped photos: all 30 cases within
    /// ±15° (worst 8°) at 1 % noise, 113 of 114 held-out cases; see
    /// docs/polyblur.md. σ0, σ1 still come from §2.7 at F(θ), F(θ + π/2).
    /// Falls back to `sinusoid_fit` when the image is too small or too
    /// noisy for the fit (`BlurEstimation::direction_rule` reports it).
    /// Needs n_angles >= 3 (for the fallback) and the image, so
    /// `estimate_from_maxima` does not accept it.
    power_spectrum,
};

constexpr std::string_view to_string(DirectionRule r) {
    switch (r) {
        case DirectionRule::argmin: return "argmin";
        case DirectionRule::sinusoid_fit: return "sinusoid_fit";
        case DirectionRule::power_spectrum: return "power_spectrum";
    }
    return "?";
}

/// Parses "argmin", "sinusoid_fit" or "power_spectrum".
inline DirectionRule parse_direction_rule(std::string_view name) {
    for (DirectionRule r : {DirectionRule::argmin, DirectionRule::sinusoid_fit, DirectionRule::power_spectrum})
        if (to_string(r) == name) return r;
    lucid::detail::fail_argument("lucid::polyblur::parse_direction_rule", "direction",
                                 "one of argmin, sinusoid_fit, power_spectrum", std::string(name));
}

/// Parameters of `estimate_blur` (POLYBLUR.md §2). Defaults are the paper's
/// calibration for the exact spectral gradient on [0, 1] images with about
/// 1 % noise.
struct EstimateOptions {
    /// Model σ² = c²/f² − b² linking the sharpest directional derivative f to σ.
    double c = 0.362;
    /// See `c`. The original paper's own gradient operator used (0.352, 0.768).
    double b = 0.468;
    /// Directional maxima are measured at a_j = jπ/n_angles, j = 0..n_angles (7 angles for 6).
    int n_angles = 6;
    /// They are interpolated (Keys cubic) to θ_i = iπ/n, i = 0..n−1 (6° steps for 30).
    int n_interpolated_angles = 30;
    /// Gray levels are normalized between the q and 1−q quantiles (0: min and max); in [0, 0.5).
    double quantile = 0.0;
    /// Pixels within this distance of the border are excluded from the maxima:
    /// the DFT sees a false edge where opposite borders meet. 0 for periodic images.
    int border = 12;
    /// Estimated standard deviations are clipped to [sigma_min, sigma_max] (§2.7: [0.3, 4]).
    double sigma_min = 0.3;
    double sigma_max = 4.0;
    /// How θ is found (§2.6). The default is the spec's argmin; `power_spectrum`
    /// is the most accurate on natural photos, then `sinusoid_fit` (docs/polyblur.md).
    /// Either way σ0, σ1 come from step 7 at F(θ) and F(θ + π/2).
    DirectionRule direction = DirectionRule::argmin;

    /// Throws lucid::Error naming the first invalid field and its rule.
    void validate() const {
        constexpr std::string_view where = "lucid::polyblur::EstimateOptions";
        require_positive(where, "c", c);
        require_nonnegative(where, "b", b);
        require(n_angles >= 2 && n_angles <= 360, where, "n_angles", "in [2, 360]", n_angles);
        require(n_interpolated_angles >= 2 && n_interpolated_angles <= 3600, where, "n_interpolated_angles",
                "in [2, 3600]", n_interpolated_angles);
        require(std::isfinite(quantile) && quantile >= 0 && quantile < 0.5, where, "quantile", "in [0, 0.5)",
                quantile);
        require(border >= 0, where, "border", ">= 0", border);
        require_positive(where, "sigma_min", sigma_min);
        require(std::isfinite(sigma_max) && sigma_max >= sigma_min, where, "sigma_max",
                "finite and >= sigma_min", sigma_max);
        require(direction == DirectionRule::argmin || direction == DirectionRule::sinusoid_fit ||
                    direction == DirectionRule::power_spectrum,
                where, "direction", "argmin, sinusoid_fit or power_spectrum", int(direction));
        // With 2 angles (0, π/2) sin 2a vanishes at both: q is undetermined.
        require(direction == DirectionRule::argmin || n_angles >= 3, where, "n_angles",
                lucid::detail::concat(">= 3 with direction = ", to_string(direction)), n_angles);
    }
};

/// How the deconvolution p(K) v is computed. All routes give the same image
/// away from the border (farther than 3× the kernel's effective radius);
/// they differ only in how the image is extended beyond it.
enum class Route {
    /// `tiled` for large images, `fourier` otherwise, `spatial` when the
    /// kernel is tiny; `fourier` whenever `edge_taper` is on.
    automatic,
    /// POLYBLUR.md §4 literally: pad by the kernel radius (replicate), one
    /// real FFT pair on the whole padded image, multiply by p(K̂), crop.
    fourier,
    /// The same product in overlapping blocks (overlap-save): the linear
    /// convolution of the replicate-extended image with the kernel of p(K),
    /// computed on cache-sized FFTs. Equals `fourier` wherever the latter's
    /// circular wrap-around does not reach.
    tiled,
    /// Direct Horner evaluation with the kernel in space, replicate boundary at
    /// every application of K: p(K) for K = `ops::Convolution(k, shape,
    /// Boundary::replicate)`. For small images or tiny kernels.
    spatial,
};

constexpr std::string_view to_string(Route r) {
    switch (r) {
        case Route::automatic: return "automatic";
        case Route::fourier: return "fourier";
        case Route::tiled: return "tiled";
        case Route::spatial: return "spatial";
    }
    return "?";
}

/// Parses "automatic", "fourier", "tiled" or "spatial".
inline Route parse_route(std::string_view name) {
    for (Route r : {Route::automatic, Route::fourier, Route::tiled, Route::spatial})
        if (to_string(r) == name) return r;
    lucid::detail::fail_argument("lucid::polyblur::parse_route", "route", "one of automatic, fourier, tiled, spatial",
                          std::string(name));
}

/// Parameters of `deblur` / `Polyblur` (POLYBLUR.md §1, §4, §5, §7).
///
/// Example: `lucid::polyblur::deblur(img, {.n_iter = 2, .alpha = 2, .beta = 3})`.
struct PolyblurOptions {
    /// Number of estimate–deconvolve passes (§1), >= 1.
    int n_iter = 3;
    /// p″(1) of the deconvolution polynomial: mid-frequency boost (>= 0).
    double alpha = 6.0;
    /// p(0): high-frequency (and noise) gain per pass (>= 0).
    double beta = 1.0;
    /// Side of the Gaussian kernel built from each estimate; odd, in [3, 255].
    int kernel_size = 25;
    /// Blend back toward the pass's input where gradients reverse (§5).
    bool remove_halo = true;
    /// Blur estimator parameters (§2).
    EstimateOptions estimate{};
    /// Optional (off by default): taper the padded image toward its circular
    /// blur near the border before the FFT (forces Route::fourier).
    bool edge_taper = false;
    /// Optional (off by default): deblur only a bilateral-filtered base layer
    /// and add the residual (noise and fine texture) back unchanged.
    bool prefilter = false;
    /// Spatial standard deviation of the bilateral pre-filter, pixels (> 0).
    double prefilter_sigma_spatial = 2.0;
    /// Range standard deviation of the bilateral pre-filter, gray levels (> 0).
    double prefilter_sigma_range = 0.1;
    /// How p(K) v is computed; the result differs only near the border.
    Route route = Route::automatic;
    /// FFT block side of Route::tiled (>= 64): about 512 keeps a block and its
    /// spectrum in a core's L2 cache.
    int tile_size = 512;
    /// Optional safeguard (POLYBLUR.md §8; 0 = off, the faithful algorithm):
    /// stop before a pass whose estimate max(σ0, σ1) is below `stop_below`
    /// pixels and return that pass's input. Every pass applies p(K), whose
    /// mid-frequency boost lifts noise even when K is nearly the identity, so
    /// an image that reads as sharp is better left alone: with 0.5, the shipped
    /// sharp photos (which read 0.30–0.37) come back unchanged instead of
    /// losing 0.6–3.1 dB over three passes (docs/polyblur.md).
    double stop_below = 0.0;

    /// Throws lucid::Error naming the first invalid field and its rule.
    void validate() const {
        constexpr std::string_view where = "lucid::polyblur::PolyblurOptions";
        require(n_iter >= 1 && n_iter <= 1000, where, "n_iter", "in [1, 1000]", n_iter);
        require_nonnegative(where, "alpha", alpha);
        require_nonnegative(where, "beta", beta);
        require(alpha <= max_polynomial_weight, where, "alpha", "in [0, 1e6]", alpha);
        require(beta <= max_polynomial_weight, where, "beta", "in [0, 1e6]", beta);
        require(kernel_size >= 3 && kernel_size <= 255, where, "kernel_size", "in [3, 255]", kernel_size);
        require(kernel_size % 2 == 1, where, "kernel_size", "odd", kernel_size);
        require_positive(where, "prefilter_sigma_spatial", prefilter_sigma_spatial);
        require_positive(where, "prefilter_sigma_range", prefilter_sigma_range);
        require(tile_size >= 64 && tile_size <= 16384, where, "tile_size", "in [64, 16384]", tile_size);
        require(std::isfinite(stop_below) && stop_below >= 0, where, "stop_below", "finite and >= 0 (pixels)",
                stop_below);
        estimate.validate();
    }
};

}  // namespace lucid::polyblur
