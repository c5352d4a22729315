#pragma once
/// \file wavelet_kernels.hpp
/// Allocation-free periodic filter-bank loops behind ops::Wavelet2D (decimated)
/// and ops::StationaryWavelet2D (à trous), on row-major planes with row strides.
///
/// Decimated (periodization, PyWavelets' alignment), F taps, c = F/2, n = length:
///   analysis   lo[i] = Σ_k f[k]·x[(2i + c − k) mod n],  hi[i] = Σ_k g[k]·x[(2i + c − k) mod n]
///   synthesis  the exact transpose: x[(2i + c − k) mod n] += f[k]·lo[i] + g[k]·hi[i]
/// Undecimated with dilation s (PyWavelets' swt alignment):
///   out[m] = Σ_k t[k]·x[(m + shift − k·s) mod n]   (analysis: shift = s·c; the transpose
///   uses the reversed taps and shift = s·(F − 1 − c)).
///
/// Every loop is written as a sum over taps of shifted input streams, evaluated
/// in register blocks of `block<T>` outputs (SIMD over outputs, taps in the
/// inner loop), so nothing is stored until a block is complete. Row passes copy
/// each row once into a periodically padded (and for the DWT de-interleaved)
/// scratch row: one slot of `row_scratch_size` elements per parallel block.
/// Column passes read F rows at a time; callers give them inputs with a
/// padded row stride (`padded_stride`) so that the F streams do not alias in
/// the cache when W is a power of two.

#include <algorithm>
#include <cstddef>

#include "lucid/core/error.hpp"
#include "lucid/core/threading.hpp"

