#pragma once
/// \file spectral_gradient.hpp
/// The exact spectral (DFT) derivative of an image, the gradient Polyblur's
/// blur estimator is calibrated for (POLYBLUR.md §2.3).
///
/// The 2-D derivative ∂x multiplies the 2-D DFT by i2πf_x, which depends on
/// the column frequency only; the column transforms then cancel, so ∂x is the
/// 1-D spectral derivative of every row (and ∂y of every column). Computing it
/// with 1-D real FFTs gives the same numbers as the 2-D formula for about two
/// thirds of the cost, and keeps the rows in cache.

#include <algorithm>
#include <complex>
#include <cstddef>
#include <memory>
#include <numbers>
#include <utility>
#include <vector>

#include "lucid/core/error.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/polyblur/detail.hpp"

namespace lucid::polyblur {

namespace detail {

/// Multipliers of the 1-D spectral derivative on the half spectrum of length
/// n/2+1, including the inverse DFT's 1/n: m_k = 2πf_k/n with f_k = k/n,
/// and m = 0 at the Nyquist bin k = n/2 of an even n (f = −1/2 there; its
/// contribution is purely imaginary, so the real part drops it).
template <class T>
std::vector<T> derivative_multipliers(std::size_t n) {
    std::vector<T> m(n / 2 + 1);
    const std::size_t positive = (n + 1) / 2;  // k < ⌈n/2⌉ are the non-negative frequencies
    for (std::size_t k = 0; k < m.size(); ++k)
        m[k] = k < positive ? T(2 * std::numbers::pi * double(k) / double(n) / double(n)) : T(0);
    return m;
}

/// s ← i·m ⊙ s on a half spectrum.
template <class T>
inline void multiply_by_i(std::complex<T>* s, const T* m, std::size_t n) {
    T* p = reinterpret_cast<T*>(s);
    for (std::size_t k = 0; k < n; ++k) {
        const T re = p[2 * k], im = p[2 * k + 1];
        p[2 * k] = -m[k] * im;
        p[2 * k + 1] = m[k] * re;
    }
}

/// Row and column spectral derivatives of H×W planes with cached 1-D plans
/// and per-thread scratch (allocated by `prepare`, reused across calls).
template <class T>
class SpectralGradientEngine {
public:
    static constexpr std::size_t strip = 16;  ///< columns transformed together

    /// Plans and scratch for H×W planes and up to `workers` threads.
    void prepare(std::size_t h, std::size_t w, int workers) {
        if (h == h_ && w == w_ && workers <= workers_) return;
        h_ = h;
        w_ = w;
        workers_ = std::max(workers, 1);
        row_r2c_ = fft::plan<T>(fft::Kind::r2c, 1, w);
        row_c2r_ = fft::plan<T>(fft::Kind::c2r, 1, w);
        col_r2c_ = fft::plan<T>(fft::Kind::r2c, 1, h);
        col_c2r_ = fft::plan<T>(fft::Kind::c2r, 1, h);
        mx_ = derivative_multipliers<T>(w);
        my_ = derivative_multipliers<T>(h);
        hs_ = (h + 15) / 16 * 16;  // 64-byte aligned column stride
        hc_ = (h / 2 + 1 + 7) / 8 * 8;
        wc_ = w / 2 + 1;
        scratch_.clear();
        for (int t = 0; t < workers_; ++t) {
            Scratch s;
            s.row = fft::AlignedBuffer<T>(w);
            s.row_spectrum = fft::AlignedBuffer<std::complex<T>>(wc_);
            s.columns = fft::AlignedBuffer<T>(strip * hs_);
            s.column_spectra = fft::AlignedBuffer<std::complex<T>>(strip * hc_);
            scratch_.push_back(std::move(s));
        }
    }

    std::size_t rows() const { return h_; }
    std::size_t cols() const { return w_; }

    /// gy = ∂y g (H×W row-major planes, may not alias).
    void columns(const T* g, T* gy, int workers) const {
        const std::ptrdiff_t strips = std::ptrdiff_t((w_ + strip - 1) / strip);
        parallel_jobs(strips, std::min(workers, workers_), [&](std::ptrdiff_t s, int t) {
            const Scratch& sc = scratch_[std::size_t(t)];
            const std::size_t x0 = std::size_t(s) * strip, nb = std::min(strip, w_ - x0);
            T* cols = sc.columns.data();
            for (std::size_t y = 0; y < h_; ++y) {
                const T* src = g + y * w_ + x0;
                for (std::size_t b = 0; b < nb; ++b) cols[b * hs_ + y] = src[b];
            }
            for (std::size_t b = 0; b < nb; ++b) {
                std::complex<T>* spec = sc.column_spectra.data() + b * hc_;
                col_r2c_->r2c(cols + b * hs_, spec);
                multiply_by_i(spec, my_.data(), my_.size());
                col_c2r_->c2r(spec, cols + b * hs_);
            }
            for (std::size_t y = 0; y < h_; ++y) {
                T* dst = gy + y * w_ + x0;
                for (std::size_t b = 0; b < nb; ++b) dst[b] = cols[b * hs_ + y];
            }
        });
    }

