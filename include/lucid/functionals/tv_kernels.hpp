#pragma once
/// \file tv_kernels.hpp
/// Private: the row pipeline shared by every FGP pass of TotalVariation, and
/// the isotropic row kernels (x row, dual update, duality gap) compiled for
/// AVX2+FMA and selected at run time on x86-64 CPUs that have it (GCC/Clang
/// `target` attribute; the rest of lucid keeps the baseline instruction set).
/// The portable xsimd rows in total_variation.hpp are the reference; both
/// compute the same formulas in the same order per element (FMA contraction aside).

#include <cmath>
#include <cstddef>

#include "lucid/core/cpu_features.hpp"

#if LUCID_HAS_AVX2_DISPATCH
#define LUCID_TV_AVX2_DISPATCH 1
#include <immintrin.h>
#else
#define LUCID_TV_AVX2_DISPATCH 0
#endif

namespace lucid::detail::tv {

/// The row pipeline of every FGP pass over one plane: x = v + μ div d formed one
/// row ahead by `xrow` (FgpSolver::x_row or x_row_avx2) into the two-row ring
/// xa/xb, then body(i, xc, xn) with x rows i and i+1 (xn = xc on the last row,
/// where ∂y = 0). Rows i and i+1 of d are read before body(i, …), which may
/// overwrite row i of d.
template <class T, class XRow, class Body>
void x_row_pipeline(const T* v, const T* d0, const T* d1, const T* zero, T mu, T* xa, T* xb, std::size_t h,
                    std::size_t w, XRow xrow, Body&& body) {
    xrow(v, d0, d1, zero, mu, xa, w);
    for (std::size_t i = 0; i < h; ++i) {
        T* xc = (i % 2 == 0) ? xa : xb;
        T* xn = (i % 2 == 0) ? xb : xa;
        const std::size_t o = i * w;
        if (i + 1 < h) xrow(v + o + w, d0 + o + w, d1 + o + w, d1 + o, mu, xn, w);
        else xn = xc;
        body(i, static_cast<const T*>(xc), static_cast<const T*>(xn));
    }
}

#if LUCID_TV_AVX2_DISPATCH

#define LUCID_AVX2 __attribute__((target("avx2,fma")))


struct Avx2Double {
    using T = double;
    using V = __m256d;
    static constexpr std::size_t L = 4;
    LUCID_AVX2 static V load(const T* p) { return _mm256_loadu_pd(p); }
    LUCID_AVX2 static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
    LUCID_AVX2 static V set1(T a) { return _mm256_set1_pd(a); }
    LUCID_AVX2 static V add(V a, V b) { return _mm256_add_pd(a, b); }
    LUCID_AVX2 static V sub(V a, V b) { return _mm256_sub_pd(a, b); }
    LUCID_AVX2 static V mul(V a, V b) { return _mm256_mul_pd(a, b); }
    LUCID_AVX2 static V div(V a, V b) { return _mm256_div_pd(a, b); }
    LUCID_AVX2 static V sqrt(V a) { return _mm256_sqrt_pd(a); }
    LUCID_AVX2 static V max(V a, V b) { return _mm256_max_pd(a, b); }
    LUCID_AVX2 static V min(V a, V b) { return _mm256_min_pd(a, b); }
    LUCID_AVX2 static V abs(V a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
    /// a > b ? c : d, lane by lane.
    LUCID_AVX2 static V select_gt(V a, V b, V c, V d) { return _mm256_blendv_pd(d, c, _mm256_cmp_pd(a, b, _CMP_GT_OQ)); }
    /// Σ lanes, in double.
    LUCID_AVX2 static double sum(V a) {
        const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
        return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
    }
};

struct Avx2Float {
    using T = float;
    using V = __m256;
    static constexpr std::size_t L = 8;
    LUCID_AVX2 static V load(const T* p) { return _mm256_loadu_ps(p); }
    LUCID_AVX2 static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
    LUCID_AVX2 static V set1(T a) { return _mm256_set1_ps(a); }
    LUCID_AVX2 static V add(V a, V b) { return _mm256_add_ps(a, b); }
    LUCID_AVX2 static V sub(V a, V b) { return _mm256_sub_ps(a, b); }
    LUCID_AVX2 static V mul(V a, V b) { return _mm256_mul_ps(a, b); }
    LUCID_AVX2 static V div(V a, V b) { return _mm256_div_ps(a, b); }
    LUCID_AVX2 static V sqrt(V a) { return _mm256_sqrt_ps(a); }
    LUCID_AVX2 static V max(V a, V b) { return _mm256_max_ps(a, b); }
    LUCID_AVX2 static V min(V a, V b) { return _mm256_min_ps(a, b); }
    LUCID_AVX2 static V abs(V a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
    /// a > b ? c : d, lane by lane.
    LUCID_AVX2 static V select_gt(V a, V b, V c, V d) { return _mm256_blendv_ps(d, c, _mm256_cmp_ps(a, b, _CMP_GT_OQ)); }
    /// Σ lanes, in double (the eight floats widened first).
    LUCID_AVX2 static double sum(V a) {
        return Avx2Double::sum(_mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)),
                                             _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1))));
    }
};

template <class T>
struct avx2_ops;
template <>
struct avx2_ops<double> { using type = Avx2Double; };
template <>
struct avx2_ops<float> { using type = Avx2Float; };

