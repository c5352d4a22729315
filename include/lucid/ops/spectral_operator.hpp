#pragma once
/// \file spectral_operator.hpp
/// An operator applied as a pointwise multiplier in a transform domain:
/// A x = T⁻¹ (Â ⊙ T x), with T the 2-D DFT (r2c/c2r) or the 2-D DCT-II.
/// One transform pair per image plane, no allocation after construction.

#include <complex>
#include <cstddef>
#include <memory>

#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/ops/detail/convolution_kernels.hpp"
#include "lucid/ops/spectrum.hpp"

namespace lucid::ops {

/// A x = T⁻¹(Â ⊙ T x) on H×W images (Rank 2) or C×H×W stacks (Rank 3, per channel).
template <class T, std::size_t Rank = 2>
class SpectralOperator : public OperatorBase<SpectralOperator<T, Rank>> {
public:
    using scalar_type = T;
    using domain_type = xt::xtensor<T, Rank>;
    using range_type = xt::xtensor<T, Rank>;

    /// Builds the operator of a one-block symbol acting on images of `shape`.
    SpectralOperator(Spectrum<T> symbol, Shape<Rank> shape) : symbol_(std::move(symbol)), shape_(shape) {
        constexpr const char* where = "lucid::ops::SpectralOperator";
        require(symbol_.blocks() == 1, where, "symbol", "a single-block symbol",
                detail::concat(symbol_.blocks(), " blocks"));
        const Shape<2> hw = plane_shape(shape_);
        require(hw[0] > 0 && hw[1] > 0, where, "shape", "non-empty", shape_string(shape_));
        if (symbol_.transform == Transform::any) return;
        if (symbol_.plane != hw)
            detail::fail_argument<ShapeError>(where, "shape", "the plane " + shape_string(symbol_.plane) + " of the symbol",
                                              shape_string(shape_));
        if (symbol_.transform == Transform::fourier) {
            forward_ = fft::plan<T>(fft::Kind::r2c, hw[0], hw[1]);
            inverse_ = fft::plan<T>(fft::Kind::c2r, hw[0], hw[1]);
            spectrum_ = fft::AlignedBuffer<std::complex<T>>(hw[0] * (hw[1] / 2 + 1));
        } else {
            forward_ = fft::plan<T>(fft::Kind::dct2, hw[0], hw[1]);
            inverse_ = fft::plan<T>(fft::Kind::dct3, hw[0], hw[1]);
            coeffs_ = fft::AlignedBuffer<T>(hw[0] * hw[1]);
        }
    }

    /// Replaces the symbol in place by f(base) elementwise, without allocating:
    /// e.g. (c·Ĝ + 1)⁻¹ for a new c from the gram symbol Ĝ inside a solver loop.
    /// `base` must have this operator's transform and grid.
    template <class F>
    void assign_symbol(const Spectrum<T>& base, F&& f) {
        if (base.transform != symbol_.transform || base.values.shape() != symbol_.values.shape())
            throw ShapeError("lucid::ops::SpectralOperator::assign_symbol: base symbol has another transform or grid");
        const auto* in = base.values.data();
        auto* out = symbol_.values.data();
        for (std::size_t i = 0, n = symbol_.values.size(); i < n; ++i) out[i] = f(in[i]);
    }

    Shape<Rank> domain_shape() const { return shape_; }
    Shape<Rank> range_shape() const { return shape_; }
    const Spectrum<T>& symbol() const { return symbol_; }
    std::optional<Spectrum<T>> spectrum() const { return symbol_; }

    /// y = T⁻¹(Â ⊙ T x).
    void apply(const domain_type& x, range_type& y) const { run(x, y, false); }
    /// x = T⁻¹(conj(Â) ⊙ T y).
    void apply_adjoint(const range_type& y, domain_type& x) const { run(y, x, true); }

private:
    void run(const domain_type& in, range_type& out, bool conjugate) const {
        constexpr const char* where = "lucid::ops::SpectralOperator::apply";
        require_shape(where, "x", in.shape(), shape_);
        require_shape(where, "y", out.shape(), shape_);
        const Shape<2> hw = plane_shape(shape_);
        const std::size_t plane = hw[0] * hw[1];
        const std::size_t channels = channel_count(shape_);
        const auto* sym = symbol_.values.data();
        if (symbol_.transform == Transform::any) {
            const T c = conjugate ? std::conj(sym[0]).real() : sym[0].real();
            for (std::size_t i = 0; i < in.size(); ++i) out.data()[i] = c * in.data()[i];
            return;
        }
        for (std::size_t c = 0; c < channels; ++c) {
            const T* src = in.data() + c * plane;
            T* dst = out.data() + c * plane;
            if (symbol_.transform == Transform::fourier) {
                const std::size_t n = hw[0] * (hw[1] / 2 + 1);
                std::complex<T>* s = spectrum_.data();
                forward_->r2c(src, s);
                detail::conv::multiply_spectrum(s, sym, n, conjugate, T(1) / T(plane));  // s ← s·Â/(HW)
                inverse_->c2r(s, dst);
            } else {
                T* s = coeffs_.data();
                forward_->r2r(src, s);
                const T norm = T(1) / T(4 * plane);
                for (std::size_t i = 0; i < plane; ++i) s[i] *= sym[i].real() * norm;
                inverse_->r2r(s, dst);
            }
        }
    }

    Spectrum<T> symbol_;
    Shape<Rank> shape_;
    std::shared_ptr<const fft::Plan<T>> forward_, inverse_;
    mutable fft::AlignedBuffer<std::complex<T>> spectrum_;
    mutable fft::AlignedBuffer<T> coeffs_;
};

}  // namespace lucid::ops
