#pragma once
/// \file wavelet2d.hpp
/// The orthonormal multi-level 2-D discrete wavelet transform (periodization).

#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/aliasing.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/ops/wavelet_filters.hpp"
#include "lucid/ops/wavelet_kernels.hpp"

namespace lucid::ops {

/// Which coefficients a wavelet sub-band holds (PyWavelets' names).
enum class WaveletOrientation {
    approximation,  ///< cA: low-pass along both axes
    horizontal,     ///< cH ('da'): high-pass along y (rows axis), low-pass along x — horizontal edges
    vertical,       ///< cV ('ad'): low-pass along y, high-pass along x — vertical edges
    diagonal        ///< cD ('dd'): high-pass along both axes
};

/// A rectangular block of coefficients in the Wavelet2D pyramid layout:
/// rows [row, row + rows) × columns [col, col + cols) of each coefficient plane.
struct WaveletSubband {
    std::size_t level;               ///< 1 = finest … L = coarsest (the approximation has level L)
    WaveletOrientation orientation;
    std::size_t row, col, rows, cols;
};

/// Largest L such that 2^L divides both the height and the width (the most levels
/// Wavelet2D accepts for that shape; 0 if one of them is odd).
inline std::size_t max_wavelet_levels(Shape<2> plane) {
    std::size_t l = 0;
    while (plane[0] % (std::size_t(2) << l) == 0 && plane[1] % (std::size_t(2) << l) == 0 && l < 60) ++l;
    return l;
}

/// The orthonormal L-level 2-D DWT W with periodic extension ("periodization"),
/// identical to PyWavelets'
/// `pywt.coeffs_to_array(pywt.wavedec2(x, name, mode='periodization', level=L))[0]`.
///
/// One level splits an h×w block with the analysis filters f = dec_lo, g = dec_hi
/// (F taps, c = F/2), along rows then columns:
/// \f[ a_i = \sum_k f_k\, x_{(2i + c - k) \bmod n}, \qquad d_i = \sum_k g_k\, x_{(2i + c - k) \bmod n} \f]
/// and the next level transforms the low-low quarter. The range is an H×W array
/// in the pyramid layout: with h_l = H/2^(l−1), w_l = W/2^(l−1),
/// cH_l = y[h_l/2 : h_l, 0 : w_l/2], cV_l = y[0 : h_l/2, w_l/2 : w_l],
/// cD_l = y[h_l/2 : h_l, w_l/2 : w_l], and cA_L = y[0 : H/2^L, 0 : W/2^L]
/// (see `subbands()`). W is square and orthonormal: WᵀW = WWᵀ = I, ‖Wx‖ = ‖x‖,
/// and the adjoint is the inverse transform (perfect reconstruction) — to
/// round-off, except for symN, whose published 12-digit taps are orthonormal to
/// ~5e-12 only (the adjoint is the exact transpose in every case).
/// Rank 3 (C×H×W) transforms each channel plane.
///
/// Sizes: 2^L must divide H and W (no padding rule); otherwise the constructor
/// throws, naming `levels` and the shape. Filters: haar (= db1), db2–db8,
/// sym2–sym8, coif1–coif5 (ops/wavelet_filters.hpp). `apply` and
/// `apply_adjoint` do not allocate; x and y must be distinct arrays.
///
/// \code
/// ops::Wavelet2D<double> W("db4", {512, 768}, 4);
/// auto c = W(x);              // coefficients, same shape as x
/// auto x2 = W.adjoint_of(c);  // = x up to round-off
/// \endcode
template <class T, std::size_t Rank = 2>
class Wavelet2D : public OperatorBase<Wavelet2D<T, Rank>> {
    static_assert(std::is_floating_point_v<T>, "Wavelet2D<T>: T must be float or double");
    static_assert(Rank == 2 || Rank == 3, "Wavelet2D acts on H×W images or C×H×W stacks");

    static constexpr const char* where_ = "lucid::ops::Wavelet2D";

public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank>;

    /// The `levels`-level DWT with wavelet `name` on images of `shape` (H×W or C×H×W).
    Wavelet2D(std::string_view name, Shape<Rank> shape, int levels) : shape_(shape) {
        const WaveletFilter& f = wavelet_filter(name);  // throws on an unknown name
        name_ = std::string(f.name);
        const Shape<2> hw = plane_shape(shape_);
        bool nonempty = true;
        for (auto s : shape_) nonempty = nonempty && s > 0;
        require(nonempty, where_, "shape", "non-empty (every extent >= 1)", shape_string(shape_));
        require(levels >= 1, where_, "levels", ">= 1", levels);
        const std::size_t maxl = max_wavelet_levels(hw);
        if (std::size_t(levels) > maxl)
            lucid::detail::fail_argument(where_, "levels",
                                         lucid::detail::concat("such that 2^levels divides the height and the width "
                                                               "(shape ", shape_string(shape_), " allows at most ",
                                                               maxl, " levels)"),
                                         levels);
        levels_ = std::size_t(levels);
        lo_.assign(f.dec_lo.begin(), f.dec_lo.end());
        hi_.assign(f.dec_hi.begin(), f.dec_hi.end());
        slots_ = std::size_t(std::max(1, num_threads()));
        scratch_stride_ = lucid::detail::wavelet::dwt2_scratch_size<T>(hw[1], lo_.size());
        scratch_ = fft::AlignedBuffer<T>(slots_ * scratch_stride_);
        approx_split_ = levels_ > 1 ? (hw[0] / 2) * (hw[1] / 2) : 0;
        approx_ = fft::AlignedBuffer<T>(levels_ > 1 ? approx_split_ + (hw[0] / 4) * (hw[1] / 4) : 0);
    }

