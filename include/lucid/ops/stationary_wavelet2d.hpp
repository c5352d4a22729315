#pragma once
/// \file stationary_wavelet2d.hpp
/// The undecimated (stationary, à trous) 2-D wavelet transform as a Parseval tight frame.

#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/wavelet2d.hpp"
#include "lucid/ops/wavelet_filters.hpp"
#include "lucid/ops/wavelet_kernels.hpp"

namespace lucid::ops {

/// The L-level stationary (undecimated, à trous) 2-D wavelet transform with
/// periodic boundary, normalized to be a Parseval tight frame: WᵀW = I and
/// ‖Wx‖ = ‖x‖ (W is tall: 3L+1 coefficient planes per image plane; WWᵀ ≠ I).
///
/// Level l = 1…L filters the previous approximation a_{l−1} (a₀ = x) with the
/// orthonormal filters divided by √2 and dilated by s = 2^(l−1), along rows then columns:
/// \f[ (h_s \star a)_m = \tfrac{1}{\sqrt2} \sum_k f_k\, a_{(m + s(c - k)) \bmod n}, \qquad c = F/2, \f]
/// and likewise with g for the high-pass. Because |f̂(ω)|² + |ĝ(ω)|² = 2 for every ω,
/// each level preserves energy, so the frame is Parseval for any H×W (no
/// divisibility rule) and the left inverse is the adjoint (to round-off; symN to
/// ~1e-11, the precision of their published taps).
///
/// Range layout: an array with a leading band axis of size 3L+1, shape
/// {3L+1, H, W} (Rank 2) or {3L+1, C, H, W} (Rank 3): band 0 = cA_L, then for
/// l = L down to 1 the bands 1+3(L−l) + {0, 1, 2} = cH_l, cV_l, cD_l — the order of
/// `pywt.swt2(x, name, level=L, trim_approx=True, norm=True)` flattened, which it
/// equals exactly when 2^L divides H and W (PyWavelets requires it).
///
/// Filters: every wavelet of ops/wavelet_filters.hpp (haar, dbN, symN, coifN).
/// Levels: 1 ≤ L and 2^L ≤ max(H, W). `apply` / `apply_adjoint` do not allocate.
///
/// \code
/// ops::StationaryWavelet2D<double> S("db2", {256, 256}, 3);   // range {10, 256, 256}
/// auto c = S(x);
/// auto x2 = S.adjoint_of(c);                                   // = x (Parseval)
/// \endcode
template <class T, std::size_t Rank = 2>
class StationaryWavelet2D : public OperatorBase<StationaryWavelet2D<T, Rank>> {
    static_assert(std::is_floating_point_v<T>, "StationaryWavelet2D<T>: T must be float or double");
    static_assert(Rank == 2 || Rank == 3, "StationaryWavelet2D acts on H×W images or C×H×W stacks");
    static constexpr const char* where_ = "lucid::ops::StationaryWavelet2D";

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank + 1>;

    /// The `levels`-level stationary transform with wavelet `name` on images of `shape`.
    StationaryWavelet2D(std::string_view name, Shape<Rank> shape, int levels) : shape_(shape) {
        const WaveletFilter& f = wavelet_filter(name);
        name_ = std::string(f.name);
        bool nonempty = true;
        for (auto s : shape_) nonempty = nonempty && s > 0;
        require(nonempty, where_, "shape", "non-empty (every extent >= 1)", shape_string(shape_));
        const Shape<2> hw = plane_shape(shape_);
        require(levels >= 1, where_, "levels", ">= 1", levels);
        const std::size_t big = std::max(hw[0], hw[1]);
        std::size_t maxl = 0;
        while ((std::size_t(2) << maxl) <= big && maxl < 60) ++maxl;
        if (std::size_t(levels) > maxl)
            lucid::detail::fail_argument(where_, "levels",
                                         lucid::detail::concat("such that 2^levels <= max(height, width) (shape ",
                                                               shape_string(shape_), " allows at most ", maxl,
                                                               " levels)"),
                                         levels);
        levels_ = std::size_t(levels);
        const std::size_t F = f.length();
        const T s = T(1) / std::sqrt(T(2));
        for (std::size_t k = 0; k < F; ++k) {
            lo_.push_back(T(f.dec_lo[k]) * s);
            hi_.push_back(T(f.dec_hi[k]) * s);
        }
        lo_rev_.assign(lo_.rbegin(), lo_.rend());
        hi_rev_.assign(hi_.rbegin(), hi_.rend());
        slots_ = std::size_t(std::max(1, num_threads()));
        scratch_stride_ = lucid::detail::wavelet::row_scratch_size(hw[1], F, std::size_t(1) << (levels_ - 1));
        scratch_ = fft::AlignedBuffer<T>(slots_ * scratch_stride_);
        tmp_stride_ = lucid::detail::wavelet::padded_stride<T>(hw[1]);
        const std::size_t plane = hw[0] * tmp_stride_;
        approx_ = fft::AlignedBuffer<T>(plane);
        rows_lo_ = fft::AlignedBuffer<T>(plane);
        rows_hi_ = fft::AlignedBuffer<T>(plane);
    }

