#pragma once
/// \file gaussian.hpp
/// Sampled 2-D Gaussian blur kernels, isotropic and oriented (anisotropic).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/kernels/limits.hpp"

namespace lucid::kernels {

namespace detail {

/// Side of the automatic kernel: 2⌈3 s⌉ + 1 with s the largest standard deviation.
inline std::size_t automatic_gaussian_size(double largest_sigma) {
    return 2 * std::size_t(std::ceil(3.0 * largest_sigma)) + 1;
}

inline void require_kernel_size(std::string_view where, std::size_t size) {
    require(size == 0 || size % 2 == 1, where, "size", "0 (automatic) or an odd number >= 1", size);
    lucid::detail::require_kernel_side(where, "size", double(size));
}

}  // namespace detail

/// Oriented Gaussian kernel of standard deviation `sigma0` along the direction
/// `theta` and `sigma1` across it (POLYBLUR.md §3).
///
/// With offsets X (columns, right) and Y (rows, down) in −r..r, r = size/2,
/// φ = −θ, c = cos φ, s = sin φ and the precision matrix
/// \f[ P_{00} = \frac{c^2}{\sigma_0^2} + \frac{s^2}{\sigma_1^2},\quad
///     P_{01} = s c \Big(\frac{1}{\sigma_0^2} - \frac{1}{\sigma_1^2}\Big),\quad
///     P_{11} = \frac{c^2}{\sigma_1^2} + \frac{s^2}{\sigma_0^2}, \f]
/// \f[ k(X, Y) = \frac{1}{Z} \exp\!\big(-\tfrac12 (P_{00} X^2 + 2 P_{01} X Y + P_{11} Y^2)\big),
///     \quad Z = \sum_{X,Y} \exp(\dots) \f]
/// so the kernel sums to 1 and is point-symmetric (k(X,Y) = k(−X,−Y)), hence
/// its DFT is real. θ is in radians, counter-clockwise in a y-up frame: θ = 0
/// gives horizontal standard deviation σ0 and vertical σ1, θ = π/2 swaps them,
/// θ = π/4 stretches the kernel from bottom-left to top-right.
///
/// \param sigma0 standard deviation along θ (pixels, finite, > 0)
/// \param sigma1 standard deviation across θ (pixels, finite, > 0)
/// \param theta  orientation in radians (finite)
/// \param size   odd side length; 0 = automatic, 2⌈3·max(σ0, σ1)⌉ + 1
///               (Polyblur uses 25)
/// \return a size×size `Image<T>`, centre at (size/2, size/2)
/// \throws lucid::Error naming the argument on a non-positive or non-finite σ,
///         a non-finite θ, or an even size
///
/// Example: `auto k = lucid::kernels::gaussian<double>(2.0, 1.0, std::numbers::pi / 6, 25);`
template <class T>
Image<T> gaussian(double sigma0, double sigma1, double theta, std::size_t size = 0) {
    constexpr std::string_view where = "lucid::kernels::gaussian";
    require_positive(where, "sigma0", sigma0);
    require_positive(where, "sigma1", sigma1);
    require_finite(where, "theta", theta);
    detail::require_kernel_size(where, size);
    if (size == 0)  // 2⌈3σ⌉ + 1, checked in double before the cast
        lucid::detail::require_kernel_side(where, sigma0 >= sigma1 ? "sigma0" : "sigma1",
                                           2 * std::ceil(3 * std::max(sigma0, sigma1)) + 1);
    if (size == 0) size = detail::automatic_gaussian_size(std::max(sigma0, sigma1));
    const double phi = -theta;
    const double c = std::cos(phi), s = std::sin(phi);
    // Variances below 1e-12 are read as 1e-12: every off-centre tap is exp(−5·10¹¹) = 0
    // either way (a delta, or a line when only one σ is tiny), and 1/σ² stays finite
    // (σ² underflowing to 0 would give inf·0 = NaN at the centre).
    const double i0 = 1.0 / std::max(sigma0 * sigma0, 1e-12), i1 = 1.0 / std::max(sigma1 * sigma1, 1e-12);
    const double p00 = c * c * i0 + s * s * i1;
    const double p01 = s * c * (i0 - i1);
    const double p11 = c * c * i1 + s * s * i0;
    const std::ptrdiff_t r = std::ptrdiff_t(size / 2);
    Image<double> k({size, size});
    double total = 0;
    for (std::ptrdiff_t y = -r; y <= r; ++y)
        for (std::ptrdiff_t x = -r; x <= r; ++x) {
            const double X = double(x), Y = double(y);
            const double v = std::exp(-0.5 * (p00 * X * X + 2 * p01 * X * Y + p11 * Y * Y));
            k(std::size_t(y + r), std::size_t(x + r)) = v;
            total += v;
        }
    // total >= 1 (the centre is exp(0) = 1), so the division is always safe.
    Image<T> out({size, size});
    for (std::size_t i = 0; i < k.size(); ++i) out.data()[i] = T(k.data()[i] / total);
    // Summation order makes k(X,Y) and k(−X,−Y) bitwise equal already; enforce it anyway.
    for (std::size_t i = 0, n = out.size(); i < n / 2; ++i) out.data()[n - 1 - i] = out.data()[i];
    return out;
}

/// Isotropic Gaussian kernel
/// \f$ k(X, Y) = \frac1Z \exp\!\big(-\frac{X^2 + Y^2}{2\sigma^2}\big) \f$, normalized to sum 1.
///
/// Equals `gaussian<T>(sigma, sigma, 0, size)`. With size = 2⌊4σ + ½⌋ + 1 it
/// is the impulse response of `scipy.ndimage.gaussian_filter(x, sigma)`
/// (truncate = 4) up to rounding; the automatic size (2⌈3σ⌉ + 1) drops the
/// mass beyond 3σ instead (about 0.5 % of it, then renormalizes).
///
/// \param sigma standard deviation in pixels (finite, > 0)
/// \param size  odd side length; 0 = automatic, 2⌈3σ⌉ + 1
///
/// Example: `auto k = lucid::kernels::gaussian<float>(2.0);  // 13×13`
template <class T>
Image<T> gaussian(double sigma, std::size_t size = 0) {
    constexpr std::string_view where = "lucid::kernels::gaussian";
    require_positive(where, "sigma", sigma);
    detail::require_kernel_size(where, size);
    if (size == 0) lucid::detail::require_kernel_side(where, "sigma", 2 * std::ceil(3 * sigma) + 1);
    return gaussian<T>(sigma, sigma, 0.0, size);
}

}  // namespace lucid::kernels
