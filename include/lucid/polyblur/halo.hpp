#pragma once
/// \file halo.hpp
/// Polyblur's halo removal (POLYBLUR.md §5): where the restored image's
/// gradient points against the input's, blend back toward the input so that
/// the blended gradient cancels.
///
/// With gradients ∇v of the input and ∇u of the restored image at a pixel,
/// \f[ M = \max\big(0, -\nabla v\cdot\nabla u\big),\qquad
///     z = \frac{M}{\|\nabla v\|^2 + M}\ (z = 0 \text{ where the denominator is } 0),\qquad
///     \text{out} = z\,v + (1 - z)\,u. \f]
/// If ∇u = −λ∇v with λ > 0 then z = λ/(1+λ) and z∇v + (1−z)∇u = 0; where the
/// gradients agree (∇v·∇u ≥ 0) z = 0 and u is kept. The spec writes
/// z = max(M/(‖∇v‖² + M), 0) with M = −∇v·∇u; taken literally that gives
/// z = λ/(λ−1) > 1 when ∇u = λ∇v with λ > 1 (ordinary sharpening), which
/// contradicts its own "where the gradients agree, z = 0". Clipping M at 0
/// first, as here, is the reading that satisfies both stated properties.
///
/// Gradients are central differences with the replicate boundary,
/// ∂x v(y,x) = (v(y, x+1) − v(y, x−1))/2 with indices clamped to the image
/// (the ½ cancels in z). Channels are processed independently.
///
/// What it does not do: at the extremum of an over-sharpened edge ∇u = 0, so
/// z = 0 there and that pixel's overshoot stays; the blend removes the
/// ringing lobes farther out (the "halo"), not the edge's own overshoot.

#include <algorithm>
#include <cstddef>
#include <limits>
#include <string_view>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/polyblur/detail.hpp"

