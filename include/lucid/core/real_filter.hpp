#pragma once
/// \file real_filter.hpp
/// A pointwise Fourier filter of a real image computed in the output array
/// itself: no half-spectrum buffer.
///
/// Why: a one-shot filter (Wiener, a closed-form Tikhonov solve) otherwise
/// needs the H×(W/2+1) complex spectrum beside the H×W output, and on first
/// touch each of those image-sized buffers costs about as much as a transform
/// (page faults: docs/performance.md). For even W the spectrum of a real image
/// holds exactly H·W reals of information, so it fits in the output:
///  - each row's DFT X[0..W/2] has X[0] and X[W/2] real; row r of the output,
///    viewed as W/2 complex numbers, stores (X[0] + i·X[W/2], X[1], …, X[W/2−1]);
///  - the length-H column DFTs then act on all W/2 columns alike (in strips
///    through a cache-sized buffer, multiplied there); column 0
///    carries Z = A + i·B with A, B the DFTs of the two real columns (row DC
///    and row Nyquist terms), recovered as A[p] = (Z[p] + conj Z[−p])/2,
///    B[p] = (Z[p] − conj Z[−p])/(2i), filtered, and packed back the same way.
/// The transforms are FFTW's 1-D batches (fft::Kind::rows_r2c, columns_forward, …):
/// rows in blocks of 8, columns in strips of 256 bytes per row.

#include <algorithm>
#include <complex>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/threading.hpp"

