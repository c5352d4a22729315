#pragma once
/// \file gradient.hpp
/// The discrete gradient ∇ (forward differences) of images and stacks.

#include <cmath>
#include <complex>
#include <cstddef>
#include <numbers>
#include <optional>

#include <xtensor/xtensor.hpp>

#include "lucid/core/boundary.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/finite_differences.hpp"
#include "lucid/ops/spectrum.hpp"

namespace lucid::detail {

/// Validates the boundary of a finite-difference operator (reflect = Neumann, or periodic).
inline Boundary difference_boundary(const char* where, Boundary b) {
    require(b == Boundary::reflect || b == Boundary::periodic, where, "boundary",
            "Boundary::reflect (Neumann) or Boundary::periodic", to_string(b));
    return b;
}

/// Validates the image shape of a finite-difference operator.
template <std::size_t Rank>
void require_difference_shape(const char* where, const Shape<Rank>& shape) {
    bool ok = true;
    for (auto s : shape) ok = ok && s > 0;
    require(ok, where, "shape", "non-empty (every extent >= 1)", shape_string(shape));
}

/// {2, shape...}: the range shape of a gradient.
template <std::size_t Rank>
Shape<Rank + 1> gradient_range_shape(const Shape<Rank>& shape) {
    Shape<Rank + 1> out;
    out[0] = 2;
    for (std::size_t i = 0; i < Rank; ++i) out[i + 1] = shape[i];
    return out;
}

/// Fourier symbols of periodic ∂x (block 0) and ∂y (block 1) on the H×(W/2+1) grid:
/// ∂̂x(k,l) = e^{2πi l/W} − 1, ∂̂y(k,l) = e^{2πi k/H} − 1.
template <class T>
Spectrum<T> periodic_difference_symbols(Shape<2> plane) {
    auto s = Spectrum<T>::zeros(Transform::fourier, plane, 2);
    const std::size_t h = plane[0], w = plane[1], wc = w / 2 + 1;
    const double two_pi = 2 * std::numbers::pi;
    for (std::size_t k = 0; k < h; ++k) {
        const double ay = two_pi * double(k) / double(h);
        const std::complex<T> dy(T(std::cos(ay) - 1), T(std::sin(ay)));
        for (std::size_t l = 0; l < wc; ++l) {
            const double ax = two_pi * double(l) / double(w);
            s.values(0, k, l) = std::complex<T>(T(std::cos(ax) - 1), T(std::sin(ax)));
            s.values(1, k, l) = dy;
        }
    }
    return s;
}

/// Eigenvalues of the Neumann DᵀD (= −Δ) in the DCT-II basis, on the H×W grid:
/// λ(k,l) = (2 − 2cos(πk/H)) + (2 − 2cos(πl/W)).
template <class T>
Spectrum<T> neumann_gram_symbol(Shape<2> plane) {
    auto s = Spectrum<T>::zeros(Transform::cosine, plane, 1);
    const std::size_t h = plane[0], w = plane[1];
    for (std::size_t k = 0; k < h; ++k) {
        const double ly = 2 - 2 * std::cos(std::numbers::pi * double(k) / double(h));
        for (std::size_t l = 0; l < w; ++l) {
            const double lx = 2 - 2 * std::cos(std::numbers::pi * double(l) / double(w));
            s.values(0, k, l) = std::complex<T>(T(ly + lx), T(0));
        }
    }
    return s;
}

/// Eigenvalues of the periodic DᵀD in the DFT basis, on the H×(W/2+1) grid:
/// λ(k,l) = (2 − 2cos(2πk/H)) + (2 − 2cos(2πl/W)).
template <class T>
Spectrum<T> periodic_gram_symbol(Shape<2> plane) {
    auto s = Spectrum<T>::zeros(Transform::fourier, plane, 1);
    const std::size_t h = plane[0], w = plane[1], wc = w / 2 + 1;
    const double two_pi = 2 * std::numbers::pi;
    for (std::size_t k = 0; k < h; ++k) {
        const double ly = 2 - 2 * std::cos(two_pi * double(k) / double(h));
        for (std::size_t l = 0; l < wc; ++l) {
            const double lx = 2 - 2 * std::cos(two_pi * double(l) / double(w));
            s.values(0, k, l) = std::complex<T>(T(ly + lx), T(0));
        }
    }
    return s;
}

}  // namespace lucid::detail

