#pragma once
/// \file convolution_kernels.hpp
/// Allocation-free loops behind ops::Convolution: boundary extension and its
/// transpose (the fold), the tap loop of the direct (spatial) path, and the
/// spectral multiply of the FFT path.
///
/// Every spatial convolution here is a *tap loop* on a row-major plane:
///
///   dst[i·ds + j] = Σ_t w[t] · src[i·ss + off[t] + j],   0 ≤ i < rows, 0 ≤ j < cols,
///
/// i.e. a sum of shifted input streams. A 2-D kernel is one tap list
/// (off = a·ss + b); a separable kernel is a row list (off = b) followed by a
/// column list (off = a·ts). Zero taps are dropped, so sparse kernels (motion
/// blur) cost only their support. The loop runs in register blocks of eight
/// SIMD vectors over j with the taps in the inner loop (GCC/Clang vector
/// extensions: 16-byte vectors on the baseline, AVX2+FMA and AVX-512 copies
/// with 32- and 64-byte vectors selected at run time; every copy sums an
/// output's taps in the same order), so each output is stored exactly once and
/// eight independent FMA chains hide the FMA latency. A list spanning several
/// rows (a 2-D kernel, a column pass) also runs two output rows at once from a
/// merged list (Taps::pair_rows): each loaded vector feeds both rows.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <cstring>
#include <vector>

#include "lucid/core/boundary.hpp"
#include "lucid/core/cpu_features.hpp"
#include "lucid/core/threading.hpp"