    Shape<Rank> domain_shape() const { return shape_; }
    Shape<Rank + 1> range_shape() const {
        Shape<Rank + 1> s;
        s[0] = bands();
        for (std::size_t i = 0; i < Rank; ++i) s[i + 1] = shape_[i];
        return s;
    }
    const std::string& name() const { return name_; }
    std::size_t levels() const { return levels_; }
    std::size_t filter_length() const { return lo_.size(); }
    /// Number of coefficient planes per image plane: 3L + 1.
    std::size_t bands() const { return 3 * levels_ + 1; }
    /// Index along the band axis of a sub-band: 0 for the approximation (level L),
    /// 1 + 3(L − level) + {0, 1, 2} for horizontal, vertical, diagonal details.
    std::size_t band_index(std::size_t level, WaveletOrientation o) const {
        if (o == WaveletOrientation::approximation) return 0;
        require(level >= 1 && level <= levels_, "lucid::ops::StationaryWavelet2D::band_index", "level",
                lucid::detail::concat("in [1, ", levels_, "]"), level);
        return 1 + 3 * (levels_ - level) + std::size_t(o) - 1;
    }
    /// Level (1 = finest … L) and orientation of band b.
    std::pair<std::size_t, WaveletOrientation> band_info(std::size_t b) const {
        require(b < bands(), "lucid::ops::StationaryWavelet2D::band_info", "b",
                lucid::detail::concat("< ", bands()), b);
        if (b == 0) return {levels_, WaveletOrientation::approximation};
        return {levels_ - (b - 1) / 3, WaveletOrientation(1 + (b - 1) % 3)};
    }

    /// c = W x: all 3L+1 coefficient planes (see the class comment for the layout).
    void apply(const domain_type& x, range_type& y) const {
        constexpr const char* where = "lucid::ops::StationaryWavelet2D::apply";
        require_shape(where, "x", x.shape(), shape_);
        require_shape(where, "y", y.shape(), range_shape());
        const std::size_t C = channel_count(shape_);
        for (std::size_t c = 0; c < C; ++c) forward_plane(x.data() + c * plane_size(), y.data(), c);
    }

    /// x = Wᵀ c (the left inverse: WᵀW = I).
    void apply_adjoint(const range_type& y, domain_type& x) const {
        constexpr const char* where = "lucid::ops::StationaryWavelet2D::apply_adjoint";
        require_shape(where, "y", y.shape(), range_shape());
        require_shape(where, "x", x.shape(), shape_);
        const std::size_t C = channel_count(shape_);
        for (std::size_t c = 0; c < C; ++c) adjoint_plane(y.data(), c, x.data() + c * plane_size());
    }

    /// WᵀW = I: the constant symbol 1.
    std::optional<Spectrum<T>> gram_spectrum() const { return Spectrum<T>::constant(T(1)); }

private:
    std::size_t plane_size() const {
        const Shape<2> hw = plane_shape(shape_);
        return hw[0] * hw[1];
    }
    // Plane of band b, channel c inside a range array.
    T* band(T* y, std::size_t b, std::size_t c) const { return y + (b * channel_count(shape_) + c) * plane_size(); }
    const T* band(const T* y, std::size_t b, std::size_t c) const {
        return y + (b * channel_count(shape_) + c) * plane_size();
    }

