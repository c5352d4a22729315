#pragma once
/// \file sigma_schedule.hpp
/// The denoiser strength σ_k of plug-and-play and RED solvers.

#include <algorithm>
#include <cmath>

#include "lucid/core/error.hpp"

namespace lucid {

/// σ_k (k = 0, 1, …): geometric from `initial` to `final` over the first
/// `steps` iterations, constant afterwards; `final` = 0 keeps σ = initial.
/// ```cpp
/// lucid::SigmaSchedule s{.initial = 0.1, .final = 0.01, .steps = 20};  // 0.1 → 0.01 in 20 iterations
/// ```
struct SigmaSchedule {
    double initial = 0.05;  ///< σ₀ (image units, [0,1] scale)
    double final = 0;       ///< σ after `steps` iterations; 0 = constant σ₀
    int steps = 1;          ///< iterations of the geometric decay

    double at(int k) const {
        if (final == 0 || steps <= 1) return final == 0 ? initial : (k <= 0 ? initial : final);
        const double t = double(std::min(std::max(k, 0), steps - 1)) / double(steps - 1);
        return initial * std::pow(final / initial, t);
    }

    void validate(const char* where) const {
        require(std::isfinite(initial) && initial > 0, where, "sigma.initial", "finite and > 0", initial);
        require(std::isfinite(final) && final >= 0, where, "sigma.final", "finite and >= 0 (0 = constant)", final);
        require(steps >= 1, where, "sigma.steps", ">= 1", steps);
    }

    /// The largest σ_k of the schedule.
    double largest() const { return std::max(initial, final); }
};

namespace detail {
/// A denoiser trained on a range of noise levels declares its top, `sigma_max()`
/// (the CNN: 50/255); a schedule that leaves the range is refused before the
/// first iteration, naming the schedule field rather than the denoiser's argument.
template <class D>
void require_schedule_within(const char* where, const SigmaSchedule& s, const D& denoiser) {
    if constexpr (requires { denoiser.sigma_max(); }) {
        const double top = double(denoiser.sigma_max());
        const char* field = s.initial >= s.final ? "sigma.initial" : "sigma.final";
        require(s.largest() <= top * (1 + 1e-6), where, field,
                concat("<= the denoiser's sigma_max() = ", top, " (its trained range)"), s.largest());
    }
}
}  // namespace detail

}  // namespace lucid
