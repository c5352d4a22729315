#pragma once
/// \file finite_differences.hpp
/// Fused, allocation-free finite-difference kernels on one H×W plane (raw
/// row-major buffers). They are the loops behind ops::Gradient, ops::Divergence
/// and ops::Laplacian, exposed in lucid::detail so that code with its own fused
/// loops (total variation, Chambolle's projection) can call them on its buffers.
///
/// Conventions (docs/developer-guide.md): forward differences,
///   ∂x x[i, j] = x[i, j+1] − x[i, j],   ∂y x[i, j] = x[i+1, j] − x[i, j];
/// Neumann (`Boundary::reflect`): the difference at the last column / row is 0;
/// periodic: indices wrap. The divergence is div = −∇ᵀ and the Laplacian
/// Δ = div ∇ = −∇ᵀ∇ (the 5-point stencil with the same boundary).

#include <cstddef>

#include "lucid/core/threading.hpp"

namespace lucid::detail {

/// Grain for parallel_for over the rows of an h×w plane: parallel only when
/// the plane is large enough to pay for fork/join.
inline std::ptrdiff_t difference_row_grain(std::size_t h, std::size_t w) {
    return std::ptrdiff_t(h * w) >= parallel_threshold ? 1 : std::ptrdiff_t(h) + 1;
}

/// Neumann forward differences of one plane:
/// gx[i,j] = x[i,j+1] − x[i,j] (0 at j = w−1), gy[i,j] = x[i+1,j] − x[i,j] (0 at i = h−1).
/// `x` must not alias `gx` or `gy`.
template <class T>
void gradient_neumann(const T* __restrict x, T* __restrict gx, T* __restrict gy, std::size_t h, std::size_t w) {
    parallel_for(0, std::ptrdiff_t(h), [=](std::ptrdiff_t ii) {
        const std::size_t i = std::size_t(ii);
        const T* __restrict r = x + i * w;
        T* __restrict ox = gx + i * w;
        T* __restrict oy = gy + i * w;
        if (i + 1 < h) {
            const T* __restrict d = r + w;
            for (std::size_t j = 0; j + 1 < w; ++j) {
                ox[j] = r[j + 1] - r[j];
                oy[j] = d[j] - r[j];
            }
            oy[w - 1] = d[w - 1] - r[w - 1];
        } else {
            for (std::size_t j = 0; j + 1 < w; ++j) {
                ox[j] = r[j + 1] - r[j];
                oy[j] = T(0);
            }
            oy[w - 1] = T(0);
        }
        ox[w - 1] = T(0);
    }, difference_row_grain(h, w));
}

/// Periodic forward differences of one plane:
/// gx[i,j] = x[i,(j+1) mod w] − x[i,j], gy[i,j] = x[(i+1) mod h,j] − x[i,j].
template <class T>
void gradient_periodic(const T* __restrict x, T* __restrict gx, T* __restrict gy, std::size_t h, std::size_t w) {
    parallel_for(0, std::ptrdiff_t(h), [=](std::ptrdiff_t ii) {
        const std::size_t i = std::size_t(ii);
        const T* __restrict r = x + i * w;
        const T* __restrict d = x + ((i + 1) % h) * w;
        T* __restrict ox = gx + i * w;
        T* __restrict oy = gy + i * w;
        for (std::size_t j = 0; j + 1 < w; ++j) {
            ox[j] = r[j + 1] - r[j];
            oy[j] = d[j] - r[j];
        }
        ox[w - 1] = r[0] - r[w - 1];
        oy[w - 1] = d[w - 1] - r[w - 1];
    }, difference_row_grain(h, w));
}

/// One row of the Neumann divergence (fused x and y parts); CUR: the row's own
/// py term exists (i < h−1), UP: the row above exists (i > 0).
template <bool CUR, bool UP, class T>
inline void divergence_neumann_row(const T* __restrict ax, const T* __restrict ay, const T* __restrict up,
                                   T* __restrict o, std::size_t w, T s) {
    auto y_part = [&](std::size_t j) {
        T v = T(0);
        if constexpr (CUR) v += ay[j];
        if constexpr (UP) v -= up[j];
        return v;
    };
    if (w == 1) {
        o[0] = s * y_part(0);
        return;
    }
    o[0] = s * (ax[0] + y_part(0));
    for (std::size_t j = 1; j + 1 < w; ++j) o[j] = s * (ax[j] - ax[j - 1] + y_part(j));
    o[w - 1] = s * (y_part(w - 1) - ax[w - 2]);
}

/// Neumann divergence, scaled: out = s·div p with div = −∇ᵀ the exact negative
/// adjoint of gradient_neumann (s = −1 gives ∇ᵀp):
/// div p[i,j] = px[i,j]·[j<w−1] − px[i,j−1]·[j>0] + py[i,j]·[i<h−1] − py[i−1,j]·[i>0].
/// The last column of px and the last row of py are ignored (they are 0 in the range).
template <class T>
void divergence_neumann(const T* __restrict px, const T* __restrict py, T* __restrict out, std::size_t h,
                        std::size_t w, T s = T(1)) {
    parallel_for(0, std::ptrdiff_t(h), [=](std::ptrdiff_t ii) {
        const std::size_t i = std::size_t(ii);
        const T* ax = px + i * w;
        const T* ay = py + i * w;
        const T* up = py + (i ? i - 1 : 0) * w;
        T* o = out + i * w;
        if (h == 1) divergence_neumann_row<false, false>(ax, ay, up, o, w, s);
        else if (i == 0) divergence_neumann_row<true, false>(ax, ay, up, o, w, s);
        else if (i + 1 < h) divergence_neumann_row<true, true>(ax, ay, up, o, w, s);
        else divergence_neumann_row<false, true>(ax, ay, up, o, w, s);
    }, difference_row_grain(h, w));
}

/// Periodic divergence, scaled: out = s·div p, div = −∇ᵀ (s = −1 gives ∇ᵀp):
/// div p[i,j] = px[i,j] − px[i,(j−1) mod w] + py[i,j] − py[(i−1) mod h,j].
template <class T>
void divergence_periodic(const T* __restrict px, const T* __restrict py, T* __restrict out, std::size_t h,
                         std::size_t w, T s = T(1)) {
    parallel_for(0, std::ptrdiff_t(h), [=](std::ptrdiff_t ii) {
        const std::size_t i = std::size_t(ii);
        const T* __restrict ax = px + i * w;
        const T* __restrict ay = py + i * w;
        const T* __restrict up = py + ((i + h - 1) % h) * w;
        T* __restrict o = out + i * w;
        o[0] = s * (ax[0] - ax[w - 1] + ay[0] - up[0]);
        for (std::size_t j = 1; j < w; ++j) o[j] = s * (ax[j] - ax[j - 1] + ay[j] - up[j]);
    }, difference_row_grain(h, w));
}

/// Neumann 5-point Laplacian Δ = −∇ᵀ∇ of one plane: the sum over the (up to
/// four) neighbours n inside the image of x[n] − x[i,j]. One fused pass: a
/// missing row neighbour is replaced by the row itself (its term is then exactly 0).
template <class T>
void laplacian_neumann(const T* __restrict x, T* __restrict out, std::size_t h, std::size_t w) {
    parallel_for(0, std::ptrdiff_t(h), [=](std::ptrdiff_t ii) {
        const std::size_t i = std::size_t(ii);
        const T* __restrict r = x + i * w;
        const T* __restrict u = i > 0 ? r - w : r;
        const T* __restrict d = i + 1 < h ? r + w : r;
        T* __restrict o = out + i * w;
        if (w == 1) {
            o[0] = (u[0] - r[0]) + (d[0] - r[0]);
            return;
        }
        o[0] = (r[1] - r[0]) + (u[0] - r[0]) + (d[0] - r[0]);
        for (std::size_t j = 1; j + 1 < w; ++j) o[j] = r[j - 1] + r[j + 1] + u[j] + d[j] - T(4) * r[j];
        o[w - 1] = (r[w - 2] - r[w - 1]) + (u[w - 1] - r[w - 1]) + (d[w - 1] - r[w - 1]);
    }, difference_row_grain(h, w));
}

/// Periodic 5-point Laplacian of one plane:
/// out[i,j] = x[i,j−1] + x[i,j+1] + x[i−1,j] + x[i+1,j] − 4x[i,j], indices mod (h, w).
template <class T>
void laplacian_periodic(const T* __restrict x, T* __restrict out, std::size_t h, std::size_t w) {
    parallel_for(0, std::ptrdiff_t(h), [=](std::ptrdiff_t ii) {
        const std::size_t i = std::size_t(ii);
        const T* __restrict r = x + i * w;
        const T* __restrict u = x + ((i + h - 1) % h) * w;
        const T* __restrict d = x + ((i + 1) % h) * w;
        T* __restrict o = out + i * w;
        if (w == 1) {
            o[0] = u[0] + d[0] - T(2) * r[0];
            return;
        }
        o[0] = r[w - 1] + r[1] + u[0] + d[0] - T(4) * r[0];
        for (std::size_t j = 1; j + 1 < w; ++j) o[j] = r[j - 1] + r[j + 1] + u[j] + d[j] - T(4) * r[j];
        o[w - 1] = r[w - 2] + r[0] + u[w - 1] + d[w - 1] - T(4) * r[w - 1];
    }, difference_row_grain(h, w));
}

}  // namespace lucid::detail
