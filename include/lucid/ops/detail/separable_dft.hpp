#pragma once
/// \file separable_dft.hpp
/// The 2-D DFT of a rank-1 (separable) kernel as the outer product of two 1-D
/// DFTs: what ops::Convolution uses instead of an r2c transform of the padded
/// kernel when k = u·vᵀ (Gaussians, box blurs), saving one image-sized
/// transform per construction and per `spectrum()` call.

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

/// out[p·(Q/2+1) + q] = scale · Û[p] · V̂[q] on the r2c half grid (p < P, q ≤ Q/2),
/// the 2-D DFT of k(m, n) = u_m v_n placed at rows rpos_m and columns cpos_n of a
/// P×Q grid: Σ_m Σ_n u_m v_n e^{−2πi(p·rpos_m/P + q·cpos_n/Q)} factors into the
/// two 1-D sums. Equals FFTW's r2c of the padded kernel up to rounding.
template <class T>
void separable_kernel_dft(const std::vector<double>& u, const std::vector<std::size_t>& rpos,
                          const std::vector<double>& v, const std::vector<std::size_t>& cpos, std::size_t P,
                          std::size_t Q, double scale, std::complex<T>* out) {
    const std::size_t qh = Q / 2 + 1;
    const auto U = tap_dft(u, rpos, P, P);
    const auto V = tap_dft(v, cpos, Q, qh);
    for (std::size_t p = 0; p < P; ++p) {
        const std::complex<double> up = scale * U[p];
        std::complex<T>* row = out + p * qh;
        for (std::size_t q = 0; q < qh; ++q) {
            const std::complex<double> z = up * V[q];
            row[q] = {T(z.real()), T(z.imag())};
        }
    }
}

}  // namespace lucid::detail::conv
