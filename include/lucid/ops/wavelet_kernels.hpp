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
/// in register blocks of four SIMD vectors (SIMD over outputs, taps in the
/// inner loop; an AVX2+FMA copy is selected at run time), so nothing is stored
/// until a block is complete. Rows are first copied into a periodically padded
/// (for the DWT de-interleaved) scratch row. A DWT level fuses its row and
/// column passes through ring buffers of row-transformed rows, so it reads its
/// input and writes its output once. Column filters read F rows at a time from
/// scratch with a padded row stride (`padded_stride`), so that the F streams do
/// not alias in the cache when W is a power of two. Scratch is one slot per
/// parallel block, allocated by the operator; nothing here allocates.

#include <algorithm>
#include <cstddef>

#include "lucid/core/cpu_features.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/threading.hpp"

namespace lucid::detail::wavelet {

/// Most taps a filter may have (coif5 has 30).
inline constexpr std::size_t max_wavelet_taps = 64;


#define LUCID_WAVELET_AVX2_DISPATCH LUCID_HAS_AVX2_DISPATCH
using lucid::detail::cpu_has_avx2_fma;  // AVX2+FMA block loops are selected at run time

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
//
// Written with GCC/Clang vector extensions so that the accumulators stay in
// registers: 4 vectors of VB bytes per output set (VB = 16: SSE2 baseline,
// VB = 32: the AVX2+FMA copy, VB = 64: the AVX-512 copy), taps in the inner
// loop. Tails use scalar loops.

/// For t < 4·VB/sizeof(T): a[t] = Σ_k f[k]·s_k[off + t], d[t] = Σ_k g[k]·s_k[off + t].
template <class T, std::size_t VB>
[[gnu::always_inline]] inline void fir_split_block(const T* const* s, std::size_t F, const T* f, const T* g,
                                                   std::ptrdiff_t off, T* a_out, T* d_out) {
    typedef T V __attribute__((vector_size(VB)));
    typedef T U __attribute__((vector_size(VB), aligned(sizeof(T)), __may_alias__));  // unaligned access
    constexpr std::size_t L = VB / sizeof(T);
    const T* p = s[0] + off;
    V x0 = *reinterpret_cast<const U*>(p), x1 = *reinterpret_cast<const U*>(p + L);
    V x2 = *reinterpret_cast<const U*>(p + 2 * L), x3 = *reinterpret_cast<const U*>(p + 3 * L);
    const V f0 = V{} + f[0], g0 = V{} + g[0];
    V a0 = f0 * x0, a1 = f0 * x1, a2 = f0 * x2, a3 = f0 * x3;
    V d0 = g0 * x0, d1 = g0 * x1, d2 = g0 * x2, d3 = g0 * x3;
    for (std::size_t k = 1; k < F; ++k) {
        p = s[k] + off;
        x0 = *reinterpret_cast<const U*>(p);
        x1 = *reinterpret_cast<const U*>(p + L);
        x2 = *reinterpret_cast<const U*>(p + 2 * L);
        x3 = *reinterpret_cast<const U*>(p + 3 * L);
        const V fk = V{} + f[k], gk = V{} + g[k];
        a0 += fk * x0; a1 += fk * x1; a2 += fk * x2; a3 += fk * x3;
        d0 += gk * x0; d1 += gk * x1; d2 += gk * x2; d3 += gk * x3;
    }
    *reinterpret_cast<U*>(a_out) = a0;
    *reinterpret_cast<U*>(a_out + L) = a1;
    *reinterpret_cast<U*>(a_out + 2 * L) = a2;
    *reinterpret_cast<U*>(a_out + 3 * L) = a3;
    *reinterpret_cast<U*>(d_out) = d0;
    *reinterpret_cast<U*>(d_out + L) = d1;
    *reinterpret_cast<U*>(d_out + 2 * L) = d2;
    *reinterpret_cast<U*>(d_out + 3 * L) = d3;
}

/// For t < 4·VB/sizeof(T): o[t] = Σ_k f[k]·s_k[off + t] + Σ_k g[k]·r_k[off + t].
template <class T, std::size_t VB>
[[gnu::always_inline]] inline void fir_merge_block(const T* const* s, const T* const* r, std::size_t F, const T* f,
                                                   const T* g, std::ptrdiff_t off, T* o_out) {
    typedef T V __attribute__((vector_size(VB)));
    typedef T U __attribute__((vector_size(VB), aligned(sizeof(T)), __may_alias__));  // unaligned access
    constexpr std::size_t L = VB / sizeof(T);
    V a0{}, a1{}, a2{}, a3{}, b0{}, b1{}, b2{}, b3{};
    for (std::size_t k = 0; k < F; ++k) {
        const T* p = s[k] + off;
        const T* q = r[k] + off;
        const V fk = V{} + f[k], gk = V{} + g[k];
        a0 += fk * V(*reinterpret_cast<const U*>(p));
        a1 += fk * V(*reinterpret_cast<const U*>(p + L));
        a2 += fk * V(*reinterpret_cast<const U*>(p + 2 * L));
        a3 += fk * V(*reinterpret_cast<const U*>(p + 3 * L));
        b0 += gk * V(*reinterpret_cast<const U*>(q));
        b1 += gk * V(*reinterpret_cast<const U*>(q + L));
        b2 += gk * V(*reinterpret_cast<const U*>(q + 2 * L));
        b3 += gk * V(*reinterpret_cast<const U*>(q + 3 * L));
    }
    *reinterpret_cast<U*>(o_out) = a0 + b0;
    *reinterpret_cast<U*>(o_out + L) = a1 + b1;
    *reinterpret_cast<U*>(o_out + 2 * L) = a2 + b2;
    *reinterpret_cast<U*>(o_out + 3 * L) = a3 + b3;
}

/// fir_split_block over whole blocks from i while they fit in [0, n); returns where they end.
template <class T, std::size_t VB>
[[gnu::always_inline]] inline std::size_t fir_split_whole(const T* const* s, std::size_t F, const T* f, const T* g,
                                                          std::size_t i, std::size_t n, T* a, T* d) {
    constexpr std::size_t B = 4 * VB / sizeof(T);
    for (; i + B <= n; i += B) fir_split_block<T, VB>(s, F, f, g, std::ptrdiff_t(i), a + i, d + i);
    return i;
}

template <class T, std::size_t VB>
[[gnu::always_inline]] inline void fir_split_blocks(const T* const* s, std::size_t F, const T* f, const T* g,
                                                    std::size_t n, T* a, T* d, std::size_t i = 0) {
    i = fir_split_whole<T, VB>(s, F, f, g, i, n, a, d);
    for (; i < n; ++i) {
        T sa = T(0), sd = T(0);
        for (std::size_t k = 0; k < F; ++k) {
            const T v = s[k][i];
            sa += f[k] * v;
            sd += g[k] * v;
        }
        a[i] = sa;
        d[i] = sd;
    }
}

/// fir_merge_block over whole blocks from i while they fit in [0, n); returns where they end.
template <class T, std::size_t VB>
[[gnu::always_inline]] inline std::size_t fir_merge_whole(const T* const* s, const T* const* r, std::size_t F,
                                                          const T* f, const T* g, std::size_t i, std::size_t n, T* o) {
    constexpr std::size_t B = 4 * VB / sizeof(T);
    for (; i + B <= n; i += B) fir_merge_block<T, VB>(s, r, F, f, g, std::ptrdiff_t(i), o + i);
    return i;
}

template <class T, std::size_t VB>
[[gnu::always_inline]] inline void fir_merge_blocks(const T* const* s, const T* const* r, std::size_t F, const T* f,
                                                    const T* g, std::size_t n, T* o, std::size_t i = 0) {
    i = fir_merge_whole<T, VB>(s, r, F, f, g, i, n, o);
    for (; i < n; ++i) {
        T sa = T(0), sb = T(0);
        for (std::size_t k = 0; k < F; ++k) {
            sa += f[k] * s[k][i];
            sb += g[k] * r[k][i];
        }
        o[i] = sa + sb;
    }
}

#if LUCID_WAVELET_AVX2_DISPATCH
// The same loops compiled for AVX2+FMA (32-byte vectors).
template <class T>
__attribute__((target("avx2,fma"))) void fir_split_avx2(const T* const* s, std::size_t F, const T* f, const T* g,
                                                         std::size_t n, T* a, T* d) {
    fir_split_blocks<T, 32>(s, F, f, g, n, a, d);
}
template <class T>
__attribute__((target("avx2,fma"))) void fir_merge_avx2(const T* const* s, const T* const* r, std::size_t F,
                                                         const T* f, const T* g, std::size_t n, T* o) {
    fir_merge_blocks<T, 32>(s, r, F, f, g, n, o);
}
// And for AVX-512 (64-byte vectors), finishing rows too short for a 64-byte
// block with 32-byte blocks (the coarse levels' rows are short).
template <class T>
__attribute__((target("avx512f,avx2,fma"))) void fir_split_avx512(const T* const* s, std::size_t F, const T* f,
                                                                  const T* g, std::size_t n, T* a, T* d) {
    fir_split_blocks<T, 32>(s, F, f, g, n, a, d, fir_split_whole<T, 64>(s, F, f, g, 0, n, a, d));
}
template <class T>
__attribute__((target("avx512f,avx2,fma"))) void fir_merge_avx512(const T* const* s, const T* const* r, std::size_t F,
                                                                  const T* f, const T* g, std::size_t n, T* o) {
    fir_merge_blocks<T, 32>(s, r, F, f, g, n, o, fir_merge_whole<T, 64>(s, r, F, f, g, 0, n, o));
}
#endif

/// fir_split over [0, n) in blocks (AVX-512 or AVX2+FMA when the CPU has it).
template <class T>
void fir_split_range(const T* const* s, std::size_t F, const T* f, const T* g, std::size_t n, T* a, T* d) {
#if LUCID_WAVELET_AVX2_DISPATCH
    if (use_avx512()) return fir_split_avx512(s, F, f, g, n, a, d);
    if (use_avx2()) return fir_split_avx2(s, F, f, g, n, a, d);
#endif
    fir_split_blocks<T, 16>(s, F, f, g, n, a, d);
}

/// fir_merge over [0, n) in blocks (AVX-512 or AVX2+FMA when the CPU has it).
template <class T>
void fir_merge_range(const T* const* s, const T* const* r, std::size_t F, const T* f, const T* g, std::size_t n,
                     T* o) {
#if LUCID_WAVELET_AVX2_DISPATCH
    if (use_avx512()) return fir_merge_avx512(s, r, F, f, g, n, o);
    if (use_avx2()) return fir_merge_avx2(s, r, F, f, g, n, o);
#endif
    fir_merge_blocks<T, 16>(s, r, F, f, g, n, o);
}

// ---- decimated (DWT, periodization) ------------------------------------------
//
// A 2-D level runs rows and columns in one sweep: the row-transformed rows live
// in a small ring buffer (F rows for the analysis, F/2 + 2 low-pass and
// high-pass rows for the synthesis) that stays in cache, and each output row is
// produced as soon as the rows it needs are in the ring. Each level thus reads
// its input once and writes its output once.

/// The one-row analysis (w even): lo[i] = Σ_k f[k]·x[(2i + c − k) mod w] and hi likewise,
/// through a periodically padded, de-interleaved copy of the row (w + 4(c+1) scratch).
template <class T>
class RowAnalysis {
public:
    RowAnalysis(std::size_t w, const T* lo, const T* hi, std::size_t F, T* scratch)
        : half_(std::ptrdiff_t(w / 2)), n_(std::ptrdiff_t(w)), P_(std::ptrdiff_t(F / 2) + 1), F_(F), lo_(lo), hi_(hi) {
        even_ = scratch;              // even[P + m] = x[2m mod w]
        odd_ = even_ + half_ + 2 * P_;  // odd[P + m]  = x[(2m+1) mod w]
        const std::ptrdiff_t c = std::ptrdiff_t(F / 2);
        for (std::size_t k = 0; k < F; ++k) {
            const std::ptrdiff_t d = c - std::ptrdiff_t(k);
            in_[k] = ((d % 2 + 2) % 2 == 0 ? even_ : odd_) + P_ + floor_half(d);
        }
    }
    static std::size_t scratch_size(std::size_t w, std::size_t F) { return w + 4 * (F / 2 + 1) + 8; }

