#pragma once
/// \file divergence.hpp
/// The discrete divergence div = −∇ᵀ, the negative adjoint of ops::Gradient.

#include <cstddef>
#include <optional>
#include <type_traits>

#include <xtensor/xtensor.hpp>

#include "lucid/core/boundary.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/finite_differences.hpp"
#include "lucid/ops/gradient.hpp"

namespace lucid::ops {

/// The divergence of a vector field p = (p₀, p₁) = (x-component, y-component):
///
/// \f[ \operatorname{div} p = -\nabla^{\mathsf T} p, \qquad
///     (\operatorname{div} p)_{i,j} = p_{0,i,j} - p_{0,i,j-1} + p_{1,i,j} - p_{1,i-1,j} \f]
/// (backward differences), with the boundary of the matching ops::Gradient:
/// Neumann (`reflect`): p₀ is taken as 0 in column −1 and column W−1, p₁ in row −1
/// and row H−1; periodic: indices wrap. Domain {2, H, W} (or {2, C, H, W}),
/// range H×W (or C×H×W). Its adjoint is −∇.
///
/// \code
/// ops::Divergence<double> div({64, 64});
/// auto d = div(p);            // p of shape {2, 64, 64}
/// \endcode
template <class T, std::size_t Rank = 2>
class Divergence : public OperatorBase<Divergence<T, Rank>> {
    static_assert(std::is_floating_point_v<T>, "Divergence<T>: T must be float or double");
    static_assert(Rank == 2 || Rank == 3, "Divergence acts on fields over H×W images or C×H×W stacks");

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank + 1>;
    using range_type = xt::xtensor<T, Rank>;

    /// div = −∇ᵀ for fields over images of `shape` (H×W or C×H×W).
    explicit Divergence(Shape<Rank> shape, Boundary boundary = Boundary::reflect)
        : shape_(shape), boundary_(detail::difference_boundary("lucid::ops::Divergence", boundary)) {
        detail::require_difference_shape("lucid::ops::Divergence", shape_);
    }

    Shape<Rank + 1> domain_shape() const { return detail::gradient_range_shape(shape_); }
    Shape<Rank> range_shape() const { return shape_; }
    Boundary boundary() const { return boundary_; }

    /// out = div p = −∇ᵀp.
    void apply(const domain_type& p, range_type& out) const {
        constexpr const char* where = "lucid::ops::Divergence::apply";
        require_shape(where, "x", p.shape(), domain_shape());
        require_shape(where, "y", out.shape(), shape_);
        run(p, out, T(1));
    }

    /// p = divᵀ y = −∇y.
    void apply_adjoint(const range_type& y, domain_type& p) const {
        constexpr const char* where = "lucid::ops::Divergence::apply_adjoint";
        require_shape(where, "y", y.shape(), shape_);
        require_shape(where, "x", p.shape(), domain_shape());
        const auto [h, w] = plane_shape(shape_);
        const std::size_t plane = h * w, n = channel_count(shape_) * plane;
        for (std::size_t c = 0; c < channel_count(shape_); ++c) {
            T* gx = p.data() + c * plane;
            T* gy = p.data() + n + c * plane;
            if (boundary_ == Boundary::periodic) detail::gradient_periodic(y.data() + c * plane, gx, gy, h, w);
            else detail::gradient_neumann(y.data() + c * plane, gx, gy, h, w);
        }
        T* q = p.data();
        for (std::size_t i = 0; i < 2 * n; ++i) q[i] = -q[i];
    }

private:
    void run(const domain_type& p, range_type& out, T s) const {
        const auto [h, w] = plane_shape(shape_);
        const std::size_t plane = h * w, n = channel_count(shape_) * plane;
        for (std::size_t c = 0; c < channel_count(shape_); ++c) {
            const T* px = p.data() + c * plane;
            const T* py = p.data() + n + c * plane;
            T* dst = out.data() + c * plane;
            if (boundary_ == Boundary::periodic) detail::divergence_periodic(px, py, dst, h, w, s);
            else detail::divergence_neumann(px, py, dst, h, w, s);
        }
    }

    Shape<Rank> shape_;
    Boundary boundary_;
};

/// out = div p = −∇ᵀp for a field p of shape {2, H, W} (or {2, C, H, W}) into a
/// caller buffer of shape H×W (or C×H×W); no allocation.
/// \f$ (\operatorname{div} p)_{i,j} = p_{0,i,j} - p_{0,i,j-1} + p_{1,i,j} - p_{1,i-1,j} \f$
/// with the boundary of ops::Gradient (reflect = Neumann, or periodic).
template <class T, std::size_t N>
void divergence(const xt::xtensor<T, N + 1>& p, xt::xtensor<T, N>& out, Boundary boundary = Boundary::reflect) {
    Shape<N> shape;
    for (std::size_t i = 0; i < N; ++i) shape[i] = out.shape()[i];
    Divergence<T, N>(shape, boundary).apply(p, out);
}

/// div p = −∇ᵀp, allocating the result (shape = p's shape without the leading 2).
template <class T, std::size_t M>
xt::xtensor<T, M - 1> divergence(const xt::xtensor<T, M>& p, Boundary boundary = Boundary::reflect) {
    static_assert(M == 3 || M == 4, "divergence takes a field of shape {2, H, W} or {2, C, H, W}");
    constexpr std::size_t N = M - 1;
    require(p.shape()[0] == 2, "lucid::ops::divergence", "p", "a field with a leading axis of size 2",
            shape_string(p.shape()));
    Shape<N> shape;
    for (std::size_t i = 0; i < N; ++i) shape[i] = p.shape()[i + 1];
    xt::xtensor<T, N> out(shape);
    Divergence<T, N>(shape, boundary).apply(p, out);
    return out;
}

}  // namespace lucid::ops
