#pragma once
/// \file camera_shake.hpp
/// Random camera-shake blur kernels from random smooth trajectories, for
/// tests and benchmarks of blind deblurring.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"

namespace lucid::kernels {

/// Options of `camera_shake`. Every random quantity is drawn from the seed.
struct CameraShakeOptions {
    /// Path length drawn uniformly in [length_min, length_max]·(size − 1)
    /// pixels, then scaled down if the path does not fit the size×size box.
    double length_min = 0.6;
    double length_max = 1.6;
    /// Shakiness: the RMS of the random turning of the direction over the
    /// whole path (radians), drawn uniformly in [0, shake_max]; 0 gives
    /// straight lines unless the centripetal pull or reversals bend them.
    double shake_max = 3.0;
    /// Pull back towards the starting point (Boracchi & Foi's centripetal
    /// term), drawn uniformly in [0, centripetal_max].
    double centripetal_max = 0.7;
    /// Expected number of abrupt reversals of the motion along the path,
    /// drawn uniformly in [0, reversals_max].
    double reversals_max = 1.0;
    /// Relative variation of the speed along the path (log-amplitude of a
    /// smooth random speed profile); 0 = constant speed as in Boracchi & Foi.
    /// Slow parts of the path get more weight, as in recorded kernels.
    double speed_variation = 0.5;
    /// Trajectory samples (Boracchi & Foi use 2000); each is splatted bilinearly.
    std::size_t samples = 2000;

    /// Throws lucid::Error naming the first field that breaks its rule.
    void validate() const {
        constexpr const char* where = "lucid::kernels::camera_shake";
        require(std::isfinite(length_min) && length_min > 0, where, "options.length_min", "finite and > 0", length_min);
        require(std::isfinite(length_max) && length_max >= length_min, where, "options.length_max",
                lucid::detail::concat("finite and >= length_min (", length_min, ")"), length_max);
        require(length_max <= 100, where, "options.length_max", "<= 100 (times size - 1)", length_max);
        require(std::isfinite(shake_max) && shake_max >= 0 && shake_max <= 20, where, "options.shake_max",
                "in [0, 20] (radians)", shake_max);
        require(std::isfinite(centripetal_max) && centripetal_max >= 0 && centripetal_max <= 10, where,
                "options.centripetal_max", "in [0, 10]", centripetal_max);
        require(std::isfinite(reversals_max) && reversals_max >= 0 && reversals_max <= 100, where,
                "options.reversals_max", "in [0, 100]", reversals_max);
        require(std::isfinite(speed_variation) && speed_variation >= 0 && speed_variation <= 3, where,
                "options.speed_variation", "in [0, 3]", speed_variation);
        require(samples >= 16 && samples <= 1000000, where, "options.samples", "in [16, 1000000]", samples);
    }
};

}  // namespace lucid::kernels

namespace lucid::detail {

/// Portable random numbers: the same sequence from a seed on every platform
/// (std::uniform_real_distribution and std::normal_distribution are not
/// specified bit-for-bit).
class ShakeRng {
public:
    explicit ShakeRng(std::uint64_t seed) : rng_(seed) {}
    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return double(rng_() >> 11) * 0x1.0p-53; }
    /// Standard normal by Box–Muller.
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1 = uniform();
        while (u1 <= 0) u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2 * std::log(u1)), a = 2 * std::numbers::pi * u2;
        spare_ = r * std::sin(a);
        has_spare_ = true;
        return r * std::cos(a);
    }

private:
    std::mt19937_64 rng_;
    double spare_ = 0;
    bool has_spare_ = false;
};

}  // namespace lucid::detail