    /// out_lo[0, w/2) and out_hi[0, w/2) from the w samples at x.
    void operator()(const T* __restrict x, T* out_lo, T* out_hi) const {
        const std::ptrdiff_t half = half_, n = n_, P = P_;
        for (std::ptrdiff_t m = -P; m < 0; ++m) {
            even_[P + m] = x[pmod(2 * m, n)];
            odd_[P + m] = x[pmod(2 * m + 1, n)];
        }
        T* __restrict e = even_ + P;
        T* __restrict o = odd_ + P;
        for (std::ptrdiff_t m = 0; m < half; ++m) {
            e[m] = x[2 * m];
            o[m] = x[2 * m + 1];
        }
        for (std::ptrdiff_t m = half; m < half + P; ++m) {
            even_[P + m] = x[pmod(2 * m, n)];
            odd_[P + m] = x[pmod(2 * m + 1, n)];
        }
        fir_split_range(in_, F_, lo_, hi_, std::size_t(half), out_lo, out_hi);
    }

private:
    std::ptrdiff_t half_, n_, P_;
    std::size_t F_;
    const T* lo_;
    const T* hi_;
    T* even_;
    T* odd_;
    const T* in_[max_wavelet_taps];
};

/// The one-row synthesis, the exact transpose of RowAnalysis:
/// x[(2i + c − k) mod w] += f[k]·lo[i] + g[k]·hi[i], evaluated as two merges
/// (even and odd outputs) over padded copies of lo and hi (2w + 4(c+1) scratch).
template <class T>
class RowSynthesis {
public:
    RowSynthesis(std::size_t w, const T* lo, const T* hi, std::size_t F, T* scratch)
        : half_(std::ptrdiff_t(w / 2)), P_(std::ptrdiff_t(F / 2) + 1) {
        a_ = scratch;            // a[P + t] = lo[t mod w/2]
        d_ = a_ + half_ + 2 * P_;  // d[P + t] = hi[t mod w/2]
        xe_ = d_ + half_ + 2 * P_;
        xo_ = xe_ + half_;
        // x[2m + parity_k] = Σ_k f[k]·a[m − off_k] + g[k]·d[m − off_k], off_k = ⌊(c−k)/2⌋
        const std::ptrdiff_t c = std::ptrdiff_t(F / 2);
        for (std::size_t k = 0; k < F; ++k) {
            const std::ptrdiff_t dd = c - std::ptrdiff_t(k);
            const std::ptrdiff_t off = P_ - floor_half(dd);
            if ((dd % 2 + 2) % 2 == 0) {
                ea_[ne_] = a_ + off; ed_[ne_] = d_ + off; ef_[ne_] = lo[k]; eg_[ne_] = hi[k]; ++ne_;
            } else {
                oa_[no_] = a_ + off; od_[no_] = d_ + off; of_[no_] = lo[k]; og_[no_] = hi[k]; ++no_;
            }
        }
    }
    static std::size_t scratch_size(std::size_t w, std::size_t F) { return 2 * w + 4 * (F / 2 + 1) + 8; }

