#pragma once
/// \file tv_spectral_solve.hpp
/// Private: the closed-form x-update shared by the fused ADMM-TV and HQS-TV
/// loops, (AᵀA + ρ∇ᵀ∇)⁻¹ in the DCT-II or the DFT.

#include <algorithm>
#include <complex>
#include <cstddef>
#include <limits>
#include <memory>
#include <numbers>
#include <type_traits>
#include <vector>

#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"
#include "lucid/ops/spectrum.hpp"
#include "lucid/solvers/monitor.hpp"

namespace lucid::detail {

/// The closed-form x-update of ADMM-TV and HQS-TV,
/// x = (AᵀA + ρ∇ᵀ∇)⁻¹(Aᵀy + ρ·rhs), in the DCT-II (Neumann ∇, reflect-symmetric
/// A) or the DFT (periodic ∇ and A): one transform pair and one pass over the
/// coefficients c ← (b̂ + ρ·𝒯rhs)·n/(Ĝ_A + ρĜ_∇) (n the transform's
/// normalization). Buffers: b̂ = 𝒯(Aᵀy), Ĝ_A and c — allocated once; Ĝ_∇ is
/// separable and formed from two 1-D tables. The multiplier is formed in the
/// pass (one division per coefficient) rather than stored: a stored one had to
/// be rewritten at each change of ρ by recovering Ĝ_A = n/m − ρĜ_∇, which in
/// float loses Ĝ_A's digits when ρĜ_∇ ≫ Ĝ_A (and compounds over ρ changes). The
/// same pass can evaluate ½‖Ax − y‖² by Parseval.
/// The symbol of AᵀA and the image Aᵀy are taken by value and consumed: they
/// are freed once their transforms are held, so the caller's iteration buffers,
/// allocated after construction, do not add to them.
template <class T, bool Fourier>
class TvSpectralSolve {
    using C = std::conditional_t<Fourier, std::complex<T>, T>;

public:
    TvSpectralSolve(Spectrum<T> gram_a, Image<T> aty, double y_norm2)
        : h_(aty.shape()[0]), w_(aty.shape()[1]), wc_(Fourier ? w_ / 2 + 1 : w_), y2_(y_norm2) {
        const std::size_t h = h_, w = w_, n = h_ * wc_;
        forward_ = fft::plan<T>(Fourier ? fft::Kind::r2c : fft::Kind::dct2, h, w);
        inverse_ = fft::plan<T>(Fourier ? fft::Kind::c2r : fft::Kind::dct3, h, w);
        scale_ = Fourier ? T(1) / T(h * w) : T(1) / T(4 * h * w);
        ly_.resize(h);
        lx_.resize(wc_);
        m_.resize(wc_);
        const double a = Fourier ? 2 * std::numbers::pi : std::numbers::pi;
        for (std::size_t p = 0; p < h; ++p) ly_[p] = T(2 - 2 * std::cos(a * double(p) / double(h)));
        for (std::size_t q = 0; q < wc_; ++q) lx_[q] = T(2 - 2 * std::cos(a * double(q) / double(w)));
        gram_a_ = fft::AlignedBuffer<T>(n);
        const bool constant = gram_a.transform == Transform::any;
        peak_a_ = 0;
        for (std::size_t p = 0; p < h; ++p)
            for (std::size_t q = 0; q < wc_; ++q) {
                const T g = std::max(constant ? gram_a.values(0, 0, 0).real() : gram_a.values(0, p, q).real(), T(0));
                gram_a_[p * wc_ + q] = g;
                peak_a_ = std::max(peak_a_, g);
            }
        bhat_ = fft::AlignedBuffer<C>(n);
        coef_ = fft::AlignedBuffer<C>(n);
        transform(aty.data(), bhat_.data());
        set_rho(T(1));
    }