namespace lucid::detail::wavelet {

/// Most taps a filter may have (coif5 has 30).
inline constexpr std::size_t max_wavelet_taps = 64;

/// Outputs per register block: four SSE registers' worth.
template <class T>
inline constexpr std::size_t block = 64 / sizeof(T);

/// a mod n in [0, n) for any sign of a.
inline std::ptrdiff_t pmod(std::ptrdiff_t a, std::ptrdiff_t n) {
    const std::ptrdiff_t r = a % n;
    return r < 0 ? r + n : r;
}

/// ⌊a / 2⌋ for any sign of a.
inline std::ptrdiff_t floor_half(std::ptrdiff_t a) { return a >= 0 ? a / 2 : -((1 - a) / 2); }

/// A row stride ≥ w for scratch planes whose rows are read F at a time: a
/// multiple of 64 bytes that is not a multiple of 1 KiB, so that rows do not
/// map to the same cache sets.
template <class T>
std::size_t padded_stride(std::size_t w) {
    const std::size_t line = 64 / sizeof(T);
    std::size_t s = (w + line - 1) / line * line;
    if ((s * sizeof(T)) % 1024 == 0) s += line;
    return s;
}

/// Scratch elements one row pass needs per parallel block, for rows of up to
/// `w` samples, `taps` taps and dilation up to `step`.
inline std::size_t row_scratch_size(std::size_t w, std::size_t taps, std::size_t step = 1) {
    const std::size_t pad = (taps + 2) * step;
    return 2 * (w + 2 * pad + 64) + 256;
}

/// Runs body(row_begin, row_end, slot) over `rows` rows split into at most
/// `slots` contiguous blocks, in parallel when rows·cols is large.
template <class F>
void for_row_blocks(std::size_t rows, std::size_t cols, std::size_t slots, F&& body) {
    const std::size_t blocks =
        (std::ptrdiff_t(rows * cols) >= parallel_threshold) ? std::max<std::size_t>(1, std::min(slots, rows)) : 1;
    if (blocks == 1) {
        body(std::size_t(0), rows, std::size_t(0));
        return;
    }
    parallel_for(0, std::ptrdiff_t(blocks), [&](std::ptrdiff_t b) {
        const std::size_t r0 = rows * std::size_t(b) / blocks, r1 = rows * std::size_t(b + 1) / blocks;
        body(r0, r1, std::size_t(b));
    }, 2);
}

/// Grain for parallel_for over the `rows` output rows of a column pass on h×w.
inline std::ptrdiff_t column_grain(std::size_t rows, std::size_t h, std::size_t w) {
    return std::ptrdiff_t(h * w) >= parallel_threshold ? 1 : std::ptrdiff_t(rows) + 1;
}

// ---- the two register-blocked primitives ----------------------------------------

/// a[t] = Σ_k f[k]·s_k[off + t], d[t] = Σ_k g[k]·s_k[off + t] for t < n (n ≤ block, or
/// n = block for the full-block fast path).
template <class T, bool Full>
inline void fir_split(const T* const* s, std::size_t F, const T* f, const T* g, std::ptrdiff_t off, std::size_t n,
                      T* __restrict a_out, T* __restrict d_out) {
    constexpr std::size_t B = block<T>;
    const std::size_t m = Full ? B : n;
    T a[B], d[B];
    {
        const T* __restrict p = s[0] + off;
        const T fk = f[0], gk = g[0];
        for (std::size_t t = 0; t < (Full ? B : m); ++t) {
            a[t] = fk * p[t];
            d[t] = gk * p[t];
        }
    }
    for (std::size_t k = 1; k < F; ++k) {
        const T* __restrict p = s[k] + off;
        const T fk = f[k], gk = g[k];
        for (std::size_t t = 0; t < (Full ? B : m); ++t) {
            a[t] += fk * p[t];
            d[t] += gk * p[t];
        }
    }
    for (std::size_t t = 0; t < (Full ? B : m); ++t) {
        a_out[t] = a[t];
        d_out[t] = d[t];
    }
}

/// o[t] = Σ_k f[k]·s_k[off + t] + g[k]·r_k[off + t] for t < n.
template <class T, bool Full>
inline void fir_merge(const T* const* s, const T* const* r, std::size_t F, const T* f, const T* g,
                      std::ptrdiff_t off, std::size_t n, T* __restrict o_out) {
    constexpr std::size_t B = block<T>;
    const std::size_t m = Full ? B : n;
    T o[B];
    {
        const T* __restrict p = s[0] + off;
        const T* __restrict q = r[0] + off;
        const T fk = f[0], gk = g[0];
        for (std::size_t t = 0; t < (Full ? B : m); ++t) o[t] = fk * p[t] + gk * q[t];
    }
    for (std::size_t k = 1; k < F; ++k) {
        const T* __restrict p = s[k] + off;
        const T* __restrict q = r[k] + off;
        const T fk = f[k], gk = g[k];
        for (std::size_t t = 0; t < (Full ? B : m); ++t) o[t] += fk * p[t] + gk * q[t];
    }
    for (std::size_t t = 0; t < (Full ? B : m); ++t) o_out[t] = o[t];
}

/// fir_split over [0, n) in blocks.
template <class T>
void fir_split_range(const T* const* s, std::size_t F, const T* f, const T* g, std::size_t n, T* a, T* d) {
    constexpr std::size_t B = block<T>;
    std::size_t i = 0;
    for (; i + B <= n; i += B) fir_split<T, true>(s, F, f, g, std::ptrdiff_t(i), B, a + i, d + i);
    if (i < n) fir_split<T, false>(s, F, f, g, std::ptrdiff_t(i), n - i, a + i, d + i);
}

/// fir_merge over [0, n) in blocks.
template <class T>
void fir_merge_range(const T* const* s, const T* const* r, std::size_t F, const T* f, const T* g, std::size_t n,
                     T* o) {
    constexpr std::size_t B = block<T>;
    std::size_t i = 0;
    for (; i + B <= n; i += B) fir_merge<T, true>(s, r, F, f, g, std::ptrdiff_t(i), B, o + i);
    if (i < n) fir_merge<T, false>(s, r, F, f, g, std::ptrdiff_t(i), n - i, o + i);
}

// ---- decimated (DWT, periodization) ------------------------------------------

/// One analysis level along rows: for each of `h` rows of `w` (even) samples at
/// src + r·ss, writes the w/2 low-pass then the w/2 high-pass coefficients to dst + r·ds.
template <class T>
void dwt_rows(const T* src, std::size_t ss, T* dst, std::size_t ds, std::size_t h, std::size_t w, const T* lo,
              const T* hi, std::size_t F, T* scratch, std::size_t scratch_stride, std::size_t slots) {
    const std::ptrdiff_t half = std::ptrdiff_t(w / 2), n = std::ptrdiff_t(w);
    const std::ptrdiff_t c = std::ptrdiff_t(F / 2), P = c + 1;
    for_row_blocks(h, w, slots, [&](std::size_t r0, std::size_t r1, std::size_t slot) {
        T* even = scratch + slot * scratch_stride;  // even[P + m] = x[2m mod n]
        T* odd = even + half + 2 * P;               // odd[P + m]  = x[(2m+1) mod n]
        const T* in[max_wavelet_taps];
        for (std::size_t k = 0; k < F; ++k) {
            const std::ptrdiff_t d = c - std::ptrdiff_t(k);
            in[k] = ((d % 2 + 2) % 2 == 0 ? even : odd) + P + floor_half(d);
        }
        for (std::size_t r = r0; r < r1; ++r) {
            const T* __restrict x = src + r * ss;
            for (std::ptrdiff_t m = -P; m < 0; ++m) {
                even[P + m] = x[pmod(2 * m, n)];
                odd[P + m] = x[pmod(2 * m + 1, n)];
            }
            T* __restrict e = even + P;
            T* __restrict o = odd + P;
            for (std::ptrdiff_t m = 0; m < half; ++m) {
                e[m] = x[2 * m];
                o[m] = x[2 * m + 1];
            }
            for (std::ptrdiff_t m = half; m < half + P; ++m) {
                even[P + m] = x[pmod(2 * m, n)];
                odd[P + m] = x[pmod(2 * m + 1, n)];
            }
            T* out = dst + r * ds;
            fir_split_range(in, F, lo, hi, std::size_t(half), out, out + half);
        }
    });
}

/// The transpose (= inverse, for orthonormal filters) of dwt_rows: row r holds
/// w/2 low-pass coefficients at lo_src + r·ls and w/2 high-pass ones at
/// hi_src + r·hs; writes the w reconstructed samples to dst + r·ds.
template <class T>
void idwt_rows(const T* lo_src, std::size_t ls, const T* hi_src, std::size_t hs, T* dst, std::size_t ds,
               std::size_t h, std::size_t w, const T* lo, const T* hi, std::size_t F, T* scratch,
               std::size_t scratch_stride, std::size_t slots) {
    const std::ptrdiff_t half = std::ptrdiff_t(w / 2);
    const std::ptrdiff_t c = std::ptrdiff_t(F / 2), P = c + 1;
    constexpr std::size_t B = block<T>;
    for_row_blocks(h, w, slots, [&](std::size_t r0, std::size_t r1, std::size_t slot) {
        T* a = scratch + slot * scratch_stride;  // a[P + t] = lo[t mod half]
        T* d = a + half + 2 * P;                 // d[P + t] = hi[t mod half]
        // x[2m + parity_k] = Σ_k f[k]·a[m − off_k] + g[k]·d[m − off_k], off_k = ⌊(c−k)/2⌋:
        // taps of each parity form one merge over shifted copies of a and d
        const T* ea[max_wavelet_taps]; const T* ed[max_wavelet_taps];
        const T* oa[max_wavelet_taps]; const T* od[max_wavelet_taps];
        T ef[max_wavelet_taps], eg[max_wavelet_taps], of[max_wavelet_taps], og[max_wavelet_taps];
        std::size_t ne = 0, no = 0;
        for (std::size_t k = 0; k < F; ++k) {
            const std::ptrdiff_t dd = c - std::ptrdiff_t(k);
            const std::ptrdiff_t off = P - floor_half(dd);
            if ((dd % 2 + 2) % 2 == 0) {
                ea[ne] = a + off; ed[ne] = d + off; ef[ne] = lo[k]; eg[ne] = hi[k]; ++ne;
            } else {
                oa[no] = a + off; od[no] = d + off; of[no] = lo[k]; og[no] = hi[k]; ++no;
            }
        }
        for (std::size_t r = r0; r < r1; ++r) {
            const T* la = lo_src + r * ls;
            const T* ld = hi_src + r * hs;
            for (std::ptrdiff_t t = -P; t < 0; ++t) {
                a[P + t] = la[pmod(t, half)];
                d[P + t] = ld[pmod(t, half)];
            }
            std::copy(la, la + half, a + P);
            std::copy(ld, ld + half, d + P);
            for (std::ptrdiff_t t = half; t < half + P; ++t) {
                a[P + t] = la[pmod(t, half)];
                d[P + t] = ld[pmod(t, half)];
            }
            T* __restrict x = dst + r * ds;
            T xe[B], xo[B];
            for (std::ptrdiff_t m0 = 0; m0 < half; m0 += std::ptrdiff_t(B)) {
                const std::size_t len = std::min<std::size_t>(B, std::size_t(half - m0));
                if (len == B) {
                    fir_merge<T, true>(ea, ed, ne, ef, eg, m0, B, xe);
                    fir_merge<T, true>(oa, od, no, of, og, m0, B, xo);
                    for (std::size_t t = 0; t < B; ++t) {
                        x[2 * m0 + 2 * std::ptrdiff_t(t)] = xe[t];
                        x[2 * m0 + 2 * std::ptrdiff_t(t) + 1] = xo[t];
                    }
                } else {
                    fir_merge<T, false>(ea, ed, ne, ef, eg, m0, len, xe);
                    fir_merge<T, false>(oa, od, no, of, og, m0, len, xo);
                    for (std::size_t t = 0; t < len; ++t) {
                        x[2 * m0 + 2 * std::ptrdiff_t(t)] = xe[t];
                        x[2 * m0 + 2 * std::ptrdiff_t(t) + 1] = xo[t];
                    }
                }
            }
        }
    });
}

/// One analysis level along columns of an h×w block (h even): low-pass rows go to
/// dst rows [0, h/2), high-pass rows to dst rows [h/2, h). src and dst must not overlap.
template <class T>
void dwt_cols(const T* src, std::size_t ss, T* dst, std::size_t ds, std::size_t h, std::size_t w, const T* lo,
              const T* hi, std::size_t F) {
    const std::ptrdiff_t half = std::ptrdiff_t(h / 2), n = std::ptrdiff_t(h), c = std::ptrdiff_t(F / 2);
    parallel_for(0, half, [=](std::ptrdiff_t i) {
        const T* in[max_wavelet_taps];
        for (std::size_t k = 0; k < F; ++k) in[k] = src + std::size_t(pmod(2 * i + c - std::ptrdiff_t(k), n)) * ss;
        fir_split_range(in, F, lo, hi, w, dst + std::size_t(i) * ds, dst + std::size_t(half + i) * ds);
    }, column_grain(std::size_t(half), h, w));
}

/// The transpose of dwt_cols: low-pass row i of the block at lo_src + i·ls,
/// high-pass row i at hi_src + i·hs (i < h/2); writes the h rows to dst.
template <class T>
void idwt_cols(const T* lo_src, std::size_t ls, const T* hi_src, std::size_t hs, T* dst, std::size_t ds,
               std::size_t h, std::size_t w, const T* lo, const T* hi, std::size_t F) {
    const std::ptrdiff_t half = std::ptrdiff_t(h / 2), c = std::ptrdiff_t(F / 2);
    parallel_for(0, std::ptrdiff_t(h), [=](std::ptrdiff_t nn) {
        // x[n] = Σ_{k: n−c+k even} f[k]·lo[(n−c+k)/2 mod h/2] + g[k]·hi[(n−c+k)/2 mod h/2]
        const T* pa[max_wavelet_taps]; const T* pd[max_wavelet_taps];
        T f[max_wavelet_taps], g[max_wavelet_taps];
        std::size_t nk = 0;
        for (std::size_t k = 0; k < F; ++k) {
            const std::ptrdiff_t e = nn - c + std::ptrdiff_t(k);
            if (e % 2 != 0) continue;
            const std::size_t i = std::size_t(pmod(e / 2, half));
            pa[nk] = lo_src + i * ls;
            pd[nk] = hi_src + i * hs;
            f[nk] = lo[k];
            g[nk] = hi[k];
            ++nk;
        }
        fir_merge_range(pa, pd, nk, f, g, w, dst + std::size_t(nn) * ds);
    }, column_grain(h, h, w));
}

// ---- undecimated (à trous, periodic) -------------------------------------------

/// Periodic filtering along rows with two filters sharing one padded copy of each row:
/// out1[m] = Σ_k t1[k]·x[(m + shift − k·step) mod w], out2 likewise with t2.
template <class T>
void atrous_rows_split(const T* src, std::size_t ss, T* out1, std::size_t s1, T* out2, std::size_t s2, std::size_t h,
                       std::size_t w, const T* t1, const T* t2, std::size_t F, std::ptrdiff_t shift, std::size_t step,
                       T* scratch, std::size_t scratch_stride, std::size_t slots) {
    const std::ptrdiff_t n = std::ptrdiff_t(w);
    const std::ptrdiff_t L = std::max<std::ptrdiff_t>(0, std::ptrdiff_t((F - 1) * step) - shift);
    const std::ptrdiff_t R = std::max<std::ptrdiff_t>(0, shift) + 1;
    for_row_blocks(h, w, slots, [&](std::size_t r0, std::size_t r1, std::size_t slot) {
        T* ext = scratch + slot * scratch_stride;  // ext[L + t] = x[t mod w]
        const T* in[max_wavelet_taps];
        for (std::size_t k = 0; k < F; ++k) in[k] = ext + L + shift - std::ptrdiff_t(k * step);
        for (std::size_t r = r0; r < r1; ++r) {
            const T* x = src + r * ss;
            for (std::ptrdiff_t t = -L; t < 0; ++t) ext[L + t] = x[pmod(t, n)];
            std::copy(x, x + w, ext + L);
            for (std::ptrdiff_t t = n; t < n + R; ++t) ext[L + t] = x[pmod(t, n)];
            fir_split_range(in, F, t1, t2, w, out1 + r * s1, out2 + r * s2);
        }
    });
}

/// Periodic filtering along rows of two inputs, summed:
/// out[m] = Σ_k t1[k]·x1[(m + shift − k·step) mod w] + t2[k]·x2[(m + shift − k·step) mod w].
template <class T>
void atrous_rows_merge(const T* src1, std::size_t s1, const T* src2, std::size_t s2, T* out, std::size_t os,
                       std::size_t h, std::size_t w, const T* t1, const T* t2, std::size_t F, std::ptrdiff_t shift,
                       std::size_t step, T* scratch, std::size_t scratch_stride, std::size_t slots) {
    const std::ptrdiff_t n = std::ptrdiff_t(w);
    const std::ptrdiff_t L = std::max<std::ptrdiff_t>(0, std::ptrdiff_t((F - 1) * step) - shift);
    const std::ptrdiff_t R = std::max<std::ptrdiff_t>(0, shift) + 1;
    const std::ptrdiff_t len_ext = n + L + R;
    for_row_blocks(h, w, slots, [&](std::size_t r0, std::size_t r1, std::size_t slot) {
        T* e1 = scratch + slot * scratch_stride;
        T* e2 = e1 + len_ext;
        const T* in1[max_wavelet_taps]; const T* in2[max_wavelet_taps];
        for (std::size_t k = 0; k < F; ++k) {
            const std::ptrdiff_t off = L + shift - std::ptrdiff_t(k * step);
            in1[k] = e1 + off;
            in2[k] = e2 + off;
        }
        for (std::size_t r = r0; r < r1; ++r) {
            const T* x1 = src1 + r * s1;
            const T* x2 = src2 + r * s2;
            for (std::ptrdiff_t t = -L; t < 0; ++t) {
                e1[L + t] = x1[pmod(t, n)];
                e2[L + t] = x2[pmod(t, n)];
            }
            std::copy(x1, x1 + w, e1 + L);
            std::copy(x2, x2 + w, e2 + L);
            for (std::ptrdiff_t t = n; t < n + R; ++t) {
                e1[L + t] = x1[pmod(t, n)];
                e2[L + t] = x2[pmod(t, n)];
            }
            fir_merge_range(in1, in2, F, t1, t2, w, out + r * os);
        }
    });
}

/// Periodic filtering along columns with two filters:
/// row m of out1 = Σ_k t1[k]·(row (m + shift − k·step) mod h of src), out2 likewise.
template <class T>
void atrous_cols_split(const T* src, std::size_t ss, T* out1, std::size_t s1, T* out2, std::size_t s2, std::size_t h,
                       std::size_t w, const T* t1, const T* t2, std::size_t F, std::ptrdiff_t shift,
                       std::size_t step) {
    const std::ptrdiff_t n = std::ptrdiff_t(h);
    parallel_for(0, n, [=](std::ptrdiff_t m) {
        const T* in[max_wavelet_taps];
        for (std::size_t k = 0; k < F; ++k) in[k] = src + std::size_t(pmod(m + shift - std::ptrdiff_t(k * step), n)) * ss;
        fir_split_range(in, F, t1, t2, w, out1 + std::size_t(m) * s1, out2 + std::size_t(m) * s2);
    }, column_grain(h, h, w));
}

/// Periodic filtering along columns of two inputs, summed:
/// row m of out = Σ_k t1[k]·row((m + shift − k·step) mod h) of src1 + t2[k]·(same row of src2).
template <class T>
void atrous_cols_merge(const T* src1, std::size_t s1, const T* src2, std::size_t s2, T* out, std::size_t os,
                       std::size_t h, std::size_t w, const T* t1, const T* t2, std::size_t F, std::ptrdiff_t shift,
                       std::size_t step) {
    const std::ptrdiff_t n = std::ptrdiff_t(h);
    parallel_for(0, n, [=](std::ptrdiff_t m) {
        const T* in1[max_wavelet_taps]; const T* in2[max_wavelet_taps];
        for (std::size_t k = 0; k < F; ++k) {
            const std::size_t row = std::size_t(pmod(m + shift - std::ptrdiff_t(k * step), n));
            in1[k] = src1 + row * s1;
            in2[k] = src2 + row * s2;
        }
        fir_merge_range(in1, in2, F, t1, t2, w, out + std::size_t(m) * os);
    }, column_grain(h, h, w));
}

}  // namespace lucid::detail::wavelet