namespace lucid::polyblur {

namespace detail {

/// The blend of §5 on one pixel given doubled central differences (2∂), the
/// input v, the restored u and an additive term; clamps to [0, 1] on request.
template <class T>
inline T halo_pixel(T vx, T vy, T ux, T uy, T v, T u, T add, bool halo, bool clamp) {
    T w = u;
    if (halo) {
        const T m = std::max(-(vx * ux + vy * uy), T(0));
        const T den = vx * vx + vy * vy + m;
        // den = 0 implies m = 0, so dividing by max(den, tiny) gives z = 0 there.
        const T z = m / std::max(den, std::numeric_limits<T>::min());
        w = u + z * (v - u);
    }
    w += add;
    if (clamp) w = std::min(std::max(w, T(0)), T(1));
    return w;
}

/// Pixels [i0, i1) of one row (0 < i0, i1 < n): neighbours i±1 are read
/// from the same rows, rows above/below from vm/vp and um/up. With `Src`,
/// adds src − v. The formula of `halo_pixel`, branch-free.
template <bool Halo, bool Src, bool Clamp, class T>
LUCID_POLYBLUR_INLINE void halo_span_scalar(const T* vm, const T* v0, const T* vp, const T* um, const T* u0,
                                            const T* up, const T* src, T* out, std::size_t i0, std::size_t i1) {
    const T tiny = std::numeric_limits<T>::min();
    for (std::size_t i = i0; i < i1; ++i) {
        T w = u0[i];
        if constexpr (Halo) {
            const T vx = v0[i + 1] - v0[i - 1], vy = vp[i] - vm[i];
            const T ux = u0[i + 1] - u0[i - 1], uy = up[i] - um[i];
            T m = -(vx * ux + vy * uy);
            m = m > T(0) ? m : T(0);
            T den = vx * vx + vy * vy + m;
            den = den > tiny ? den : tiny;
            w = w + (m / den) * (v0[i] - w);
        }
        if constexpr (Src) w += src[i] - v0[i];
        if constexpr (Clamp) {
            w = w < T(0) ? T(0) : w;
            w = w > T(1) ? T(1) : w;
        }
        out[i] = w;
    }
}

template <bool Halo, bool Src, bool Clamp, class T>
LUCID_POLYBLUR_INLINE void halo_span_kernel(const T* vm, const T* v0, const T* vp, const T* um, const T* u0,
                                            const T* up, const T* src, T* out, std::size_t n) {
    std::size_t i = 1;
#if LUCID_POLYBLUR_VECTORS
    using V = typename Simd<T>::type;
    constexpr std::size_t L = Simd<T>::lanes;
    const V zero = {}, one = zero + T(1), tiny = zero + std::numeric_limits<T>::min();
    for (; i + L + 1 <= n; i += L) {
        V w, c;
        vload(w, u0 + i);
        vload(c, v0 + i);
        if constexpr (Halo) {
            V a, b, vx, vy, ux, uy;
            vload(a, v0 + i + 1);
            vload(b, v0 + i - 1);
            vx = a - b;
            vload(a, vp + i);
            vload(b, vm + i);
            vy = a - b;
            vload(a, u0 + i + 1);
            vload(b, u0 + i - 1);
            ux = a - b;
            vload(a, up + i);
            vload(b, um + i);
            uy = a - b;
            V m = -(vx * ux + vy * uy);
            m = m > zero ? m : zero;
            V den = vx * vx + vy * vy + m;
            den = den > tiny ? den : tiny;
            w = w + (m / den) * (c - w);
        }
        if constexpr (Src) {
            V s;
            vload(s, src + i);
            w += s - c;
        }
        if constexpr (Clamp) {
            w = w < zero ? zero : w;
            w = w > one ? one : w;
        }
        vstore(out + i, w);
    }
#endif
    if (i + 1 < n) halo_span_scalar<Halo, Src, Clamp>(vm, v0, vp, um, u0, up, src, out, i, n - 1);
}

#if LUCID_POLYBLUR_AVX2
template <bool Halo, bool Src, bool Clamp, class T>
LUCID_POLYBLUR_TARGET_AVX2 void halo_span_avx2(const T* vm, const T* v0, const T* vp, const T* um, const T* u0,
                                               const T* up, const T* src, T* out, std::size_t n) {
    halo_span_kernel<Halo, Src, Clamp>(vm, v0, vp, um, u0, up, src, out, n);
}
#endif

template <bool Halo, bool Src, bool Clamp, class T>
void halo_span_baseline(const T* vm, const T* v0, const T* vp, const T* um, const T* u0, const T* up, const T* src,
                        T* out, std::size_t n) {
    halo_span_kernel<Halo, Src, Clamp>(vm, v0, vp, um, u0, up, src, out, n);
}

template <bool Halo, bool Src, bool Clamp, class T>
void halo_span_dispatch(const T* vm, const T* v0, const T* vp, const T* um, const T* u0, const T* up,
                        const T* src, T* out, std::size_t n) {
#if LUCID_POLYBLUR_AVX2
    if (has_avx2_fma()) return halo_span_avx2<Halo, Src, Clamp>(vm, v0, vp, um, u0, up, src, out, n);
#endif
    halo_span_baseline<Halo, Src, Clamp>(vm, v0, vp, um, u0, up, src, out, n);
}

/// Pixels [1, n−1) of one row (see halo_span_kernel); `src` may be null.
template <class T>
void halo_span(const T* vm, const T* v0, const T* vp, const T* um, const T* u0, const T* up, const T* src, T* out,
               std::size_t n, bool halo, bool clamp) {
    if (n < 3) return;
    const int mode = (halo ? 4 : 0) | (src ? 2 : 0) | (clamp ? 1 : 0);
    switch (mode) {
        case 0: return halo_span_dispatch<false, false, false>(vm, v0, vp, um, u0, up, src, out, n);
        case 1: return halo_span_dispatch<false, false, true>(vm, v0, vp, um, u0, up, src, out, n);
        case 2: return halo_span_dispatch<false, true, false>(vm, v0, vp, um, u0, up, src, out, n);
        case 3: return halo_span_dispatch<false, true, true>(vm, v0, vp, um, u0, up, src, out, n);
        case 4: return halo_span_dispatch<true, false, false>(vm, v0, vp, um, u0, up, src, out, n);
        case 5: return halo_span_dispatch<true, false, true>(vm, v0, vp, um, u0, up, src, out, n);
        case 6: return halo_span_dispatch<true, true, false>(vm, v0, vp, um, u0, up, src, out, n);
        default: return halo_span_dispatch<true, true, true>(vm, v0, vp, um, u0, up, src, out, n);
    }
}

/// One output row of the blend, pixels [0, n). Rows are pointers to the
/// pixel at the span's first column; `left_edge` / `right_edge` say whether
/// the span starts / ends at the image border (then the missing neighbour is
/// the pixel itself, the replicate rule), otherwise p[−1] / p[n] are read.
template <class T>
void halo_row(const T* vm, const T* v0, const T* vp, const T* um, const T* u0, const T* up, const T* src, T* out,
              std::size_t n, bool left_edge, bool right_edge, bool halo, bool clamp) {
    auto edge = [&](std::size_t i) {
        const std::ptrdiff_t l = (i == 0 && left_edge) ? 0 : std::ptrdiff_t(i) - 1;
        const std::ptrdiff_t r = (i + 1 == n && right_edge) ? std::ptrdiff_t(i) : std::ptrdiff_t(i) + 1;
        const T vx = v0[r] - v0[l], vy = vp[i] - vm[i];
        const T ux = u0[r] - u0[l], uy = up[i] - um[i];
        out[i] = halo_pixel(vx, vy, ux, uy, v0[i], u0[i], src ? T(src[i] - v0[i]) : T(0), halo, clamp);
    };
    edge(0);
    if (n > 1) edge(n - 1);
    halo_span(vm, v0, vp, um, u0, up, src, out, n, halo, clamp);
}

/// The blend of whole H×W planes (v input, u restored) into out.
template <class T>
void halo_plane(const T* v, const T* u, T* out, std::size_t h, std::size_t w, bool clamp) {
    parallel_for(0, std::ptrdiff_t(h), [&](std::ptrdiff_t y) {
        const std::size_t ym = std::size_t(clamp_index(y - 1, std::ptrdiff_t(h)));
        const std::size_t yp = std::size_t(clamp_index(y + 1, std::ptrdiff_t(h)));
        const std::size_t yy = std::size_t(y);
        halo_row(v + ym * w, v + yy * w, v + yp * w, u + ym * w, u + yy * w, u + yp * w,
                 static_cast<const T*>(nullptr), out + yy * w, w, true, true, true, clamp);
    }, std::ptrdiff_t(std::max<std::size_t>(1, (1u << 15) / std::max<std::size_t>(w, 1))));
}

}  // namespace detail

/// Halo removal of POLYBLUR.md §5 (see the file comment for the formula):
/// out = z·input + (1 − z)·restored per pixel and channel, no clamping.
///
/// \param input    the image the deconvolution started from (v), H×W or C×H×W
/// \param restored its deconvolution (u), same shape
/// \param out      result, resized to the input's shape; must be a buffer
///                 distinct from both (the blend reads rows y±1)
///
/// Example: `auto w = lucid::polyblur::remove_halo(v, lucid::polyblur::deconvolve(v, k));`
template <class T, std::size_t Rank>
void remove_halo(const xt::xtensor<T, Rank>& input, const xt::xtensor<T, Rank>& restored,
                 xt::xtensor<T, Rank>& out) {
    static_assert(Rank == 2 || Rank == 3, "remove_halo acts on H×W images or C×H×W stacks");
    constexpr std::string_view where = "lucid::polyblur::remove_halo";
    require_finite_image(where, "input", input);
    require_shape(where, "restored", restored.shape(), input.shape());
    require_finite_image(where, "restored", restored);
    require(&out != &input && &out != &restored, where, "out", "a buffer distinct from input and restored",
            "an alias");
    if (!(out.shape() == input.shape())) out = xt::xtensor<T, Rank>(input.shape());
    const Shape<Rank> s = shape_of(input);
    const auto hw = plane_shape(s);
    const std::size_t plane = hw[0] * hw[1];
    for (std::size_t c = 0; c < channel_count(s); ++c)
        detail::halo_plane(input.data() + c * plane, restored.data() + c * plane, out.data() + c * plane, hw[0],
                           hw[1], false);
}

/// Returns the halo-free blend of `restored` toward `input` (POLYBLUR.md §5).
template <class T, std::size_t Rank>
xt::xtensor<T, Rank> remove_halo(const xt::xtensor<T, Rank>& input, const xt::xtensor<T, Rank>& restored) {
    xt::xtensor<T, Rank> out(input.shape());
    remove_halo(input, restored, out);
    return out;
}

}  // namespace lucid::polyblur