namespace lucid::detail::conv {


/// a mod n in [0, n) for any sign of a.
inline std::ptrdiff_t pmod(std::ptrdiff_t a, std::ptrdiff_t n) {
    const std::ptrdiff_t r = a % n;
    return r < 0 ? r + n : r;
}

/// Index in [0, n) of the sample that position p (any integer) reads on an
/// axis of n samples under boundary b, or −1 when it reads zero:
/// periodic p mod n; reflect the half-sample symmetric extension of period 2n
/// (…, x1, x0 | x0, x1, …, x_{n−1} | x_{n−1}, …); replicate clamp(p, 0, n−1);
/// zero and valid −1 outside [0, n).
inline std::ptrdiff_t source_index(std::ptrdiff_t p, std::ptrdiff_t n, Boundary b) {
    switch (b) {
        case Boundary::periodic: return pmod(p, n);
        case Boundary::reflect: {
            const std::ptrdiff_t m = pmod(p, 2 * n);
            return m < n ? m : 2 * n - 1 - m;
        }
        case Boundary::replicate: return std::clamp<std::ptrdiff_t>(p, 0, n - 1);
        case Boundary::zero:
        case Boundary::valid: return (p >= 0 && p < n) ? p : -1;
    }
    return -1;
}

/// Source indices of the extended positions −before … n+after−1 of an axis.
inline std::vector<std::ptrdiff_t> extension_map(std::ptrdiff_t n, std::ptrdiff_t before, std::ptrdiff_t after,
                                                 Boundary b) {
    std::vector<std::ptrdiff_t> map(std::size_t(n + before + after));
    for (std::ptrdiff_t p = 0; p < n + before + after; ++p) map[std::size_t(p)] = source_index(p - before, n, b);
    return map;
}

/// A row stride ≥ w (in elements): a multiple of 64 bytes that is not a
/// multiple of 1 KiB, so that the rows a tap loop reads together do not map
/// to the same cache sets.
template <class T>
std::size_t padded_stride(std::size_t w) {
    const std::size_t line = 64 / sizeof(T);
    std::size_t s = (w + line - 1) / line * line;
    if ((s * sizeof(T)) % 1024 == 0) s += line;
    return s;
}

/// Runs body(r0, r1) over [0, rows) split into num_threads() blocks when the
/// total work (in multiply-adds or element moves) is large enough.
template <class F>
void for_row_blocks(std::ptrdiff_t rows, double work, F&& body) {
    const int nt = num_threads();
    if (nt <= 1 || rows < 2 || work < double(parallel_threshold) * 4) {
        body(std::ptrdiff_t(0), rows);
        return;
    }
    parallel_ranges(rows, int(std::min<std::ptrdiff_t>(nt, rows)),
                    [&](std::ptrdiff_t, std::ptrdiff_t r0, std::ptrdiff_t r1) { body(r0, r1); });
}

// ---- the tap loop -------------------------------------------------------------

/// K consecutive SIMD vectors of R output rows, dst_r[k·L + l] = Σ_t w_r[t]·src[off[t] + k·L + l]:
/// K·R independent accumulator chains, each loaded vector feeding all R rows.
template <class T, std::size_t VB, int K, int R>
[[gnu::always_inline]] inline void tap_block(const T* __restrict src, const std::ptrdiff_t* __restrict off,
                                             const T* const* w, std::size_t nt, T* const* dst) {
    typedef T V __attribute__((vector_size(VB)));
    typedef T U __attribute__((vector_size(VB), aligned(sizeof(T)), __may_alias__));  // unaligned access
    constexpr std::ptrdiff_t L = std::ptrdiff_t(VB / sizeof(T));
    V a[R][K] = {};
    for (std::size_t t = 0; t < nt; ++t) {
        const T* p = src + off[t];
        V u[K];
#pragma GCC unroll 8
        for (int k = 0; k < K; ++k) u[k] = *reinterpret_cast<const U*>(p + k * L);
#pragma GCC unroll 2
        for (int r = 0; r < R; ++r) {
            const V wt = V{} + w[r][t];
#pragma GCC unroll 8
            for (int k = 0; k < K; ++k) a[r][k] += wt * u[k];
        }
    }
#pragma GCC unroll 2
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
        for (int k = 0; k < K; ++k) *reinterpret_cast<U*>(dst[r] + k * L) = a[r][k];
}

/// R output rows over j < n from one tap list with R weight lists:
/// dst_r[j] = Σ_t w_r[t]·src[off[t] + j]. Blocks of 8/R vectors keep eight
/// accumulator chains in flight (four, as a single row once had, are FMA-latency
/// bound); with R = 2 (a merged two-row list) each loaded vector feeds both rows,
/// so a kernel spanning k rows costs ≈ (k+1)/(2k) loads per multiply-add instead of 1.
template <class T, std::size_t VB, int R>
[[gnu::always_inline]] inline void tap_rows_of(const T* __restrict src, const std::ptrdiff_t* __restrict off,
                                               const T* const* w, std::size_t nt, std::ptrdiff_t n,
                                               T* const* dst) {
    constexpr std::ptrdiff_t L = std::ptrdiff_t(VB / sizeof(T));
    constexpr int K = 8 / R;
    std::ptrdiff_t j = 0;
    auto at = [&](std::ptrdiff_t jj, T* (&d)[R]) {
        for (int r = 0; r < R; ++r) d[r] = dst[r] + jj;
    };
    T* d[R];
    for (; j + K * L <= n; j += K * L) {
        at(j, d);
        tap_block<T, VB, K, R>(src + j, off, w, nt, d);
    }
    for (; j + L <= n; j += L) {
        at(j, d);
        tap_block<T, VB, 1, R>(src + j, off, w, nt, d);
    }
    for (; j < n; ++j)
        for (int r = 0; r < R; ++r) {
            T a = T(0);
            for (std::size_t t = 0; t < nt; ++t) a += w[r][t] * src[off[t] + j];
            dst[r][j] = a;
        }
}

/// Rows [r0, r1) of a tap loop. With a merged pair list (np > 0), rows run in
/// pairs (2p, 2p+1) counted from row 0 (r0 must be even), so every row is
/// computed the same way whatever the split; an odd last row runs alone.
template <class T, std::size_t VB>
[[gnu::always_inline]] inline void tap_rows_vb(const T* src, std::ptrdiff_t ss, const std::ptrdiff_t* off, const T* w,
                                               std::size_t nt, const std::ptrdiff_t* off2, const T* w0,
                                               const T* w1, std::size_t np, std::ptrdiff_t r0, std::ptrdiff_t r1,
                                               std::ptrdiff_t cols, T* dst, std::ptrdiff_t ds) {
    std::ptrdiff_t i = r0;
    const T* pair_w[2] = {w0, w1};
    if (np > 0)
        for (; i + 1 < r1; i += 2) {
            T* d[2] = {dst + i * ds, dst + (i + 1) * ds};
            tap_rows_of<T, VB, 2>(src + i * ss, off2, pair_w, np, cols, d);
        }
    for (; i < r1; ++i) {
        T* d[1] = {dst + i * ds};
        tap_rows_of<T, VB, 1>(src + i * ss, off, &w, nt, cols, d);
    }
}

#if LUCID_HAS_AVX2_DISPATCH
template <class T>
__attribute__((target("avx2,fma"))) void tap_rows_avx2(const T* src, std::ptrdiff_t ss, const std::ptrdiff_t* off,
                                                        const T* w, std::size_t nt, const std::ptrdiff_t* off2,
                                                        const T* w0, const T* w1, std::size_t np, std::ptrdiff_t r0,
                                                        std::ptrdiff_t r1, std::ptrdiff_t cols, T* dst,
                                                        std::ptrdiff_t ds) {
    tap_rows_vb<T, 32>(src, ss, off, w, nt, off2, w0, w1, np, r0, r1, cols, dst, ds);
}

template <class T>
__attribute__((target("avx512f,avx2,fma"))) void tap_rows_avx512(const T* src, std::ptrdiff_t ss,
                                                                 const std::ptrdiff_t* off, const T* w, std::size_t nt,
                                                                 const std::ptrdiff_t* off2, const T* w0, const T* w1,
                                                                 std::size_t np, std::ptrdiff_t r0, std::ptrdiff_t r1,
                                                                 std::ptrdiff_t cols, T* dst, std::ptrdiff_t ds) {
    tap_rows_vb<T, 64>(src, ss, off, w, nt, off2, w0, w1, np, r0, r1, cols, dst, ds);
}
#endif

template <class T>
void tap_rows_portable(const T* src, std::ptrdiff_t ss, const std::ptrdiff_t* off, const T* w, std::size_t nt,
                       const std::ptrdiff_t* off2, const T* w0, const T* w1, std::size_t np, std::ptrdiff_t r0,
                       std::ptrdiff_t r1, std::ptrdiff_t cols, T* dst, std::ptrdiff_t ds) {
    tap_rows_vb<T, 16>(src, ss, off, w, nt, off2, w0, w1, np, r0, r1, cols, dst, ds);
}

/// A list of taps (offsets relative to the output position, weights), zero
/// taps dropped, and optionally the merged list for two rows at once.
template <class T>
struct Taps {
    std::vector<std::ptrdiff_t> off;
    std::vector<T> w;
    // Rows i and i+1 together (source row stride pair_stride): row i reads
    // off[t], row i+1 reads off[t] + stride; pair_off is the union, sorted,
    // with each row's weight (0 where that row has no tap there).
    std::vector<std::ptrdiff_t> pair_off;
    std::vector<T> pair_w0, pair_w1;
    std::ptrdiff_t pair_stride = 0;