    /// The w samples x from w/2 low-pass coefficients la and w/2 high-pass ones ld.
    void operator()(const T* la, const T* ld, T* __restrict x) const {
        const std::ptrdiff_t half = half_, P = P_;
        for (std::ptrdiff_t t = -P; t < 0; ++t) {
            a_[P + t] = la[pmod(t, half)];
            d_[P + t] = ld[pmod(t, half)];
        }
        std::copy(la, la + half, a_ + P);
        std::copy(ld, ld + half, d_ + P);
        for (std::ptrdiff_t t = half; t < half + P; ++t) {
            a_[P + t] = la[pmod(t, half)];
            d_[P + t] = ld[pmod(t, half)];
        }
        fir_merge_range(ea_, ed_, ne_, ef_, eg_, std::size_t(half), xe_);
        fir_merge_range(oa_, od_, no_, of_, og_, std::size_t(half), xo_);
        const T* __restrict xe = xe_;
        const T* __restrict xo = xo_;
        for (std::ptrdiff_t m = 0; m < half; ++m) {
            x[2 * m] = xe[m];
            x[2 * m + 1] = xo[m];
        }
    }

private:
    std::ptrdiff_t half_, P_;
    T *a_, *d_, *xe_, *xo_;
    const T* ea_[max_wavelet_taps]; const T* ed_[max_wavelet_taps];
    const T* oa_[max_wavelet_taps]; const T* od_[max_wavelet_taps];
    T ef_[max_wavelet_taps], eg_[max_wavelet_taps], of_[max_wavelet_taps], og_[max_wavelet_taps];
    std::size_t ne_ = 0, no_ = 0;
};

/// Scratch elements one parallel block of dwt2_level / idwt2_level needs for blocks
/// up to w wide and F taps.
template <class T>
std::size_t dwt2_scratch_size(std::size_t w, std::size_t F) {
    const std::size_t bs = padded_stride<T>(w);
    const std::size_t analysis = F * bs + RowAnalysis<T>::scratch_size(w, F);
    const std::size_t synthesis = 2 * (F / 2 + 2) * bs + RowSynthesis<T>::scratch_size(w, F);
    return std::max(analysis, synthesis) + 64;
}

/// One 2-D analysis level of an h×w block (h, w even) read from src (row stride ss):
/// the low-low quarter goes to ll (stride ls), the three detail quarters to their
/// places in the pyramid y (stride ys, at the block's origin): cV = y[0:h/2, w/2:w],
/// cH = y[h/2:h, 0:w/2], cD = y[h/2:h, w/2:w]. src must not overlap ll or y.
template <class T>
void dwt2_level(const T* src, std::size_t ss, T* ll, std::size_t ls, T* y, std::size_t ys, std::size_t h,
                std::size_t w, const T* lo, const T* hi, std::size_t F, T* scratch, std::size_t scratch_stride,
                std::size_t slots) {
    const std::size_t h2 = h / 2, w2 = w / 2, bs = padded_stride<T>(w);
    const std::ptrdiff_t c = std::ptrdiff_t(F / 2), R = std::ptrdiff_t(F), nh = std::ptrdiff_t(h);
    for_row_blocks(h2, 2 * w, slots, [&](std::size_t i0, std::size_t i1, std::size_t slot) {
        T* ring = scratch + slot * scratch_stride;  // row-transformed row t lives in ring row t mod F
        const RowAnalysis<T> rows(w, lo, hi, F, ring + std::size_t(R) * bs);
        auto ring_row = [&](std::ptrdiff_t t) { return ring + std::size_t(pmod(t, R)) * bs; };
        std::ptrdiff_t next = 2 * std::ptrdiff_t(i0) + c - std::ptrdiff_t(F) + 1;  // next row to transform
        const T* left[max_wavelet_taps];
        const T* right[max_wavelet_taps];
        for (std::size_t i = i0; i < i1; ++i) {
            // output row i needs the row-transformed rows 2i + c − k, k < F
            for (const std::ptrdiff_t last = 2 * std::ptrdiff_t(i) + c; next <= last; ++next) {
                T* r = ring_row(next);
                rows(src + std::size_t(pmod(next, nh)) * ss, r, r + w2);
            }
            for (std::size_t k = 0; k < F; ++k) {
                left[k] = ring_row(2 * std::ptrdiff_t(i) + c - std::ptrdiff_t(k));
                right[k] = left[k] + w2;
            }
            T* top = y + i * ys;
            T* bottom = y + (h2 + i) * ys;
            fir_split_range(left, F, lo, hi, w2, ll + i * ls, bottom);        // cA, cH
            fir_split_range(right, F, lo, hi, w2, top + w2, bottom + w2);     // cV, cD
        }
    });
}

/// One 2-D synthesis level, the exact transpose of dwt2_level: rebuilds the h×w
/// block into dst (stride ds) from cA at approx (stride as) and the detail quarters
/// of the pyramid y (stride ys, at the block's origin). dst must not overlap the inputs.
template <class T>
void idwt2_level(const T* approx, std::size_t as, const T* y, std::size_t ys, T* dst, std::size_t ds,
                 std::size_t h, std::size_t w, const T* lo, const T* hi, std::size_t F, T* scratch,
                 std::size_t scratch_stride, std::size_t slots) {
    const std::size_t h2 = h / 2, w2 = w / 2, bs = padded_stride<T>(w);
    const std::ptrdiff_t c = std::ptrdiff_t(F / 2), R = std::ptrdiff_t(F / 2 + 2), nh2 = std::ptrdiff_t(h2);
    for_row_blocks(h, w, slots, [&](std::size_t n0, std::size_t n1, std::size_t slot) {
        // row-synthesized low-pass (from [cA | cV]) and high-pass (from [cH | cD]) rows u in ring row u mod R
        T* ring_lo = scratch + slot * scratch_stride;
        T* ring_hi = ring_lo + std::size_t(R) * bs;
        const RowSynthesis<T> rows(w, lo, hi, F, ring_hi + std::size_t(R) * bs);
        std::ptrdiff_t next = floor_half(std::ptrdiff_t(n0) - c);
        const T* pa[max_wavelet_taps];
        const T* pd[max_wavelet_taps];
        T f[max_wavelet_taps], g[max_wavelet_taps];
        for (std::size_t n = n0; n < n1; ++n) {
            // x[n] = Σ_{k: n−c+k even} f[k]·L[(n−c+k)/2] + g[k]·H[(n−c+k)/2]  (row indices mod h/2)
            const std::ptrdiff_t e0 = std::ptrdiff_t(n) - c;
            for (const std::ptrdiff_t last = floor_half(e0 + std::ptrdiff_t(F) - 1); next <= last; ++next) {
                const std::size_t i = std::size_t(pmod(next, nh2));
                const std::size_t slot_row = std::size_t(pmod(next, R)) * bs;
                rows(approx + i * as, y + i * ys + w2, ring_lo + slot_row);
                rows(y + (h2 + i) * ys, y + (h2 + i) * ys + w2, ring_hi + slot_row);
            }
            std::size_t nk = 0;
            for (std::size_t k = 0; k < F; ++k) {
                const std::ptrdiff_t e = e0 + std::ptrdiff_t(k);
                if (e % 2 != 0) continue;
                const std::size_t slot_row = std::size_t(pmod(e / 2, R)) * bs;
                pa[nk] = ring_lo + slot_row;
                pd[nk] = ring_hi + slot_row;
                f[nk] = lo[k];
                g[nk] = hi[k];
                ++nk;
            }
            fir_merge_range(pa, pd, nk, f, g, w, dst + n * ds);
        }
    });
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