namespace lucid::fft {

namespace detail {

/// dst[p·dst_stride + i] = src[p·src_stride + i] for p < rows, i < width
/// complex values: a strip of a few hundred bytes per row, copied as reals by
/// fixed-size loops (a memmove call per row, or element-wise complex copies,
/// cost more than the copy itself).
template <class T>
void copy_strip(const std::complex<T>* src, std::size_t src_stride, std::complex<T>* dst, std::size_t dst_stride,
                std::size_t rows, std::size_t width) {
    const T* a = reinterpret_cast<const T*>(src);
    T* b = reinterpret_cast<T*>(dst);
    auto run = [&](auto fixed) {
        constexpr std::size_t W = 2 * decltype(fixed)::value;
        for (std::size_t p = 0; p < rows; ++p)
            for (std::size_t i = 0; i < W; ++i) b[2 * p * dst_stride + i] = a[2 * p * src_stride + i];
    };
    if (width == 16) return run(std::integral_constant<std::size_t, 16>{});
    if (width == 32) return run(std::integral_constant<std::size_t, 32>{});
    for (std::size_t p = 0; p < rows; ++p)
        std::copy(a + 2 * p * src_stride, a + 2 * (p * src_stride + width), b + 2 * p * dst_stride);
}

}  // namespace detail

/// True when `filter_real` can run on an image of width w (w even).
inline bool filter_real_supported(std::size_t h, std::size_t w) { return h >= 1 && w >= 2 && w % 2 == 0; }

/// y = F⁻¹(M ⊙ F x) for a real h×w image x (w even, F the unnormalized 2-D DFT,
/// F⁻¹ its unnormalized inverse: fold 1/(h·w) into M), with the multiplier M
/// given on FFTW's r2c half grid, h × (w/2+1), in row pieces:
/// `multiplier(p, q0, q1, m)` writes M[p, q0..q1) into m[0..q1−q0). It is
/// called from up to `num_threads()` threads at once (on different m), so it
/// must not write shared state.
/// Precondition (true for every operator that maps real images to real
/// images): on the two self-conjugate columns, M[(h−p) mod h, q] = conj M[p, q]
/// for q = 0 and q = w/2.
/// x and y must not overlap; y is written entirely (it holds the spectrum
/// in between, see the file comment).
template <class T, class Multiplier>
void filter_real(const T* x, T* y, std::size_t h, std::size_t w, Multiplier&& multiplier) {
    using C = std::complex<T>;
    require(h >= 1, "lucid::fft::filter_real", "h", "a height >= 1", h);
    require(filter_real_supported(h, w), "lucid::fft::filter_real", "w", "an even width >= 2", w);
    const std::size_t q = w / 2;                            // complex numbers per packed row
    const std::size_t block = std::min<std::size_t>(8, h);  // rows per batch: 8·(w/2+1) complex stay in cache
    // Columns go in strips through a contiguous h × strip buffer (cache-resident):
    // forward DFT, multiply, inverse DFT while the strip is in cache, i.e. one
    // read and one write of the spectrum.
    // 256 bytes of each row (16 double or 32 float complex values): wide enough
    // to amortize the strided row accesses, narrow enough for h × strip to stay in L2.
    const std::size_t strip = std::min<std::size_t>(256 / sizeof(C), q);
    const std::size_t n_blocks = (h + block - 1) / block, n_strips = (q + strip - 1) / strip;
    const std::size_t last_rows = h - (n_blocks - 1) * block, last_strip = q - (n_strips - 1) * strip;
    // Single-threaded FFTW plans on small batches (FFTW's own threads would
    // synchronize per batch); the batches themselves are split among workers.
    const int workers = int(std::min<std::size_t>(std::size_t(std::max(1, num_threads())), n_blocks));
    auto rows_fwd = plan<T>(Kind::rows_r2c, block, w, 1), rows_inv = plan<T>(Kind::rows_c2r, block, w, 1);
    auto last_fwd = plan<T>(Kind::rows_r2c, last_rows, w, 1), last_inv = plan<T>(Kind::rows_c2r, last_rows, w, 1);
    auto cols_fwd = plan<T>(Kind::columns_forward, h, 2 * strip, 1);
    auto cols_inv = plan<T>(Kind::columns_backward, h, 2 * strip, 1);
    auto last_cols_fwd = plan<T>(Kind::columns_forward, h, 2 * last_strip, 1);
    auto last_cols_inv = plan<T>(Kind::columns_backward, h, 2 * last_strip, 1);
    // Per worker: a row batch (block × (q+1)), a column strip (h × strip) and a multiplier piece.
    const std::size_t row_n = block * (q + 1), col_n = h * strip;
    AlignedBuffer<C> rows(std::size_t(workers) * row_n, uninitialized), cols(std::size_t(workers) * col_n, uninitialized);
    std::vector<C> pieces(std::size_t(workers) * strip), m_nyquist(h);
    C* z = reinterpret_cast<C*>(y);
    // body(t, i) for i in [0, n), split into `workers` contiguous ranges (t = worker)
    auto split = [&](std::size_t n, auto&& body) {
        parallel_ranges(std::ptrdiff_t(n), workers, [&](std::ptrdiff_t t, std::ptrdiff_t b, std::ptrdiff_t e) {
            for (std::ptrdiff_t i = b; i < e; ++i) body(std::size_t(t), std::size_t(i));
        });
    };

    // 1. Row DFTs, packed: (X[0] + i·X[w/2], X[1..w/2−1]).
    split(n_blocks, [&](std::size_t t, std::size_t b) {
        const std::size_t r0 = b * block, n = std::min(block, h - r0);
        C* buf = rows.data() + t * row_n;
        (n == block ? rows_fwd : last_fwd)->r2c(x + r0 * w, buf);
        for (std::size_t r = 0; r < n; ++r) {
            const C* u = buf + r * (q + 1);
            C* o = z + (r0 + r) * q;
            o[0] = C(u[0].real(), u[q].real());
            std::copy(u + 1, u + q, o + 1);
        }
    });
    // 2. Column strips: DFT, M ⊙ ·, inverse DFT.
    split(n_strips, [&](std::size_t t, std::size_t k) {
        const std::size_t c0 = k * strip, s = std::min(strip, q - c0);
        C* buf = cols.data() + t * col_n;
        C* m = pieces.data() + t * strip;
        detail::copy_strip(z + c0, q, buf, s, h, s);
        (s == strip ? cols_fwd : last_cols_fwd)->columns(buf);
        for (std::size_t p = 0; p < h; ++p) {
            multiplier(p, c0, c0 + s, m);
            // real arithmetic: std::complex's operator* checks for infinities and does not vectorize
            T* v = reinterpret_cast<T*>(buf + p * s);
            const T* g = reinterpret_cast<const T*>(m);
            for (std::size_t i = c0 == 0 ? 1 : 0; i < s; ++i) {
                const T vr = v[2 * i], vi = v[2 * i + 1], gr = g[2 * i], gi = g[2 * i + 1];
                v[2 * i] = vr * gr - vi * gi;
                v[2 * i + 1] = vr * gi + vi * gr;
            }
        }
        if (c0 == 0) {
            // Column 0 holds Z = A + i·B, A and B the DFTs of the real row-DC and
            // row-Nyquist columns: split, filter each, pack back; rows p and −p
            // together, since each needs both (A[−p] = conj A[p], B[−p] = conj B[p]).
            for (std::size_t p = 0; p < h; ++p) multiplier(p, q, q + 1, &m_nyquist[p]);
            const C i_unit(0, 1), half(T(0.5)), minus_half_i(0, T(-0.5));
            C m_dc_p, m_dc_mp;
            for (std::size_t p = 0; p <= h / 2; ++p) {
                const std::size_t mp = (h - p) % h;
                multiplier(p, 0, 1, &m_dc_p);
                multiplier(mp, 0, 1, &m_dc_mp);
                const C zp = buf[p * s], zm = buf[mp * s];
                const C a = half * (zp + std::conj(zm)), b = minus_half_i * (zp - std::conj(zm));
                buf[p * s] = a * m_dc_p + i_unit * (b * m_nyquist[p]);
                buf[mp * s] = std::conj(a) * m_dc_mp + i_unit * (std::conj(b) * m_nyquist[mp]);
            }
        }
        (s == strip ? cols_inv : last_cols_inv)->columns(buf);
        detail::copy_strip(buf, s, z + c0, q, h, s);
    });
    // 3. Inverse row DFTs, unpacked into the row batch.
    split(n_blocks, [&](std::size_t t, std::size_t b) {
        const std::size_t r0 = b * block, n = std::min(block, h - r0);
        C* buf = rows.data() + t * row_n;
        for (std::size_t r = 0; r < n; ++r) {
            C* u = buf + r * (q + 1);
            const C* o = z + (r0 + r) * q;
            u[0] = C(o[0].real(), 0);
            u[q] = C(o[0].imag(), 0);
            std::copy(o + 1, o + q, u + 1);
        }
        (n == block ? rows_inv : last_inv)->c2r(buf, y + r0 * w);
    });
}

}  // namespace lucid::fft