/// x = v + μ(a − a[·−1] + b − bprev) for one row (auto-vectorized with AVX2).
template <class T>
LUCID_AVX2 inline void x_row_avx2(const T* __restrict v, const T* __restrict a, const T* __restrict b,
                                  const T* __restrict bprev, T mu, T* __restrict x, std::size_t w) {
    x[0] = v[0] + mu * (a[0] + b[0] - bprev[0]);
    for (std::size_t j = 1; j < w; ++j) x[j] = v[j] + mu * ((a[j] - a[j - 1]) + (b[j] - bprev[j]));
}

/// One isotropic FGP row update (see FgpSolver::update_row), 256-bit vectors.
/// First: r = p on entry, so r is read from p.
template <class T, bool First>
LUCID_AVX2 inline void update_row_iso_avx2(const T* __restrict xc, const T* __restrict xn, T* __restrict p0,
                                           T* __restrict p1, T* __restrict r0, T* __restrict r1, T s, T beta,
                                           std::size_t w) {
    using O = typename avx2_ops<T>::type;
    using V = typename O::V;
    constexpr std::size_t L = O::L;
    const V one = O::set1(T(1)), bs = O::set1(s), bb = O::set1(beta);
    const T* rs0 = First ? p0 : r0;
    const T* rs1 = First ? p1 : r1;
    std::size_t j = 0;
    for (; j + L < w; j += L) {
        const V c = O::load(xc + j);
        V q0 = O::add(O::load(rs0 + j), O::mul(bs, O::sub(O::load(xc + j + 1), c)));
        V q1 = O::add(O::load(rs1 + j), O::mul(bs, O::sub(O::load(xn + j), c)));
        const V f = O::div(one, O::sqrt(O::max(one, O::add(O::mul(q0, q0), O::mul(q1, q1)))));
        q0 = O::mul(q0, f);
        q1 = O::mul(q1, f);
        const V o0 = O::load(p0 + j), o1 = O::load(p1 + j);
        O::store(p0 + j, q0);
        O::store(p1 + j, q1);
        O::store(r0 + j, O::add(q0, O::mul(bb, O::sub(q0, o0))));
        O::store(r1 + j, O::add(q1, O::mul(bb, O::sub(q1, o1))));
    }
    for (; j < w; ++j) {
        const bool last = j + 1 == w;
        T q0 = last ? T(0) : rs0[j] + s * (xc[j + 1] - xc[j]);
        T q1 = rs1[j] + s * (xn[j] - xc[j]);
        const T n2 = q0 * q0 + q1 * q1;
        const T f = T(1) / std::sqrt(n2 > T(1) ? n2 : T(1));
        q0 *= f;
        q1 *= f;
        const T o0 = p0[j], o1 = p1[j];
        p0[j] = q0;
        p1[j] = q1;
        r0[j] = q0 + beta * (q0 - o0);
        r1[j] = q1 + beta * (q1 - o1);
    }
}

/// One row of the isotropic duality gap of FgpSolver::gap_scalar:
/// Σ_j ‖∇x_j‖ − ⟨∇x_j, p_j⟩ from x rows xc, xn and p row (p0, p1); terms in T, the sum in double.
/// Adds Σ_j ‖∇x_j‖ (the row's TV, the scale of the gap's rounding error) to *tv.
template <class T>
LUCID_AVX2 inline double gap_row_iso_avx2(const T* xc, const T* xn, const T* p0, const T* p1, std::size_t w,
                                          double* tv) {
    using O = typename avx2_ops<T>::type;
    using V = typename O::V;
    constexpr std::size_t L = O::L;
    V acc = O::set1(T(0)), acc_tv = O::set1(T(0));
    std::size_t j = 0;
    for (; j + L < w; j += L) {
        const V c = O::load(xc + j);
        const V gx = O::sub(O::load(xc + j + 1), c);
        const V gy = O::sub(O::load(xn + j), c);
        const V inner = O::add(O::mul(gx, O::load(p0 + j)), O::mul(gy, O::load(p1 + j)));
        const V nrm = O::sqrt(O::add(O::mul(gx, gx), O::mul(gy, gy)));
        acc = O::add(acc, O::sub(nrm, inner));
        acc_tv = O::add(acc_tv, nrm);
    }
    double row = O::sum(acc), row_tv = O::sum(acc_tv);
    for (; j < w; ++j) {
        const double gx = j + 1 < w ? double(xc[j + 1]) - double(xc[j]) : 0.0;
        const double gy = double(xn[j]) - double(xc[j]);
        const double inner = gx * double(p0[j]) + gy * double(p1[j]);
        const double nrm = std::sqrt(gx * gx + gy * gy);
        row += nrm - inner;
        row_tv += nrm;
    }
    *tv += row_tv;
    return row;
}

#undef LUCID_AVX2

#else

// Never called (use_avx2() is false without dispatch); they keep the callers compiling.
template <class T>
inline void x_row_avx2(const T*, const T*, const T*, const T*, T, T*, std::size_t) {}
template <class T, bool First>
inline void update_row_iso_avx2(const T*, const T*, T*, T*, T*, T*, T, T, std::size_t) {}
template <class T>
inline double gap_row_iso_avx2(const T*, const T*, const T*, const T*, std::size_t, double*) { return 0; }

#endif

}  // namespace lucid::detail::tv