    /// For each row y in [y0, y1): computes gx = ∂x g on that row and calls
    /// f(y, gx_row, worker). Rows are split across `workers` threads.
    template <class F>
    void rows(const T* g, std::size_t y0, std::size_t y1, int workers, F&& f) const {
        const std::ptrdiff_t n = std::ptrdiff_t(y1 - y0);
        const int nw = std::min(workers, workers_);
        const std::ptrdiff_t chunk = std::max<std::ptrdiff_t>(1, (n + 4 * nw - 1) / (4 * nw));
        const std::ptrdiff_t jobs = (n + chunk - 1) / chunk;
        parallel_jobs(jobs, nw, [&](std::ptrdiff_t job, int t) {
            const Scratch& sc = scratch_[std::size_t(t)];
            const std::size_t a = y0 + std::size_t(job * chunk);
            const std::size_t b = std::min(y1, a + std::size_t(chunk));
            for (std::size_t y = a; y < b; ++y) {
                row_r2c_->r2c(g + y * w_, sc.row_spectrum.data());
                multiply_by_i(sc.row_spectrum.data(), mx_.data(), mx_.size());
                row_c2r_->c2r(sc.row_spectrum.data(), sc.row.data());
                f(y, static_cast<const T*>(sc.row.data()), t);
            }
        });
    }

private:
    struct Scratch {
        mutable fft::AlignedBuffer<T> row;
        mutable fft::AlignedBuffer<std::complex<T>> row_spectrum;
        mutable fft::AlignedBuffer<T> columns;
        mutable fft::AlignedBuffer<std::complex<T>> column_spectra;
    };
    std::size_t h_ = 0, w_ = 0, hs_ = 0, hc_ = 0, wc_ = 0;
    int workers_ = 0;
    std::shared_ptr<const fft::Plan<T>> row_r2c_, row_c2r_, col_r2c_, col_c2r_;
    std::vector<T> mx_, my_;
    std::vector<Scratch> scratch_;
};

}  // namespace detail

/// Exact spectral gradient of a gray image (POLYBLUR.md §2.3):
/// \f[ g_x = \Re\,\mathcal F^{-1}\big(i 2\pi f_x \,\mathcal F g\big),\qquad
///     g_y = \Re\,\mathcal F^{-1}\big(i 2\pi f_y \,\mathcal F g\big), \f]
/// with f = k/N for k < ⌈N/2⌉ and (k − N)/N otherwise (DFT frequency order),
/// x the column and y the row index. The DFT treats g as periodic, so
/// g = sin(2πm x/W) gives g_x = (2πm/W) cos(2πm x/W) exactly.
///
/// \param g  H×W image (non-empty, finite)
/// \param gx output ∂x g (resized to H×W)
/// \param gy output ∂y g (resized to H×W)
///
/// Example: `lucid::polyblur::spectral_gradient(g, gx, gy);`
template <class T>
void spectral_gradient(const Image<T>& g, Image<T>& gx, Image<T>& gy) {
    constexpr std::string_view where = "lucid::polyblur::spectral_gradient";
    require_finite_image(where, "g", g);
    const std::size_t h = g.shape()[0], w = g.shape()[1];
    if (gx.shape()[0] != h || gx.shape()[1] != w) gx = Image<T>({h, w});
    if (gy.shape()[0] != h || gy.shape()[1] != w) gy = Image<T>({h, w});
    detail::SpectralGradientEngine<T> engine;
    const int workers = detail::workers_for(std::ptrdiff_t(std::max(h, w)));
    engine.prepare(h, w, workers);
    engine.columns(g.data(), gy.data(), workers);
    T* out = gx.data();
    engine.rows(g.data(), 0, h, workers, [&](std::size_t y, const T* row, int) {
        std::copy(row, row + w, out + y * w);
    });
}

/// Returns {g_x, g_y}, the exact spectral gradient of g (see the overload above).
template <class T>
std::pair<Image<T>, Image<T>> spectral_gradient(const Image<T>& g) {
    Image<T> gx, gy;
    spectral_gradient(g, gx, gy);
    return {std::move(gx), std::move(gy)};
}

}  // namespace lucid::polyblur
