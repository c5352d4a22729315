#pragma once
/// \file decimation.hpp
/// Integer decimation (the forward operator of super-resolution) and its adjoint.

#include <cstddef>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/threading.hpp"

namespace lucid::ops {

/// Integer decimation by `factor` f along both axes, y = S(h ∗ x), from H×W to
/// (H/f)×(W/f) (per channel for C×H×W stacks).
///
/// - `antialias = true` (default): h is the f×f box filter aligned with the
///   sampling grid, i.e. each output pixel is the mean of its f×f block
///   (pixel binning / area integration):
///   \f[ y_{i,j} = \frac{1}{f^2} \sum_{a,b=0}^{f-1} x_{fi+a,\, fj+b}. \f]
///   The blocks tile the image, so no boundary rule is involved. Adjoint:
///   \f$ (S^{\mathsf T} y)_{fi+a,\, fj+b} = y_{i,j} / f^2 \f$ (replicate, scaled); S Sᵀ = I/f².
/// - `antialias = false`: plain subsampling \f$ y_{i,j} = x_{fi,\, fj} \f$ (keeps the
///   top-left pixel of each block, aliasing included). Adjoint: zero-filling
///   upsampling, \f$ (S^{\mathsf T} y)_{fi,\, fj} = y_{i,j} \f$ and 0 elsewhere; S Sᵀ = I.
///
/// Sizes: f must divide H and W (no padding rule); f = 1 is the identity. Combine
/// with a blur for other anti-alias filters: `compose(Decimation(...,false), K)`.
///
/// \code
/// ops::Decimation<double> S({512, 512}, 4);     // 512×512 → 128×128 block means
/// auto low = S(x);
/// auto up = S.adjoint_of(low);                  // 512×512, each block = mean/16
/// \endcode
template <class T, std::size_t Rank = 2>
class Decimation : public OperatorBase<Decimation<T, Rank>> {
    static_assert(std::is_floating_point_v<T>, "Decimation<T>: T must be float or double");
    static_assert(Rank == 2 || Rank == 3, "Decimation acts on H×W images or C×H×W stacks");
    static constexpr const char* where_ = "lucid::ops::Decimation";

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank>;

    /// Decimation of images of `shape` by `factor` (>= 1, dividing H and W).
    Decimation(Shape<Rank> shape, int factor, bool antialias = true) : shape_(shape), antialias_(antialias) {
        bool nonempty = true;
        for (auto s : shape_) nonempty = nonempty && s > 0;
        require(nonempty, where_, "shape", "non-empty (every extent >= 1)", shape_string(shape_));
        require(factor >= 1, where_, "factor", ">= 1", factor);
        const Shape<2> hw = plane_shape(shape_);
        f_ = std::size_t(factor);
        if (hw[0] % f_ != 0 || hw[1] % f_ != 0)
            detail::fail_argument(where_, "factor",
                                  detail::concat("a divisor of the height and the width (shape ", shape_string(shape_),
                                                 ")"),
                                  factor);
    }

    Shape<Rank> domain_shape() const { return shape_; }
    Shape<Rank> range_shape() const {
        const Shape<2> hw = plane_shape(shape_);
        return with_plane(shape_, Shape<2>{hw[0] / f_, hw[1] / f_});
    }
    std::size_t factor() const { return f_; }
    bool antialias() const { return antialias_; }

    /// y = S(h ∗ x): block means (antialias) or every f-th pixel.
    void apply(const domain_type& x, range_type& y) const {
        constexpr const char* where = "lucid::ops::Decimation::apply";
        require_shape(where, "x", x.shape(), shape_);
        require_shape(where, "y", y.shape(), range_shape());
        const auto [H, W] = plane_shape(shape_);
        const std::size_t h = H / f_, w = W / f_, f = f_, C = channel_count(shape_);
        const T scale = T(1) / T(f * f);
        const bool box = antialias_;
        const T* xs = x.data();
        T* ys = y.data();
        parallel_for(0, std::ptrdiff_t(C * h), [=](std::ptrdiff_t ci) {
            const std::size_t c = std::size_t(ci) / h, i = std::size_t(ci) % h;
            T* __restrict out = ys + (c * h + i) * w;
            const T* plane = xs + c * H * W;
            if (!box) {
                const T* __restrict row = plane + (f * i) * W;
                for (std::size_t j = 0; j < w; ++j) out[j] = row[f * j];
                return;
            }
            for (std::size_t j = 0; j < w; ++j) out[j] = T(0);
            for (std::size_t a = 0; a < f; ++a) {
                const T* __restrict row = plane + (f * i + a) * W;
                for (std::size_t j = 0; j < w; ++j) {
                    T s = T(0);
                    for (std::size_t b = 0; b < f; ++b) s += row[f * j + b];
                    out[j] += s;
                }
            }
            for (std::size_t j = 0; j < w; ++j) out[j] *= scale;
        }, std::ptrdiff_t(H * W * C) >= detail::parallel_threshold ? 1 : std::ptrdiff_t(C * h) + 1);
    }

    /// x = Sᵀ y: each block = y/f² (antialias), or y at the block's top-left pixel and 0 elsewhere.
    void apply_adjoint(const range_type& y, domain_type& x) const {
        constexpr const char* where = "lucid::ops::Decimation::apply_adjoint";
        require_shape(where, "y", y.shape(), range_shape());
        require_shape(where, "x", x.shape(), shape_);
        const auto [H, W] = plane_shape(shape_);
        const std::size_t h = H / f_, w = W / f_, f = f_, C = channel_count(shape_);
        const T scale = T(1) / T(f * f);
        const bool box = antialias_;
        const T* ys = y.data();
        T* xs = x.data();
        parallel_for(0, std::ptrdiff_t(C * H), [=](std::ptrdiff_t cr) {
            const std::size_t c = std::size_t(cr) / H, r = std::size_t(cr) % H;
            const T* __restrict in = ys + (c * h + r / f) * w;
            T* __restrict row = xs + (c * H + r) * W;
            if (box) {
                for (std::size_t j = 0; j < w; ++j) {
                    const T v = in[j] * scale;
                    for (std::size_t b = 0; b < f; ++b) row[f * j + b] = v;
                }
                return;
            }
            for (std::size_t k = 0; k < W; ++k) row[k] = T(0);
            if (r % f != 0) return;
            for (std::size_t j = 0; j < w; ++j) row[f * j] = in[j];
        }, std::ptrdiff_t(H * W * C) >= detail::parallel_threshold ? 1 : std::ptrdiff_t(C * H) + 1);
    }

private:
    Shape<Rank> shape_;
    std::size_t f_ = 1;
    bool antialias_ = true;
};

}  // namespace lucid::ops
