#pragma once
/// \file tv_sweep_kernels.hpp
/// Private: the per-row loops of the fused TV sweeps — ADMM-TV's
/// (detail::admm_tv_sweep in admm_tv.hpp) and HQS-TV's (detail::hqs_tv_sweep
/// in hqs_tv.hpp) — compiled for AVX2+FMA and selected at run time on x86-64
/// CPUs that have it. The scalar loops in those headers are the reference;
/// these compute the same formulas per element (FMA contraction and the order
/// of the residual sums aside) on the columns they cover and return where they
/// stopped, so the scalar code finishes the row.
///
/// Why: the sweep is the only part of an iteration besides the transform
/// pair; scalar, ADMM-TV's costs ~3× the pair at 512² (a square root and a
/// division per pixel, six residual sums that the compiler may not reorder).

#include <cmath>
#include <cstddef>

#include "lucid/core/cpu_features.hpp"
#include "lucid/functionals/l1.hpp"
#include "lucid/functionals/l21_norm.hpp"
#include "lucid/functionals/tv_kernels.hpp"

namespace lucid::detail::tvsweep {

/// z = shrink_t(v) for one pixel's difference pair v = (vx, vy): the group soft
/// threshold max(1 − t/|v|, 0)·v (isotropic) or the componentwise one (anisotropic).
/// The scalar reference of the row loops below.
template <bool Iso, class T>
inline void shrink_pair(T vx, T vy, T t, T& ox, T& oy) {
    if constexpr (Iso) {
        const T f = group_shrink_factor(std::sqrt(vx * vx + vy * vy), t);
        ox = f * vx;
        oy = f * vy;
    } else {
        ox = soft_threshold(vx, t);
        oy = soft_threshold(vy, t);
    }
}

/// One pixel's TV term, in double: |g| (isotropic) or |gx| + |gy| (anisotropic).
template <bool Iso, class T>
inline double tv_term(T gx, T gy) {
    if constexpr (Iso) return std::sqrt(double(gx) * gx + double(gy) * gy);
    else return std::abs(double(gx)) + std::abs(double(gy));
}

/// Residual sums of one row (double), added to by the row loops.
struct RowSums {
    double primal = 0, grad = 0, z = 0, tv = 0, dual = 0, ktu = 0;
};

/// HQS-TV's row sums (double): Σ|g − z|², TV terms, Σ(x − x_old)², Σx².
struct PenaltyRowSums {
    double primal = 0, tv = 0, step = 0, x = 0;
};

#if LUCID_TV_AVX2_DISPATCH
#define LUCID_TVSWEEP_AVX2 __attribute__((target("avx2,fma")))

/// shrink_pair on one vector of pixels, vt = t and mt = −t broadcast:
/// (ax, ay) = shrink_t(vx, vy). Returns |v| for the isotropic norm (the
/// caller's TV term when v = ∇x), zero for the anisotropic one.
template <bool Iso, class O, class V>
LUCID_TVSWEEP_AVX2 inline V shrink_pair_avx2(V vx, V vy, V vt, V mt, V& ax, V& ay) {
    const V zero = O::set1(0);
    if constexpr (Iso) {
        const V nn = O::sqrt(O::add(O::mul(vx, vx), O::mul(vy, vy)));
        const V f = O::select_gt(nn, vt, O::sub(O::set1(1), O::div(vt, nn)), zero);  // 1 − t/|v| or 0
        ax = O::mul(f, vx);
        ay = O::mul(f, vy);
        return nn;
    } else {  // v − clip(v, −t, t)
        ax = O::sub(vx, O::min(O::max(vx, mt), vt));
        ay = O::sub(vy, O::min(O::max(vy, mt), vt));
        return zero;
    }
}

/// Columns j of [0, n) in whole vectors, n ≤ W − 1 (every j has a right
/// neighbour in the row): with g = (xr[j+1] − xr[j], xn[j] − xr[j]),
///   v = g + s·u,  z = shrink_t(v),  u ← v − z,  w = z − u  (z, w into row buffers),
/// and Σ|g − z|², Σ|g|², Σ|z|², Σ TV terms into `sums`. Returns the first
/// column not done.
template <bool Iso, class T>
LUCID_TVSWEEP_AVX2 inline std::size_t shrink_row_avx2(const T* __restrict xr, const T* __restrict xn,
                                                      T* __restrict u0, T* __restrict u1, T* __restrict zx,
                                                      T* __restrict zy, T* __restrict wx, T* __restrict wy,
                                                      std::size_t n, T t, T s, bool want_tv, RowSums& sums) {
    using O = typename tv::avx2_ops<T>::type;
    using V = typename O::V;
    constexpr std::size_t L = O::L;
    const V vt = O::set1(t), vs = O::set1(s), zero = O::set1(T(0)), mt = O::set1(-t);
    V r2 = zero, g2 = zero, z2 = zero, tv = zero;
    std::size_t j = 0;
    for (; j + L <= n; j += L) {
        const V c = O::load(xr + j);
        const V gx = O::sub(O::load(xr + j + 1), c), gy = O::sub(O::load(xn + j), c);
        const V vx = O::add(gx, O::mul(vs, O::load(u0 + j))), vy = O::add(gy, O::mul(vs, O::load(u1 + j)));
        V ax, ay;
        shrink_pair_avx2<Iso, O>(vx, vy, vt, mt, ax, ay);
        const V ux = O::sub(vx, ax), uy = O::sub(vy, ay);
        O::store(u0 + j, ux);
        O::store(u1 + j, uy);
        O::store(zx + j, ax);
        O::store(zy + j, ay);
        O::store(wx + j, O::sub(ax, ux));
        O::store(wy + j, O::sub(ay, uy));
        const V ex = O::sub(gx, ax), ey = O::sub(gy, ay);
        r2 = O::add(r2, O::add(O::mul(ex, ex), O::mul(ey, ey)));
        const V gg = O::add(O::mul(gx, gx), O::mul(gy, gy));
        g2 = O::add(g2, gg);
        z2 = O::add(z2, O::add(O::mul(ax, ax), O::mul(ay, ay)));
        if (want_tv) tv = O::add(tv, Iso ? O::sqrt(gg) : O::add(O::abs(gx), O::abs(gy)));
    }
    sums.primal += O::sum(r2);
    sums.grad += O::sum(g2);
    sums.z += O::sum(z2);
    sums.tv += O::sum(tv);
    return j;
}

/// Columns j of [1, n) in whole vectors (every j has a left neighbour):
///   rhs = ∇ᵀw, q_new = ∇ᵀz (w, z from this row and wy_prev, zy_prev from the
///   row above), Σ(q_new − q)², Σ(q_new − rhs)², q ← q_new.
/// Returns the first column not done.
template <class T>
LUCID_TVSWEEP_AVX2 inline std::size_t divergence_row_avx2(const T* __restrict wx, const T* __restrict wy,
                                                          const T* __restrict zx, const T* __restrict zy,
                                                          const T* __restrict wy_prev, const T* __restrict zy_prev,
                                                          T* __restrict rhs, T* __restrict q, std::size_t n,
                                                          RowSums& sums) {
    using O = typename tv::avx2_ops<T>::type;
    using V = typename O::V;
    constexpr std::size_t L = O::L;
    V d2 = O::set1(T(0)), k2 = d2;
    std::size_t j = 1;
    for (; j + L <= n; j += L) {
        const V r = O::add(O::sub(O::load(wx + j - 1), O::load(wx + j)), O::sub(O::load(wy_prev + j), O::load(wy + j)));
        const V qn = O::add(O::sub(O::load(zx + j - 1), O::load(zx + j)), O::sub(O::load(zy_prev + j), O::load(zy + j)));
        O::store(rhs + j, r);
        const V dq = O::sub(qn, O::load(q + j)), kr = O::sub(qn, r);
        d2 = O::add(d2, O::mul(dq, dq));
        k2 = O::add(k2, O::mul(kr, kr));
        O::store(q + j, qn);
    }
    sums.dual += O::sum(d2);
    sums.ktu += O::sum(k2);
    return j;
}

/// HQS-TV's shrink: columns j of [0, n) in whole vectors, n ≤ W − 1, with
/// g = (xr[j+1] − xr[j], xn[j] − xr[j]): z = shrink_t(g) into row buffers, and
/// Σ|g − z|², Σ TV terms, Σ(xr − xo)², Σxr² into `sums`. Returns the first
/// column not done.
template <bool Iso, class T>
LUCID_TVSWEEP_AVX2 inline std::size_t penalty_shrink_row_avx2(const T* __restrict xr, const T* __restrict xn,
                                                              const T* __restrict xo, T* __restrict zx,
                                                              T* __restrict zy, std::size_t n, T t, bool want_tv,
                                                              PenaltyRowSums& sums) {
    using O = typename tv::avx2_ops<T>::type;
    using V = typename O::V;
    constexpr std::size_t L = O::L;
    const V vt = O::set1(t), zero = O::set1(T(0)), mt = O::set1(-t);
    V r2 = zero, tv = zero, d2 = zero, x2 = zero;
    std::size_t j = 0;
    for (; j + L <= n; j += L) {
        const V c = O::load(xr + j);
        const V gx = O::sub(O::load(xr + j + 1), c), gy = O::sub(O::load(xn + j), c);
        V ax, ay;
        const V norm = shrink_pair_avx2<Iso, O>(gx, gy, vt, mt, ax, ay);
        if (want_tv) tv = O::add(tv, Iso ? norm : O::add(O::abs(gx), O::abs(gy)));
        O::store(zx + j, ax);
        O::store(zy + j, ay);
        const V ex = O::sub(gx, ax), ey = O::sub(gy, ay);
        r2 = O::add(r2, O::add(O::mul(ex, ex), O::mul(ey, ey)));
        const V dx = O::sub(c, O::load(xo + j));
        d2 = O::add(d2, O::mul(dx, dx));
        x2 = O::add(x2, O::mul(c, c));
    }
    sums.primal += O::sum(r2);
    sums.tv += O::sum(tv);
    sums.step += O::sum(d2);
    sums.x += O::sum(x2);
    return j;
}

#undef LUCID_TVSWEEP_AVX2
#else

template <bool Iso, class T>
inline std::size_t shrink_row_avx2(const T*, const T*, T*, T*, T*, T*, T*, T*, std::size_t, T, T, bool, RowSums&) {
    return 0;
}
template <class T>
inline std::size_t divergence_row_avx2(const T*, const T*, const T*, const T*, const T*, const T*, T*, T*,
                                       std::size_t, RowSums&) {
    return 1;
}

template <bool Iso, class T>
inline std::size_t penalty_shrink_row_avx2(const T*, const T*, const T*, T*, T*, std::size_t, T, bool,
                                           PenaltyRowSums&) {
    return 0;
}

#endif

}  // namespace lucid::detail::tvsweep
