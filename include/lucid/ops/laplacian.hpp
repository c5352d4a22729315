#pragma once
/// \file laplacian.hpp
/// The 5-point Laplacian Δ = div ∇ = −∇ᵀ∇.

#include <complex>
#include <cstddef>
#include <optional>
#include <type_traits>

#include <xtensor/xtensor.hpp>

#include "lucid/core/aliasing.hpp"
#include "lucid/core/boundary.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/finite_differences.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/spectrum.hpp"

namespace lucid::ops {

/// The discrete Laplacian Δ = −∇ᵀ∇ with the boundary of ops::Gradient:
///
/// \f[ (\Delta x)_{i,j} = \sum_{n \in \mathcal N(i,j)} (x_n - x_{i,j}) \f]
/// over the 4 neighbours; Neumann (`reflect`): only neighbours inside the image
/// (so 2 or 3 terms at borders and corners); periodic: indices wrap
/// (x[i,j−1] + x[i,j+1] + x[i−1,j] + x[i+1,j] − 4x[i,j]). Self-adjoint,
/// negative semi-definite, ‖Δ‖ ≤ 8, constants in its kernel.
///
/// `spectrum()`: periodic, the Fourier symbol −(2 − 2cos(2πk/H)) − (2 − 2cos(2πl/W))
/// on the H×(W/2+1) grid; Neumann, the DCT-II eigenvalues
/// −(2 − 2cos(πk/H)) − (2 − 2cos(πl/W)) on the H×W grid, Δx = DCT3(λ ⊙ DCT2(x))/(4HW).
template <class T, std::size_t Rank = 2>
class Laplacian : public OperatorBase<Laplacian<T, Rank>> {
    static_assert(std::is_floating_point_v<T>, "Laplacian<T>: T must be float or double");
    static_assert(Rank == 2 || Rank == 3, "Laplacian acts on H×W images or C×H×W stacks");

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank>;

    /// Δ on images of `shape` (H×W or C×H×W) with `boundary` = reflect (Neumann) or periodic.
    explicit Laplacian(Shape<Rank> shape, Boundary boundary = Boundary::reflect)
        : shape_(shape), boundary_(detail::difference_boundary("lucid::ops::Laplacian", boundary)) {
        detail::require_difference_shape("lucid::ops::Laplacian", shape_);
    }

    Shape<Rank> domain_shape() const { return shape_; }
    Shape<Rank> range_shape() const { return shape_; }
    Boundary boundary() const { return boundary_; }

    /// y = Δx (5-point stencil, one fused pass).
    void apply(const domain_type& x, range_type& y) const {
        constexpr const char* where = "lucid::ops::Laplacian::apply";
        require_shape(where, "x", x.shape(), shape_);
        require_shape(where, "y", y.shape(), shape_);
        require_distinct_storage(where, "x", x, "y", y);  // the stencil reads neighbours already written
        const auto [h, w] = plane_shape(shape_);
        const std::size_t plane = h * w;
        for (std::size_t c = 0; c < channel_count(shape_); ++c) {
            if (boundary_ == Boundary::periodic) detail::laplacian_periodic(x.data() + c * plane, y.data() + c * plane, h, w);
            else detail::laplacian_neumann(x.data() + c * plane, y.data() + c * plane, h, w);
        }
    }

    /// x = Δᵀy = Δy (self-adjoint).
    void apply_adjoint(const range_type& y, domain_type& x) const { apply(y, x); }

    /// The (real) symbol of Δ: Fourier for periodic, cosine (DCT-II) for Neumann.
    std::optional<Spectrum<T>> spectrum() const {
        const Shape<2> plane = plane_shape(shape_);
        auto s = boundary_ == Boundary::periodic ? detail::periodic_gram_symbol<T>(plane)
                                                 : detail::neumann_gram_symbol<T>(plane);
        s.values *= std::complex<T>(-1);
        return s;
    }

private:
    Shape<Rank> shape_;
    Boundary boundary_;
};

}  // namespace lucid::ops
