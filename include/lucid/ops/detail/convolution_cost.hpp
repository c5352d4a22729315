#pragma once
/// \file convolution_cost.hpp
/// The operation-count model that picks the direct or the FFT path of
/// ops::Convolution. Costs are estimated nanoseconds per image plane on one
/// core; only their ratio matters. The constants were calibrated with
/// benchmarks/bench_convolution.cpp (single thread, FFTW_MEASURE plans) on an
/// AVX2+FMA x86-64 machine; they move the crossover by a kernel size at most
/// on other machines, and `ConvolutionOptions::method` overrides the choice.

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "lucid/ops/detail/convolution_kernels.hpp"

namespace lucid::detail::conv {

/// What a direct product costs: an Ho×Wo output from an He×We extension.
struct DirectWork {
    double ho = 0, wo = 0;   ///< output plane
    double he = 0, we = 0;   ///< extended input plane
    double taps = 0;         ///< non-zero taps of the 2-D kernel
    bool separable = false;  ///< two 1-D passes instead
    double col_taps = 0;     ///< non-zero taps of u (kh)
    double row_taps = 0;     ///< non-zero taps of v (kw)
    bool extends = true;     ///< the input is first copied into an extended plane
};

/// Nanoseconds per multiply-add of the tap loop (register-blocked SIMD).
template <class T>
double ns_per_tap() {
    const double lanes_factor = sizeof(T) == 4 ? 0.5 : 1.0;
    return (uses_avx2() ? 0.070 : 0.20) * lanes_factor;
}

/// Nanoseconds per element moved by a copy, extension or fold pass.
template <class T>
double ns_per_move() { return sizeof(T) == 4 ? 0.25 : 0.4; }

/// Largest prime factor of n (n ≥ 1).
inline std::size_t largest_prime_factor(std::size_t n) {
    std::size_t p = 1;
    for (std::size_t f = 2; f * f <= n; ++f)
        while (n % f == 0) {
            p = f;
            n /= f;
        }
    return n > 1 ? n : p;
}

/// Direct path: Σ taps·outputs multiply-adds, plus the extension copy.
template <class T>
double direct_cost(const DirectWork& w) {
    const double taps = w.separable ? w.he * w.wo * w.row_taps + w.ho * w.wo * w.col_taps : w.ho * w.wo * w.taps;
    const double moves = (w.extends ? w.he * w.we : 0.0) + (w.separable ? w.he * w.wo : 0.0);
    // a row of few taps does not fill the register blocks: count at least 2 taps per output
    const double floor_taps = 2.0 * w.ho * w.wo;
    return std::max(taps, floor_taps) * ns_per_tap<T>() + moves * ns_per_move<T>();
}

/// FFT path on a ph×pw grid: a real-to-complex and a complex-to-real transform
/// (≈ 2.5·N·log₂N flops each), the spectral product, and `moves` elements of
/// copies (extension in, crop out). Sizes with a prime factor above 7 run
/// FFTW's slower generic codelets.
template <class T>
double fft_cost(std::size_t ph, std::size_t pw, double moves_in, double moves_out) {
    const double n = double(ph) * double(pw);
    if (n <= 1) return 0;
    const double lanes_factor = sizeof(T) == 4 ? 0.55 : 1.0;
    double penalty = 1.0;
    for (std::size_t d : {ph, pw}) {
        const std::size_t p = largest_prime_factor(d);
        if (p > 7) penalty *= std::min(6.0, 1.0 + std::log2(double(p)) / 3.0);
    }
    const double per_transform = 2.5 * n * std::log2(n) * 0.085 * lanes_factor * penalty;
    const double product = 0.5 * n * 1.0 * lanes_factor;
    return 2 * per_transform + product + (moves_in + moves_out) * ns_per_move<T>() + 2000.0;
}

}  // namespace lucid::detail::conv