namespace lucid::ops {

/// The discrete gradient ∇x = (∂x x, ∂y x) by forward differences.
///
/// \f[ (\nabla x)_{0,i,j} = x_{i,j+1} - x_{i,j}, \qquad (\nabla x)_{1,i,j} = x_{i+1,j} - x_{i,j} \f]
/// with `Boundary::reflect` (Neumann: the difference at the last column/row is 0)
/// or `Boundary::periodic` (indices wrap). The range has one more leading axis
/// of size 2: {2, H, W} for images, {2, C, H, W} for C×H×W stacks (per channel).
///
/// The adjoint is ∇ᵀ = −div (see ops::Divergence). Periodic: `spectrum()` gives
/// the Fourier symbols of ∂x (block 0) and ∂y (block 1). Neumann: ∇ itself is not
/// diagonal in one transform, but ∇ᵀ∇ = −Δ is DCT-II diagonal, reported by
/// `gram_spectrum()`: λ(k,l) = (2 − 2cos(πk/H)) + (2 − 2cos(πl/W)), so that
/// ∇ᵀ∇x = DCT3(λ ⊙ DCT2(x))/(4HW). ‖∇‖² ≤ 8.
///
/// \code
/// ops::Gradient<double> D({256, 256});                 // Neumann
/// auto g = D(x);                                       // g(0) = ∂x, g(1) = ∂y
/// auto s = (gram(D) + 0.1 * ops::Identity<Image<double>>({256, 256})).spectrum();
/// \endcode
template <class T, std::size_t Rank = 2>
class Gradient : public OperatorBase<Gradient<T, Rank>> {
    static_assert(std::is_floating_point_v<T>, "Gradient<T>: T must be float or double");
    static_assert(Rank == 2 || Rank == 3, "Gradient acts on H×W images or C×H×W stacks");

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank + 1>;

    /// ∇ on images of `shape` (H×W or C×H×W) with `boundary` = reflect (Neumann) or periodic.
    explicit Gradient(Shape<Rank> shape, Boundary boundary = Boundary::reflect)
        : shape_(shape), boundary_(detail::difference_boundary("lucid::ops::Gradient", boundary)) {
        detail::require_difference_shape("lucid::ops::Gradient", shape_);
    }

    Shape<Rank> domain_shape() const { return shape_; }
    Shape<Rank + 1> range_shape() const { return detail::gradient_range_shape(shape_); }
    Boundary boundary() const { return boundary_; }

    /// g = ∇x: g[0] = ∂x x, g[1] = ∂y x (forward differences).
    void apply(const domain_type& x, range_type& g) const {
        constexpr const char* where = "lucid::ops::Gradient::apply";
        require_shape(where, "x", x.shape(), shape_);
        require_shape(where, "y", g.shape(), range_shape());
        const auto [h, w] = plane_shape(shape_);
        const std::size_t plane = h * w, n = channel_count(shape_) * plane;
        for (std::size_t c = 0; c < channel_count(shape_); ++c) {
            const T* src = x.data() + c * plane;
            T* gx = g.data() + c * plane;
            T* gy = g.data() + n + c * plane;
            if (boundary_ == Boundary::periodic) detail::gradient_periodic(src, gx, gy, h, w);
            else detail::gradient_neumann(src, gx, gy, h, w);
        }
    }

    /// x = ∇ᵀg = −div g.
    void apply_adjoint(const range_type& g, domain_type& x) const {
        constexpr const char* where = "lucid::ops::Gradient::apply_adjoint";
        require_shape(where, "y", g.shape(), range_shape());
        require_shape(where, "x", x.shape(), shape_);
        const auto [h, w] = plane_shape(shape_);
        const std::size_t plane = h * w, n = channel_count(shape_) * plane;
        for (std::size_t c = 0; c < channel_count(shape_); ++c) {
            const T* gx = g.data() + c * plane;
            const T* gy = g.data() + n + c * plane;
            T* dst = x.data() + c * plane;
            if (boundary_ == Boundary::periodic) detail::divergence_periodic(gx, gy, dst, h, w, T(-1));
            else detail::divergence_neumann(gx, gy, dst, h, w, T(-1));
        }
    }

    /// Periodic: Fourier symbols of ∂x (block 0) and ∂y (block 1) on the H×(W/2+1)
    /// grid, ∂̂x = e^{2πi l/W} − 1, ∂̂y = e^{2πi k/H} − 1. Neumann: nullopt.
    std::optional<Spectrum<T>> spectrum() const {
        if (boundary_ != Boundary::periodic) return std::nullopt;
        return detail::periodic_difference_symbols<T>(plane_shape(shape_));
    }

    /// Symbol of ∇ᵀ∇ = −Δ. Neumann: cosine eigenvalues (2 − 2cos(πk/H)) + (2 − 2cos(πl/W))
    /// on the H×W grid; periodic: Fourier eigenvalues (2 − 2cos(2πk/H)) + (2 − 2cos(2πl/W)).
    std::optional<Spectrum<T>> gram_spectrum() const {
        if (boundary_ == Boundary::periodic) return detail::periodic_gram_symbol<T>(plane_shape(shape_));
        return detail::neumann_gram_symbol<T>(plane_shape(shape_));
    }

    /// ‖∇‖₂² upper bound 8 (attained asymptotically; exact maximum of the symbol).
    T squared_norm_bound() const { return T(8); }

private:
    Shape<Rank> shape_;
    Boundary boundary_;
};

}  // namespace lucid::ops