    void forward_plane(const T* x, T* y, std::size_t c) const {
        const auto [H, W] = plane_shape(shape_);
        const std::size_t F = lo_.size(), ts = tmp_stride_;
        const std::ptrdiff_t half = std::ptrdiff_t(F / 2);
        const T* a = x;
        std::size_t sa = W;
        for (std::size_t l = 1; l <= levels_; ++l) {
            const std::size_t s = std::size_t(1) << (l - 1);
            const std::ptrdiff_t shift = std::ptrdiff_t(s) * half;
            lucid::detail::wavelet::atrous_rows_split(a, sa, rows_lo_.data(), ts, rows_hi_.data(), ts, H, W, lo_.data(),
                                             hi_.data(), F, shift, s, scratch_.data(), scratch_stride_, slots_);
            const std::size_t first = 1 + 3 * (levels_ - l);
            T* next = l == levels_ ? band(y, 0, c) : approx_.data();
            const std::size_t sn = l == levels_ ? W : ts;
            lucid::detail::wavelet::atrous_cols_split(rows_lo_.data(), ts, next, sn, band(y, first, c), W, H, W, lo_.data(),
                                             hi_.data(), F, shift, s);  // cA_l, cH_l
            lucid::detail::wavelet::atrous_cols_split(rows_hi_.data(), ts, band(y, first + 1, c), W, band(y, first + 2, c), W, H,
                                             W, lo_.data(), hi_.data(), F, shift, s);  // cV_l, cD_l
            a = next;
            sa = sn;
        }
    }

    // The transpose, level L down to 1. Row and column filters commute, so each
    // level runs the row transposes first: a_{l−1} = C_loᵀ(R_loᵀ cA + R_hiᵀ cV) + C_hiᵀ(R_loᵀ cH + R_hiᵀ cD).
    void adjoint_plane(const T* y, std::size_t c, T* x) const {
        const auto [H, W] = plane_shape(shape_);
        const std::size_t F = lo_.size(), ts = tmp_stride_;
        const std::ptrdiff_t back = std::ptrdiff_t(F - 1 - F / 2);
        for (std::size_t l = levels_; l >= 1; --l) {
            const std::size_t s = std::size_t(1) << (l - 1);
            const std::ptrdiff_t shift = std::ptrdiff_t(s) * back;
            const std::size_t first = 1 + 3 * (levels_ - l);
            const T* a = l == levels_ ? band(y, 0, c) : approx_.data();
            const std::size_t sa = l == levels_ ? W : ts;
            lucid::detail::wavelet::atrous_rows_merge(a, sa, band(y, first + 1, c), W, rows_lo_.data(), ts, H, W, lo_rev_.data(),
                                             hi_rev_.data(), F, shift, s, scratch_.data(), scratch_stride_, slots_);
            lucid::detail::wavelet::atrous_rows_merge(band(y, first, c), W, band(y, first + 2, c), W, rows_hi_.data(), ts, H, W,
                                             lo_rev_.data(), hi_rev_.data(), F, shift, s, scratch_.data(),
                                             scratch_stride_, slots_);
            T* out = l == 1 ? x : approx_.data();
            lucid::detail::wavelet::atrous_cols_merge(rows_lo_.data(), ts, rows_hi_.data(), ts, out, l == 1 ? W : ts, H, W,
                                             lo_rev_.data(), hi_rev_.data(), F, shift, s);
        }
    }

    std::string name_;
    Shape<Rank> shape_;
    std::size_t levels_ = 0;
    std::vector<T> lo_, hi_, lo_rev_, hi_rev_;  // taps / √2, and reversed for the adjoint
    std::size_t slots_ = 1, scratch_stride_ = 0, tmp_stride_ = 0;
    mutable fft::AlignedBuffer<T> scratch_, approx_, rows_lo_, rows_hi_;
};

}  // namespace lucid::ops
