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
    // measured with AVX2+FMA, one thread, the banded products
    // (bench_convolution --benchmark_filter=ConvMethod): 0.044–0.047 ns in
    // double for 11×11 … 21×21 kernels at 512² and 2048² (small kernels pay
    // more per tap), float about half; baseline SSE2 ≈ 2.5× slower. The
    // AVX-512 copy, relative to AVX2 on one machine (Intel Xeon, 2026-12-07,
    // bench_convolution --benchmark_filter=ConvDirectIsa, 9×9 … 31×31 at 1024²):
    // 0.46–0.76× in double, 0.74–0.89× in float.
    const double lanes_factor = sizeof(T) == 4 ? 0.5 : 1.0;
    const double avx512_factor = sizeof(T) == 4 ? 0.85 : 0.6;
    if (use_avx512()) return 0.047 * lanes_factor * avx512_factor;
    return (use_avx2() ? 0.047 : 0.12) * lanes_factor;
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

/// Relative cost per N·log₂N of an FFTW transform length m (1 for powers of
/// two). Measured: each factor 3, 5 or 7 adds ~7 %; an odd length costs ~2×
/// as the last (r2c, halved) dimension and ~15 % as the first; a prime factor
/// p > 7 sends FFTW to its generic/Rader codelets (≈ 1 + log₂p/3).
inline double fft_length_penalty(std::size_t m, bool last_dimension) {
    if (m <= 1) return 1.0;
    std::size_t r = m;
    while (r % 2 == 0) r /= 2;
    int small = 0;
    for (std::size_t p : {3u, 5u, 7u})
        while (r % p == 0) {
            r /= p;
            ++small;
        }
    double pen = 1.0 + 0.07 * small;
    if (r > 1) pen *= std::min(6.0, 1.0 + std::log2(double(largest_prime_factor(r))) / 3.0);
    if (m % 2 == 1) pen *= last_dimension ? 2.0 : 1.15;
    return pen;
}

/// The FFT length ≥ n with the least predicted cost m·log₂m·penalty(m) among
/// the 7-smooth lengths up to the next power of two (fft::good_size(n) is the
/// smallest of them; it is often odd, which r2c handles ~2× slower).
inline std::size_t fft_length(std::size_t n, bool last_dimension) {
    if (n <= 2) return std::max<std::size_t>(n, 1);
    std::size_t pow2 = 1;
    while (pow2 < n) pow2 *= 2;
    std::size_t best = pow2;
    double best_cost = double(pow2) * std::log2(double(pow2));
    for (std::size_t m = n; m < pow2; ++m) {
        std::size_t r = m;
        for (std::size_t p : {2u, 3u, 5u, 7u})
            while (r % p == 0) r /= p;
        if (r != 1) continue;
        const double c = double(m) * std::log2(double(m)) * fft_length_penalty(m, last_dimension);
        if (c < best_cost) {
            best = m;
            best_cost = c;
        }
    }
    return best;
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

/// Growth of an FFTW transform's cost per N·log₂N once the plane outgrows the
/// caches: 1 up to 2 MiB, then +15 % per doubling. Measured (r2c + c2r pair,
/// double, one thread, `bench_convolution --benchmark_filter=FftPairBound`):
/// about 0.2 ns per N·log₂N up to 512², 0.27 at 1024², 0.34 at 2048², 0.45 at
/// 4096² (the model: 0.22, 0.29, 0.35, 0.42). Without it the FFT path looked 2× too cheap at 2048² and won where a
/// 13×13 direct product is 1.2–1.5× faster (`--benchmark_filter=ConvMethod`,
/// counter auto_direct).
template <class T>
double fft_cache_factor(double n) {
    const double bytes = n * double(sizeof(T));
    return 1.0 + 0.15 * std::max(0.0, std::log2(bytes / double(1u << 21)));
}

/// FFT path on a ph×pw grid: one r2c and one c2r transform (≈ 0.11 ns per
/// N·log₂N each in double on one core while the plane fits the caches, times
/// the length penalties and `fft_cache_factor`), the spectral product, and
/// `moves` elements of copies (extension in, crop out).
template <class T>
double fft_cost(std::size_t ph, std::size_t pw, double moves_in, double moves_out) {
    const double n = double(ph) * double(pw);
    if (n <= 1) return 0;
    const double precision = sizeof(T) == 4 ? 0.75 : 1.0;
    const double pen = fft_length_penalty(ph, false) * fft_length_penalty(pw, true);
    const double transforms = 2 * 0.11 * n * std::log2(n) * pen * precision * fft_cache_factor<T>(n);
    const double product = 0.5 * n * 0.5 * precision;
    return transforms + product + (moves_in + moves_out) * ns_per_move<T>() + 2000.0;
}

}  // namespace lucid::detail::conv
