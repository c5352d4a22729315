#pragma once
/// \file separable_dft.hpp
/// The 2-D DFT of a rank-1 (separable) kernel as the outer product of two 1-D
/// DFTs: what ops::Convolution uses instead of an r2c transform of the padded
/// kernel when k = u·vᵀ (Gaussians, box blurs), saving one image-sized
/// transform per construction and per `spectrum()` call (and, kept as its two
/// factors, an image-sized table per operator: see multiply_spectrum_separable).

#include <cmath>
#include <complex>
#include <cstddef>
#include <vector>

namespace lucid::detail::conv {

/// â[p] = Σ_m a_m e^{−2πi p·pos_m / P} for p < count, with the taps at
/// positions pos_m ∈ [0, P) (several taps may share a position: they add).
/// Twiddles from one table of P exact values, sums in double: O(P + count·taps).
inline std::vector<std::complex<double>> tap_dft(const std::vector<double>& a, const std::vector<std::size_t>& pos,
                                                 std::size_t P, std::size_t count) {
    const double pi = 3.14159265358979323846;
    std::vector<std::complex<double>> tw(P);
    for (std::size_t j = 0; j < P; ++j) {
        const double t = -2.0 * pi * double(j) / double(P);
        tw[j] = {std::cos(t), std::sin(t)};
    }
    std::vector<std::complex<double>> out(count);
    for (std::size_t p = 0; p < count; ++p) {
        std::complex<double> s = 0;
        for (std::size_t m = 0; m < a.size(); ++m) s += a[m] * tw[(p * pos[m]) % P];
        out[p] = s;
    }
    return out;
}

}  // namespace lucid::detail::conv