    /// Sets ρ (no pass: the multiplier is formed in `solve`).
    void set_rho(T rho) {
        rho_ = rho;
        // below this the denominator is round-off (a zero frequency of both symbols): the coefficient is 0
        floor_ = (peak_a_ + T(8) * rho) * T(64) * std::numeric_limits<T>::epsilon();
    }

    /// x = (AᵀA + ρ∇ᵀ∇)⁻¹(Aᵀy + ρ·rhs); returns ½‖Ax − y‖² when `want_data` (else NaN).
    double solve(const T* rhs, T* x, bool want_data) {
        transform(rhs, coef_.data());
        C* c = coef_.data();
        const C* b = bhat_.data();
        const T* ga = gram_a_.data();
        const T rho = rho_, floor = floor_, scale = scale_;
        // the multiplier n/(Ĝ_A + ρĜ_∇) of row p, into m_ (one row: stays in cache)
        auto multiplier_row = [&](std::size_t p) {
            const T* g = ga + p * wc_;
            const T lp = ly_[p];
            for (std::size_t q = 0; q < wc_; ++q) {
                const T den = g[q] + rho * (lp + lx_[q]);
                m_[q] = den > floor ? scale / den : T(0);
            }
            return m_.data();
        };
        if (!want_data) {
            for (std::size_t p = 0; p < h_; ++p) {
                const T* m = multiplier_row(p);
                C* cr = c + p * wc_;
                const C* br = b + p * wc_;
                for (std::size_t q = 0; q < wc_; ++q) cr[q] = (br[q] + rho * cr[q]) * m[q];
            }
        } else {
            // X = c/n is 𝒯x; Parseval: ⟨u, v⟩ = Σ ω·Re(Û conj V̂) with ω = (Fourier) m_q/(HW),
            // (DCT-II) a_p a_q/(4HW), a_0 = ½; ½‖Ax − y‖² = ½⟨X, Ĝ_A X⟩ − ⟨X, B⟩ + ½‖y‖².
            double quad = 0, cross = 0;
            for (std::size_t p = 0; p < h_; ++p) {
                const double ap = Fourier ? 1.0 : (p == 0 ? 0.5 : 1.0);
                const T* m = multiplier_row(p);
                for (std::size_t q = 0; q < wc_; ++q) {
                    const std::size_t i = p * wc_ + q;
                    c[i] = (b[i] + rho * c[i]) * m[q];
                    const double aq = Fourier ? ((q == 0 || (w_ % 2 == 0 && q == w_ / 2)) ? 1.0 : 2.0)
                                              : (q == 0 ? 0.5 : 1.0);
                    const double gai = double(ga[i]);
                    const auto X = c[i] / scale_;
                    if constexpr (Fourier) {
                        quad += ap * aq * gai * double(std::norm(X));
                        cross += ap * aq * (double(X.real()) * double(b[i].real()) + double(X.imag()) * double(b[i].imag()));
                    } else {
                        quad += ap * aq * gai * double(X) * double(X);
                        cross += ap * aq * double(X) * double(b[i]);
                    }
                }
            }
            const double norm = Fourier ? 1.0 / double(h_ * w_) : 1.0 / double(4 * h_ * w_);
            data_ = 0.5 * quad * norm - cross * norm + 0.5 * y2_;
        }
        if constexpr (Fourier) inverse_->c2r(coef_.data(), x);
        else inverse_->r2r(coef_.data(), x);
        return want_data ? data_ : nan_value;
    }

private:
    void transform(const T* in, C* out) const {
        if constexpr (Fourier) forward_->r2c(in, out);
        else forward_->r2r(in, out);
    }

    std::size_t h_, w_, wc_;
    double y2_;
    std::shared_ptr<const fft::Plan<T>> forward_, inverse_;
    T scale_ = 1, rho_ = 0, peak_a_ = 0, floor_ = 0;
    std::vector<T> ly_, lx_, m_;  // m_: one row of the multiplier
    fft::AlignedBuffer<T> gram_a_;
    fft::AlignedBuffer<C> bhat_, coef_;
    double data_ = 0;
};

}  // namespace lucid::detail
