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
/// coefficients c ← (b̂ + ρ·𝒯rhs)·m with m = n/(Ĝ_A + ρĜ_∇) (n the transform's
/// normalization). Buffers: b̂ = 𝒯(Aᵀy), m and c — allocated once. A change of ρ
/// rewrites m in place, recovering Ĝ_A = n/m − ρ_old Ĝ_∇ (Ĝ_∇ is separable and
/// recomputed from two 1-D tables), so nothing is reallocated. The same pass
/// can evaluate ½‖Ax − y‖² by Parseval.
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
        const double a = Fourier ? 2 * std::numbers::pi : std::numbers::pi;
        for (std::size_t p = 0; p < h; ++p) ly_[p] = T(2 - 2 * std::cos(a * double(p) / double(h)));
        for (std::size_t q = 0; q < wc_; ++q) lx_[q] = T(2 - 2 * std::cos(a * double(q) / double(w)));
        mult_ = fft::AlignedBuffer<T>(n);
        const bool constant = gram_a.transform == Transform::any;
        for (std::size_t p = 0; p < h; ++p)
            for (std::size_t q = 0; q < wc_; ++q)
                mult_[p * wc_ + q] = constant ? gram_a.values(0, 0, 0).real() : gram_a.values(0, p, q).real();
        bhat_ = fft::AlignedBuffer<C>(n);
        coef_ = fft::AlignedBuffer<C>(n);
        transform(aty.data(), bhat_.data());
        // m holds Ĝ_A for now; set_rho turns it into n/(Ĝ_A + ρĜ_∇).
        rho_ = 0;
        for (std::size_t i = 0; i < n; ++i) mult_[i] = mult_[i] > T(0) ? scale_ / mult_[i] : T(0);
        peak_a_ = 0;
        for (std::size_t i = 0; i < n; ++i) peak_a_ = std::max(peak_a_, mult_[i] > 0 ? scale_ / mult_[i] : T(0));
    }

    /// Rewrites the multiplier for a new ρ (no allocation; nothing to do when ρ is unchanged).
    void set_rho(T rho) {
        if (rho == rho_) return;
        const T old = rho_;
        const T floor = (peak_a_ + T(8) * rho) * T(64) * std::numeric_limits<T>::epsilon();
        for (std::size_t p = 0; p < h_; ++p)
            for (std::size_t q = 0; q < wc_; ++q) {
                T& m = mult_[p * wc_ + q];
                const T gd = ly_[p] + lx_[q];
                const T ga = m > T(0) ? std::max(scale_ / m - old * gd, T(0)) : T(0);
                const T den = ga + rho * gd;
                m = den > floor ? scale_ / den : T(0);
            }
        rho_ = rho;
    }

    /// x = (AᵀA + ρ∇ᵀ∇)⁻¹(Aᵀy + ρ·rhs); returns ½‖Ax − y‖² when `want_data` (else NaN).
    double solve(const T* rhs, T* x, bool want_data) {
        transform(rhs, coef_.data());
        const std::size_t n = h_ * wc_;
        C* c = coef_.data();
        const C* b = bhat_.data();
        const T* m = mult_.data();
        const T rho = rho_;
        if (!want_data) {
            for (std::size_t i = 0; i < n; ++i) c[i] = (b[i] + rho * c[i]) * m[i];
        } else {
            // X = c/n is 𝒯x; Parseval: ⟨u, v⟩ = Σ ω·Re(Û conj V̂) with ω = (Fourier) m_q/(HW),
            // (DCT-II) a_p a_q/(4HW), a_0 = ½; ½‖Ax − y‖² = ½⟨X, Ĝ_A X⟩ − ⟨X, B⟩ + ½‖y‖².
            double quad = 0, cross = 0;
            for (std::size_t p = 0; p < h_; ++p) {
                const double ap = Fourier ? 1.0 : (p == 0 ? 0.5 : 1.0);
                for (std::size_t q = 0; q < wc_; ++q) {
                    const std::size_t i = p * wc_ + q;
                    c[i] = (b[i] + rho * c[i]) * m[i];
                    const double aq = Fourier ? ((q == 0 || (w_ % 2 == 0 && q == w_ / 2)) ? 1.0 : 2.0)
                                              : (q == 0 ? 0.5 : 1.0);
                    const double ga = m[i] > T(0) ? double(scale_ / m[i]) - double(rho) * double(ly_[p] + lx_[q]) : 0.0;
                    const auto X = c[i] / scale_;
                    if constexpr (Fourier) {
                        quad += ap * aq * ga * double(std::norm(X));
                        cross += ap * aq * (double(X.real()) * double(b[i].real()) + double(X.imag()) * double(b[i].imag()));
                    } else {
                        quad += ap * aq * ga * double(X) * double(X);
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
    T scale_ = 1, rho_ = 0, peak_a_ = 0;
    std::vector<T> ly_, lx_;
    fft::AlignedBuffer<T> mult_;
    fft::AlignedBuffer<C> bhat_, coef_;
    double data_ = 0;
};

}  // namespace lucid::detail