namespace lucid::kernels {

/// A random camera-shake kernel of size×size pixels, deterministic per `seed`.
///
/// The trajectory follows the random-motion model of Boracchi & Foi,
/// "Modeling the performance of image restoration from motion blur", IEEE TIP
/// 21(8), 2012: a point moves with constant step length L/(N−1) (N =
/// `samples`), and its unit direction u gets, at every step of Δ = 1/(N−1),
/// a random push, a pull back towards the start and, rarely, an abrupt shake
/// that reverses it:
/// \f[ u \leftarrow \frac{u'}{|u'|},\qquad u' = u + j\,2u\,e^{i(\pi + r - 1/2)}
///     + s\sqrt{\Delta}\,\frac{n_1 + i n_2}{\sqrt 2} - 8c\,\frac{x_t}{L}\,\Delta,
///     \qquad x_{t+1} = x_t + L\Delta\,u, \f]
/// with n₁, n₂ ~ N(0, 1), r ~ U[0, 1), j = 1 with probability ρΔ (else 0),
/// shakiness s ~ U[0, shake_max], centripetal pull c ~ U[0, centripetal_max],
/// reversal rate ρ ~ U[0, reversals_max], length L ~ U[length_min,
/// length_max]·(size − 1) and a uniform initial direction. Unlike Boracchi &
/// Foi's generator, whose per-step noise makes long paths curl up into a few
/// pixels, the noise is scaled by √Δ so the shape does not depend on N (the
/// direction diffuses by s radians RMS over the path) and the kernels fill
/// their box as hand-shake kernels do. Like recorded kernels (Levin et al.,
/// "Understanding and evaluating blind deconvolution algorithms", CVPR 2009)
/// the exposure
/// dwells longer where the hand moves slowly: sample t gets the weight
/// exp(−σ_s φ(t)), φ a unit-variance sum of three random sinusoids and σ_s =
/// `speed_variation`.
///
/// The kernel is the weighted trajectory, centred on its weighted centroid at
/// index (size/2, size/2), scaled down uniformly if it does not fit in the
/// box with half a pixel of margin, and splatted bilinearly onto the pixel
/// grid (bilinear splatting keeps the centroid exactly at the centre). It is
/// non-negative, sums to 1, and its support lies within size×size.
///
/// \param size   odd side length, 3 ≤ size ≤ 1023
/// \param seed   any integer; equal seeds give equal kernels
/// \param options path length, shakiness and speed variation (see CameraShakeOptions)
/// \throws lucid::Error naming `size` (even, < 3, > 1023) or the bad option
///
/// ```cpp
/// auto k = lucid::kernels::camera_shake<double>(25, 7);   // 25×25, seed 7
/// ```
template <class T>
Image<T> camera_shake(std::size_t size, std::uint64_t seed, const CameraShakeOptions& options = {}) {
    constexpr const char* where = "lucid::kernels::camera_shake";
    require(size % 2 == 1, where, "size", "odd (the centre is the pixel (size/2, size/2))", size);
    require(size >= 3, where, "size", ">= 3", size);
    require(size <= 1023, where, "size", "<= 1023", size);
    options.validate();
    lucid::detail::ShakeRng rng(seed);
    const std::size_t n = options.samples;
    const double box = double(size - 1);
    const double length = box * (options.length_min + (options.length_max - options.length_min) * rng.uniform());
    const double shake = options.shake_max * rng.uniform();
    const double centripetal = options.centripetal_max * rng.uniform();
    const double reversals = options.reversals_max * rng.uniform();
    const double delta = 1.0 / double(n - 1);
    const double push = shake * std::sqrt(delta / 2);
    using C = std::complex<double>;
    C u = std::polar(1.0, 2 * std::numbers::pi * rng.uniform());
    std::vector<C> path(n);
    path[0] = 0;
    for (std::size_t t = 0; t + 1 < n; ++t) {
        if (rng.uniform() < reversals * delta) u += 2.0 * u * std::polar(1.0, std::numbers::pi + (rng.uniform() - 0.5));
        const double n1 = rng.normal(), n2 = rng.normal();
        const C next = u + push * C(n1, n2) - 8 * centripetal * delta / length * path[t];
        const double m = std::abs(next);
        if (m > 0) u = next / m;  // (a zero vector keeps the previous direction)
        path[t + 1] = path[t] + length * delta * u;
    }
    // Dwell-time weights from a smooth random speed profile.
    std::vector<double> weight(n, 1.0);
    if (options.speed_variation > 0) {
        double f[3], ph[3], amp[3], norm2 = 0;
        for (int j = 0; j < 3; ++j) {
            f[j] = 0.5 + 2.0 * rng.uniform();
            ph[j] = 2 * std::numbers::pi * rng.uniform();
            amp[j] = 0.5 + rng.uniform();
            norm2 += amp[j] * amp[j] / 2;  // variance of a·sin over whole periods
        }
        const double scale = options.speed_variation / std::sqrt(norm2);
        for (std::size_t t = 0; t < n; ++t) {
            const double s = double(t) / double(n - 1);
            double phi = 0;
            for (int j = 0; j < 3; ++j) phi += amp[j] * std::sin(2 * std::numbers::pi * f[j] * s + ph[j]);
            weight[t] = std::exp(-scale * phi);
        }
    }
    double wsum = 0;
    C centroid = 0;
    for (std::size_t t = 0; t < n; ++t) {
        wsum += weight[t];
        centroid += weight[t] * path[t];
    }
    centroid /= wsum;
    double extent = 0;
    for (auto& p : path) {
        p -= centroid;
        extent = std::max({extent, std::abs(p.real()), std::abs(p.imag())});
    }
    const double half = double(size / 2), fit = half - 0.5;
    const double shrink = extent > fit ? fit / extent : 1.0;
    // Bilinear splat in double; x = column (real part), y = row (imaginary part).
    xt::xtensor<double, 2> acc({size, size}, 0.0);
    for (std::size_t t = 0; t < n; ++t) {
        const double px = half + shrink * path[t].real(), py = half + shrink * path[t].imag();
        const double fx = std::floor(px), fy = std::floor(py);
        const double ax = px - fx, ay = py - fy, w = weight[t];
        const std::size_t j = std::size_t(fx), i = std::size_t(fy);
        acc(i, j) += w * (1 - ay) * (1 - ax);
        if (ax > 0) acc(i, j + 1) += w * (1 - ay) * ax;
        if (ay > 0) acc(i + 1, j) += w * ay * (1 - ax);
        if (ax > 0 && ay > 0) acc(i + 1, j + 1) += w * ay * ax;
    }
    double total = 0;
    for (double a : acc) total += a;
    Image<T> k({size, size});
    for (std::size_t i = 0; i < size * size; ++i) k.data()[i] = T(acc.data()[i] / total);
    return k;
}

}  // namespace lucid::kernels