    Shape<Rank> domain_shape() const { return shape_; }
    Shape<Rank> range_shape() const { return shape_; }
    /// The wavelet's name ("haar" for "db1").
    const std::string& name() const { return name_; }
    std::size_t levels() const { return levels_; }
    /// Number of filter taps F.
    std::size_t filter_length() const { return lo_.size(); }
    /// Size of the coarsest approximation block cA_L: {H/2^L, W/2^L}. Every other
    /// coefficient of the plane is a detail coefficient.
    Shape<2> approximation_shape() const {
        const Shape<2> hw = plane_shape(shape_);
        return {hw[0] >> levels_, hw[1] >> levels_};
    }
    /// The sub-bands of one coefficient plane, in PyWavelets' order
    /// [cA_L, cH_L, cV_L, cD_L, …, cH_1, cV_1, cD_1].
    std::vector<WaveletSubband> subbands() const {
        const Shape<2> hw = plane_shape(shape_);
        std::vector<WaveletSubband> out;
        const auto a = approximation_shape();
        out.push_back({levels_, WaveletOrientation::approximation, 0, 0, a[0], a[1]});
        for (std::size_t l = levels_; l >= 1; --l) {
            const std::size_t h2 = hw[0] >> l, w2 = hw[1] >> l;
            out.push_back({l, WaveletOrientation::horizontal, h2, 0, h2, w2});
            out.push_back({l, WaveletOrientation::vertical, 0, w2, h2, w2});
            out.push_back({l, WaveletOrientation::diagonal, h2, w2, h2, w2});
        }
        return out;
    }

    /// y = W x: the L-level periodized DWT of each plane in the pyramid layout.
    void apply(const domain_type& x, range_type& y) const {
        constexpr const char* where = "lucid::ops::Wavelet2D::apply";
        require_shape(where, "x", x.shape(), shape_);
        require_shape(where, "y", y.shape(), shape_);
        require_distinct_storage(where, "x", x, "y", y);  // each level reads rows the previous one wrote
        const auto [H, W] = plane_shape(shape_);
        for (std::size_t c = 0; c < channel_count(shape_); ++c) forward_plane(x.data() + c * H * W, y.data() + c * H * W);
    }

    /// x = Wᵀ y = W⁻¹ y: the inverse DWT (synthesis), level L down to 1.
    void apply_adjoint(const range_type& y, domain_type& x) const {
        constexpr const char* where = "lucid::ops::Wavelet2D::apply_adjoint";
        require_shape(where, "y", y.shape(), shape_);
        require_shape(where, "x", x.shape(), shape_);
        require_distinct_storage(where, "y", y, "x", x);
        const auto [H, W] = plane_shape(shape_);
        for (std::size_t c = 0; c < channel_count(shape_); ++c) inverse_plane(y.data() + c * H * W, x.data() + c * H * W);
    }

    /// x = W⁻¹ y (the same as apply_adjoint: W is orthonormal).
    void inverse(const range_type& y, domain_type& x) const { apply_adjoint(y, x); }

    /// WᵀW = I: the constant symbol 1.
    std::optional<Spectrum<T>> gram_spectrum() const { return Spectrum<T>::constant(T(1)); }

private:
    // cA_j (j < L) lives in a scratch region, alternating between two so that a
    // level never reads and writes the same memory: odd j in the first (H/2·W/2
    // elements), even j in the second (H/4·W/4).
    T* region(std::size_t j) const { return j % 2 ? approx_.data() : approx_.data() + approx_split_; }

    void forward_plane(const T* x, T* y) const {
        const auto [H, W] = plane_shape(shape_);
        const std::size_t F = lo_.size();
        const T* src = x;
        std::size_t ss = W;
        for (std::size_t l = 1; l <= levels_; ++l) {
            const std::size_t h = H >> (l - 1), w = W >> (l - 1);
            T* ll = l == levels_ ? y : region(l);
            const std::size_t ls = l == levels_ ? W : w / 2;
            lucid::detail::wavelet::dwt2_level(src, ss, ll, ls, y, W, h, w, lo_.data(), hi_.data(), F,
                                               scratch_.data(), scratch_stride_, slots_);
            src = ll;
            ss = ls;
        }
    }

    void inverse_plane(const T* y, T* x) const {
        const auto [H, W] = plane_shape(shape_);
        const std::size_t F = lo_.size();
        for (std::size_t l = levels_; l >= 1; --l) {
            const std::size_t h = H >> (l - 1), w = W >> (l - 1);
            const T* approx = l == levels_ ? y : region(l);
            const std::size_t as = l == levels_ ? W : w / 2;
            T* dst = l == 1 ? x : region(l - 1);
            const std::size_t ds = l == 1 ? W : w;
            lucid::detail::wavelet::idwt2_level(approx, as, y, W, dst, ds, h, w, lo_.data(), hi_.data(), F,
                                                scratch_.data(), scratch_stride_, slots_);
        }
    }

    std::string name_;
    Shape<Rank> shape_;
    std::size_t levels_ = 0;
    std::vector<T> lo_, hi_;
    std::size_t slots_ = 1, scratch_stride_ = 0, approx_split_ = 0;
    mutable fft::AlignedBuffer<T> scratch_;  // per parallel block: ring buffers and one padded row
    mutable fft::AlignedBuffer<T> approx_;   // intermediate approximations cA_1 … cA_{L−1}
};

}  // namespace lucid::ops
