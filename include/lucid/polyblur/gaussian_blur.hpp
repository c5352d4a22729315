#pragma once
/// \file gaussian_blur.hpp
/// `GaussianBlur`: the oriented Gaussian that Polyblur's estimator returns.

#include <cmath>
#include <cstddef>
#include <numbers>

#include "lucid/core/image.hpp"
#include "lucid/kernels/gaussian.hpp"

namespace lucid::polyblur {

/// An oriented Gaussian blur: standard deviation `sigma0` (pixels) along the
/// direction `theta` and `sigma1` across it (POLYBLUR.md §2–3).
///
/// θ is in radians, counter-clockwise in a y-up frame (x = column index to
/// the right, y = row index downwards), and lies in [0, π) when it comes from
/// `estimate_blur`, which also guarantees σ0 ≥ σ1 up to interpolation.
struct GaussianBlur {
    double sigma0 = 0.3;  ///< std along θ (the blur direction), pixels
    double sigma1 = 0.3;  ///< std across θ, pixels
    double theta = 0.0;   ///< radians, counter-clockwise in a y-up frame

    /// θ in degrees (what the command-line tool prints).
    double theta_degrees() const { return theta * 180.0 / std::numbers::pi; }

    /// The sampled kernel k = `kernels::gaussian<T>(sigma0, sigma1, theta, size)`,
    /// size×size (odd), normalized to sum 1.
    template <class T>
    Image<T> kernel(std::size_t size = 25) const { return kernels::gaussian<T>(sigma0, sigma1, theta, size); }

    friend bool operator==(const GaussianBlur&, const GaussianBlur&) = default;
};

}  // namespace lucid::polyblur
