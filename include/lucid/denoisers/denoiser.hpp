#pragma once
/// \file denoiser.hpp
/// The `Denoiser` concept: x̂ = D(y, σ) for an image y with additive white
/// Gaussian noise of standard deviation σ (in the units of the image, which
/// are [0, 1] by convention).

#include <concepts>
#include <type_traits>

#include "lucid/core/vector_space.hpp"

namespace lucid {

/// A denoiser for vectors of type V: `scalar_type` and
/// `denoise(y, sigma, out)` writing the estimate into `out` (same shape as y;
/// out must not alias y unless the model says so). σ > 0 is the noise level
/// the model should assume; plug-and-play solvers pass σ² = τ-like strengths.
template <class D, class V>
concept Denoiser = Vector<V> && std::floating_point<typename std::remove_cvref_t<D>::scalar_type> &&
                   requires(const std::remove_cvref_t<D>& d, const V& y, typename std::remove_cvref_t<D>::scalar_type sigma,
                            V& out) { d.denoise(y, sigma, out); };

}  // namespace lucid
