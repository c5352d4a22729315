#pragma once
/// \file wiener.hpp
/// Wiener deconvolution in the Fourier domain (periodic) or the DCT domain
/// (reflect boundary with a symmetric kernel).

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/linear_operator.hpp"
#include "lucid/core/real_filter.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/solvers/status.hpp"

namespace lucid {

/// Parameters of `wiener`.
struct WienerParams {
    /// Noise-to-signal power ratio K of the filter conj(Â)/(|Â|² + K). > 0 wins;
    /// 0 = estimated as σ²/max(var(y) − σ², σ²) from `noise_sigma`.
    double nsr = 0;
    double noise_sigma = 0;   ///< standard deviation of the additive noise (used when nsr = 0)

    void validate() const {
        constexpr const char* where = "lucid::wiener";
        require(std::isfinite(nsr) && nsr >= 0, where, "nsr", "finite and >= 0", nsr);
        require(std::isfinite(noise_sigma) && noise_sigma >= 0, where, "noise_sigma", "finite and >= 0", noise_sigma);
        require(nsr > 0 || noise_sigma > 0, where, "nsr", "> 0, or noise_sigma > 0 to estimate it", nsr);
    }
};

namespace detail {

/// The one-block Fourier or cosine symbol of a square image operator, or an Error naming `op`.
template <class A>
Spectrum<op_scalar_t<A>> require_transform_symbol(const char* where, const A& op) {
    auto s = spectrum_of(op);
    if (!s || s->blocks() != 1 || s->transform == Transform::any)
        fail_argument(where, "op",
                      "an operator diagonalized by the DFT or the DCT (spectrum(): periodic convolution, or "
                      "reflect boundary with a symmetric kernel)",
                      s ? "a spectrum without a transform" : "an operator without a spectrum");
    const auto hw = plane_shape(op.domain_shape());
    if (s->plane != hw) fail_argument<ShapeError>(where, "op", "a spectrum on the image plane", shape_string(s->plane));
    return std::move(*s);  // a copy would cost an image-sized allocation
}

/// A one-block DFT or DCT symbol for the filters below, from the operator's
/// factored symbol when it reports one (no image-sized table: its rows are
/// formed one at a time, in cache) or else its `Spectrum` table; an Error
/// naming `op` when it has neither.
template <class T>
class FilterSymbol {
public:
    /// The symbol of op, or nullopt when op has no one-block DFT/DCT symbol on its image plane.
    template <class A>
    static std::optional<FilterSymbol> try_make(const A& op) {
        const auto plane = plane_shape(op.domain_shape());
        if (auto f = separable_spectrum_of(op); f && f->plane == plane) return FilterSymbol(std::move(*f));
        auto t = spectrum_of(op);
        if (!t || t->blocks() != 1 || t->transform == Transform::any || t->plane != plane) return std::nullopt;
        return FilterSymbol(std::move(*t));
    }

    /// The symbol of op, or an Error naming `op` and what it lacks.
    template <class A>
    FilterSymbol(const char* where, const A& op) : FilterSymbol(make_or_throw(where, op)) {}

    Transform transform() const { return transform_; }

    /// Symbol values Â[p, q0..q1) (a row has W/2 + 1 values for the DFT, W for
    /// the DCT): a pointer into the table, or the values formed in `scratch`
    /// (q1 − q0 elements) from the factors. Safe to call from several threads.
    const std::complex<T>* row(std::size_t p, std::size_t q0, std::size_t q1, std::complex<T>* scratch) const {
        if (factored_) {
            factored_->row(p, q0, q1, scratch);
            return scratch;
        }
        return table_->values.data() + p * table_->values.shape()[2] + q0;
    }

private:
    explicit FilterSymbol(SeparableSpectrum<T> f) : transform_(f.transform), factored_(std::move(f)) {}
    explicit FilterSymbol(Spectrum<T> t) : transform_(t.transform), table_(std::move(t)) {}

    template <class A>
    static FilterSymbol make_or_throw(const char* where, const A& op) {
        if (auto s = try_make(op)) return std::move(*s);
        // try_make declined: require_transform_symbol throws, naming what the operator lacks
        return FilterSymbol(require_transform_symbol(where, op));
    }