    void add(std::ptrdiff_t o, T weight) {
        if (weight == T(0)) return;
        off.push_back(o);
        w.push_back(weight);
    }
    std::size_t size() const { return w.size(); }

    /// Builds the two-row list for source stride ss when it shares at least a
    /// quarter of the loads (kernels spanning several rows; not a 1-row list).
    void pair_rows(std::ptrdiff_t ss) {
        std::vector<std::ptrdiff_t> u;
        for (auto o : off) {
            u.push_back(o);
            u.push_back(o + ss);
        }
        std::sort(u.begin(), u.end());
        u.erase(std::unique(u.begin(), u.end()), u.end());
        if (4 * u.size() > 3 * 2 * off.size()) return;
        pair_off = u;
        pair_w0.assign(u.size(), T(0));
        pair_w1.assign(u.size(), T(0));
        auto at = [&](std::ptrdiff_t o) { return std::size_t(std::lower_bound(u.begin(), u.end(), o) - u.begin()); };
        for (std::size_t t = 0; t < off.size(); ++t) {
            pair_w0[at(off[t])] += w[t];
            pair_w1[at(off[t] + ss)] += w[t];
        }
        pair_stride = ss;
    }
};

/// dst[i·ds + j] = Σ_t w[t]·src[i·ss + off[t] + j] for i < rows, j < cols (see file comment).
template <class T>
void run_taps(const T* src, std::ptrdiff_t ss, const Taps<T>& taps, std::ptrdiff_t rows, std::ptrdiff_t cols,
              T* dst, std::ptrdiff_t ds, bool parallel = true) {
    const std::ptrdiff_t* off = taps.off.data();
    const T* w = taps.w.data();
    const std::size_t nt = taps.size();
    const bool paired = !taps.pair_off.empty() && taps.pair_stride == ss;
    const std::size_t np = paired ? taps.pair_off.size() : 0;
    const std::ptrdiff_t* off2 = taps.pair_off.data();
    const T *w0 = taps.pair_w0.data(), *w1 = taps.pair_w1.data();
    const bool avx2 = use_avx2(), avx512 = use_avx512();
    // Paired rows are split between threads in whole pairs (blocks start at even rows).
    const std::ptrdiff_t unit = paired ? 2 : 1, units = (rows + unit - 1) / unit;
    auto body = [&](std::ptrdiff_t b0, std::ptrdiff_t b1) {
        const std::ptrdiff_t r0 = b0 * unit, r1 = std::min(rows, b1 * unit);
#if LUCID_HAS_AVX2_DISPATCH
        if (avx512) return tap_rows_avx512<T>(src, ss, off, w, nt, off2, w0, w1, np, r0, r1, cols, dst, ds);
        if (avx2) return tap_rows_avx2<T>(src, ss, off, w, nt, off2, w0, w1, np, r0, r1, cols, dst, ds);
#endif
        (void)avx2;
        (void)avx512;
        tap_rows_portable<T>(src, ss, off, w, nt, off2, w0, w1, np, r0, r1, cols, dst, ds);
    };
    if (parallel) for_row_blocks(units, double(rows) * double(cols) * double(nt + 1), body);
    else body(0, units);
}

// ---- boundary extension and its transpose ----------------------------------------

/// Extension E: writes the He×We extended plane (He = rmap.size(), We =
/// cmap.size()) of the h×w plane x into dst (row stride ds):
/// dst[p, q] = x[rmap[p], cmap[q]], or 0 where either index is −1. The
/// columns [left, left + w) of a row with rmap[p] ≥ 0 are the row itself.
/// With a row range [p0, p1), only those extended rows, written to dst's rows
/// 0 .. p1 − p0 (one band of the forward product).
template <class T>
void extend_plane(const T* x, std::ptrdiff_t w, const std::vector<std::ptrdiff_t>& rmap,
                  const std::vector<std::ptrdiff_t>& cmap, std::ptrdiff_t left, T* dst, std::ptrdiff_t ds,
                  std::ptrdiff_t p0 = 0, std::ptrdiff_t p1 = -1, bool parallel = true) {
    if (p1 < 0) p1 = std::ptrdiff_t(rmap.size());
    const std::ptrdiff_t we = std::ptrdiff_t(cmap.size());
    const std::ptrdiff_t* rm = rmap.data();
    const std::ptrdiff_t* cm = cmap.data();
    for_row_blocks(p1 - p0, parallel ? double(p1 - p0) * double(we) : 0.0, [&](std::ptrdiff_t r0, std::ptrdiff_t r1) {
        for (std::ptrdiff_t p = p0 + r0; p < p0 + r1; ++p) {
            T* d = dst + (p - p0) * ds;
            if (rm[p] < 0) {
                std::fill(d, d + we, T(0));
                continue;
            }
            const T* s = x + rm[p] * w;
            for (std::ptrdiff_t q = 0; q < left; ++q) d[q] = cm[q] < 0 ? T(0) : s[cm[q]];
            std::memcpy(d + left, s, std::size_t(w) * sizeof(T));
            for (std::ptrdiff_t q = left + w; q < we; ++q) d[q] = cm[q] < 0 ? T(0) : s[cm[q]];
        }
    });
}

/// One row of the fold Eᵀ (below): x_row = z_row's image part [left, left + w)
/// plus the samples of its border columns added back onto the pixels they
/// were copies of (cmap[q] = −1: a zero position, dropped). With `add`, the
/// whole folded row is added to x_row instead (a border row of z).
template <class T>
void fold_row(const T* zr, const std::vector<std::ptrdiff_t>& cmap, std::ptrdiff_t left, std::ptrdiff_t w, T* xr,
              bool add) {
    const std::ptrdiff_t we = std::ptrdiff_t(cmap.size());
    const std::ptrdiff_t* cm = cmap.data();
    if (add) {
        for (std::ptrdiff_t j = 0; j < w; ++j) xr[j] += zr[left + j];
    } else {
        std::memcpy(xr, zr + left, std::size_t(w) * sizeof(T));
    }
    for (std::ptrdiff_t q = 0; q < left; ++q)
        if (cm[q] >= 0) xr[cm[q]] += zr[q];
    for (std::ptrdiff_t q = left + w; q < we; ++q)
        if (cm[q] >= 0) xr[cm[q]] += zr[q];
}

/// Transpose of `extend_plane` (the fold Eᵀ): x[i, j] = Σ z[p, q] over the
/// extended positions (p, q) with rmap[p] = i and cmap[q] = j. Samples that
/// the extension read from outside the image are added back onto the pixels
/// they were copies of; zero positions are dropped. z is He×We with row stride zs.
template <class T>
void fold_plane(const T* z, std::ptrdiff_t zs, const std::vector<std::ptrdiff_t>& rmap,
                const std::vector<std::ptrdiff_t>& cmap, std::ptrdiff_t top, std::ptrdiff_t left, std::ptrdiff_t h,
                std::ptrdiff_t w, T* x) {
    const std::ptrdiff_t he = std::ptrdiff_t(rmap.size()), we = std::ptrdiff_t(cmap.size());
    // interior rows: each image row once (copy, then its own border columns)
    for_row_blocks(h, double(h) * double(we), [&](std::ptrdiff_t r0, std::ptrdiff_t r1) {
        for (std::ptrdiff_t i = r0; i < r1; ++i) fold_row(z + (i + top) * zs, cmap, left, w, x + i * w, false);
    });
    // border rows: added onto the rows they copied (serial: several may hit one row)
    for (std::ptrdiff_t p = 0; p < he; ++p) {
        if (p >= top && p < top + h) continue;
        if (rmap[std::size_t(p)] < 0) continue;
        fold_row(z + p * zs, cmap, left, w, x + rmap[std::size_t(p)] * w, true);
    }
}

/// Copies a rows×cols block between strided planes.
template <class T>
void copy_block(const T* src, std::ptrdiff_t ss, std::ptrdiff_t rows, std::ptrdiff_t cols, T* dst,
                std::ptrdiff_t ds) {
    for_row_blocks(rows, double(rows) * double(cols), [&](std::ptrdiff_t r0, std::ptrdiff_t r1) {
        for (std::ptrdiff_t i = r0; i < r1; ++i)
            std::memcpy(dst + i * ds, src + i * ss, std::size_t(cols) * sizeof(T));
    });
}

/// Zeroes a rows×cols block of a strided plane.
template <class T>
void zero_block(T* dst, std::ptrdiff_t ds, std::ptrdiff_t rows, std::ptrdiff_t cols) {
    for (std::ptrdiff_t i = 0; i < rows; ++i) std::fill(dst + i * ds, dst + i * ds + cols, T(0));
}

/// s[i] ← s[i]·c·k[i] (or s[i]·c·conj(k[i])) on n complex numbers stored as (re, im)
/// pairs, c a real scale. Written on the real parts so that it vectorizes and
/// skips libgcc's NaN-aware complex multiply.
template <class T>
void multiply_spectrum(std::complex<T>* s, const std::complex<T>* k, std::size_t n, bool conjugate, T scale = T(1)) {
    T* __restrict a = reinterpret_cast<T*>(s);
    const T* __restrict b = reinterpret_cast<const T*>(k);
    const std::ptrdiff_t nn = std::ptrdiff_t(n);
    const T sign = conjugate ? -scale : scale;
    for_row_blocks(nn, double(nn), [&](std::ptrdiff_t r0, std::ptrdiff_t r1) {
        for (std::ptrdiff_t i = r0; i < r1; ++i) {
            const T ar = a[2 * i], ai = a[2 * i + 1];
            const T br = scale * b[2 * i], bi = sign * b[2 * i + 1];  // exact when scale = 1
            a[2 * i] = ar * br - ai * bi;
            a[2 * i + 1] = ar * bi + ai * br;
        }
    });
}

/// s[p·qh + q] ← s[p·qh + q]·Û[p]·V̂[q] (or the conjugate of Û[p]·V̂[q]) for
/// p < P, q < qh: the product with a separable kernel's spectrum formed from
/// its two 1-D factors on the fly, so the pass streams one array, not two.
template <class T>
void multiply_spectrum_separable(std::complex<T>* s, const std::complex<T>* U, const std::complex<T>* V,
                                 std::size_t P, std::size_t qh, bool conjugate) {
    T* __restrict a = reinterpret_cast<T*>(s);
    const T* __restrict v = reinterpret_cast<const T*>(V);
    const T sign = conjugate ? T(-1) : T(1);
    for_row_blocks(std::ptrdiff_t(P), double(P) * double(qh), [&](std::ptrdiff_t r0, std::ptrdiff_t r1) {
        for (std::ptrdiff_t p = r0; p < r1; ++p) {
            const T ur = U[p].real(), ui = U[p].imag();
            T* row = a + 2 * std::size_t(p) * qh;
            for (std::size_t q = 0; q < qh; ++q) {
                const T vr = v[2 * q], vi = v[2 * q + 1];
                const T br = ur * vr - ui * vi, bi = sign * (ur * vi + ui * vr);
                const T xr = row[2 * q], xi = row[2 * q + 1];
                row[2 * q] = xr * br - xi * bi;
                row[2 * q + 1] = xr * bi + xi * br;
            }
        }
    });
}

}  // namespace lucid::detail::conv