    Transform transform_ = Transform::any;
    std::optional<SeparableSpectrum<T>> factored_;
    std::optional<Spectrum<T>> table_;
};

/// out = T⁻¹(conj(Â)·r ⊙ T y) per plane, for a transform symbol Â and a real
/// gain r = `real_gain(p, q, |Â[p, q]|²)` at frequency (p, q) (written on real
/// and imaginary parts, so the loop is real arithmetic the compiler
/// vectorizes, not a complex division per coefficient).
template <class T, std::size_t Rank, class RealGain>
void apply_conj_filter(const FilterSymbol<T>& s, const xt::xtensor<T, Rank>& y, xt::xtensor<T, Rank>& out,
                       RealGain&& real_gain) {
    const auto hw = plane_shape(Shape<Rank>(y.shape()));
    const std::size_t h = hw[0], w = hw[1], plane = h * w, planes = y.size() / plane;
    if (s.transform() == Transform::fourier) {
        // m[q − q0] = conj(a)·r(|a|²)/(HW) for a = Â[p, q], q0 ≤ q < q1 (m may be
        // a's scratch: each entry is read before it is written)
        const T norm = T(1) / T(plane);
        auto conj_gain = [&](std::size_t p, std::size_t q0, std::size_t q1, std::complex<T>* m) {
            const T* a = reinterpret_cast<const T*>(s.row(p, q0, q1, m));
            T* g = reinterpret_cast<T*>(m);
            for (std::size_t i = 0; i < q1 - q0; ++i) {
                const T ar = a[2 * i], ai = a[2 * i + 1];
                const T r = real_gain(p, q0 + i, ar * ar + ai * ai) * norm;
                g[2 * i] = ar * r;
                g[2 * i + 1] = -ai * r;
            }
        };
        if (fft::filter_real_supported(h, w)) {
            // The spectrum lives in `out` itself: one image-sized buffer, not two.
            for (std::size_t c = 0; c < planes; ++c)
                fft::filter_real(y.data() + c * plane, out.data() + c * plane, h, w, conj_gain);
            return;
        }
        auto fwd = fft::plan<T>(fft::Kind::r2c, h, w), inv = fft::plan<T>(fft::Kind::c2r, h, w);
        const std::size_t wq = w / 2 + 1, n = h * wq;
        fft::AlignedBuffer<std::complex<T>> spec(n, fft::uninitialized);  // each plane's r2c fills it
        std::vector<std::complex<T>> gain(wq);
        for (std::size_t c = 0; c < planes; ++c) {
            fwd->r2c(y.data() + c * plane, spec.data());
            for (std::size_t p = 0; p < h; ++p) {
                // spec ← spec · gain, written on the real and imaginary parts
                conj_gain(p, 0, wq, gain.data());
                T* z = reinterpret_cast<T*>(spec.data() + p * wq);
                const T* g = reinterpret_cast<const T*>(gain.data());
                for (std::size_t i = 0; i < wq; ++i) {
                    const T zr = z[2 * i], zi = z[2 * i + 1], gr = g[2 * i], gi = g[2 * i + 1];
                    z[2 * i] = zr * gr - zi * gi;
                    z[2 * i + 1] = zr * gi + zi * gr;
                }
            }
            inv->c2r(spec.data(), out.data() + c * plane);
        }
    } else {
        auto fwd = fft::plan<T>(fft::Kind::dct2, h, w), inv = fft::plan<T>(fft::Kind::dct3, h, w);
        fft::AlignedBuffer<T> coef(plane, fft::uninitialized);  // each plane's DCT fills it
        std::vector<std::complex<T>> scratch(w);
        const T norm = T(1) / T(4 * plane);
        for (std::size_t c = 0; c < planes; ++c) {
            fwd->r2r(y.data() + c * plane, coef.data());
            for (std::size_t p = 0; p < h; ++p) {
                const std::complex<T>* sym = s.row(p, 0, w, scratch.data());
                T* z = coef.data() + p * w;
                for (std::size_t q = 0; q < w; ++q) {
                    const T a = sym[q].real();
                    z[q] *= a * real_gain(p, q, a * a) * norm;
                }
            }
            inv->r2r(coef.data(), out.data() + c * plane);
        }
    }
}

}  // namespace detail

/// Wiener deconvolution (Wiener 1949; e.g. Gonzalez & Woods, "Digital Image
/// Processing", §5.8) with a constant noise-to-signal ratio K:
/// \f[ \hat x = \mathcal T^{-1}\Big(\frac{\overline{\hat A}}{|\hat A|^2 + K}\,\mathcal T y\Big), \f]
/// 𝒯 the 2-D DFT for periodic operators or the DCT-II for reflect-boundary
/// operators with a symmetric kernel (Ng, Chan & Tang 1999), read from
/// `op.spectrum()`. Planes of a C×H×W stack are filtered independently.
/// Throws lucid::Error naming `op` when the operator reports no such spectrum
/// (e.g. zero or valid boundaries: use `tikhonov` or an iterative solver), and
/// naming `nsr` when K (given or estimated) is not a normal number of T.
/// Returns converged with 0 iterations (a closed form).
template <LinearOperator A>
SolverResult<domain_t<A>> wiener(const A& op, const range_t<A>& y, WienerParams params = {}) {
    constexpr const char* where = "lucid::wiener";
    params.validate();
    using T = op_scalar_t<A>;
    static_assert(std::is_same_v<domain_t<A>, range_t<A>>, "lucid::wiener needs a square image operator");
    require_shape(where, "y", y.shape(), op.range_shape());
    require_finite_image(where, "y", y);
    detail::FilterSymbol<T> s(where, op);
    double k = params.nsr;
    if (k == 0) {
        double mean = 0, sq = 0;
        for (auto v : y) mean += double(v);
        mean /= double(y.size());
        for (auto v : y) sq += (double(v) - mean) * (double(v) - mean);
        const double var = sq / double(y.size()), s2 = params.noise_sigma * params.noise_sigma;
        k = s2 / std::max(var - s2, s2);
    }
    // K must be a normal number of T: if T(K) is subnormal or 0, 1/(|Â|² + K)
    // overflows where Â vanishes and 0·∞ fills the image with NaN.
    if (params.nsr > 0) require_positive_normal<T>(where, "nsr", k, k);
    else require_positive_normal<T>(where, "nsr", k, detail::concat(k, ", estimated from noise_sigma = ", params.noise_sigma));
    const T kk = T(k);
    SolverResult<domain_t<A>> out;
    out.x = domain_t<A>(op.domain_shape());  // left uninitialized: the inverse transform writes every pixel
    detail::apply_conj_filter(s, y, out.x, [kk](std::size_t, std::size_t, T a2) { return T(1) / (a2 + kk); });  // conj(Â)/(|Â|² + K)
    out.status = Status::converged;
    out.message = detail::concat("closed form (", s.transform() == Transform::fourier ? "DFT" : "DCT", ", nsr ", k, ")");
    return out;
}

}  // namespace lucid
