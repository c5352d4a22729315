#pragma once
/// \file total_variation.hpp
/// Total variation λ·TV(x) of images and stacks, with its prox by FGP
/// (Beck & Teboulle 2009) on the dual, warm-started and stopped by the duality gap.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

#include <xsimd/xsimd.hpp>

#include "lucid/core/aligned_buffer.hpp"
#include "lucid/core/eigen_view.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/core/threading.hpp"
#include "lucid/functionals/concepts.hpp"
#include "lucid/functionals/tv1d.hpp"
#include "lucid/functionals/tv_kernels.hpp"

namespace lucid {

/// Which norm of the gradient TV sums (forward differences, Neumann; see the
/// developer guide): isotropic Σ √((∂x)² + (∂y)²) per channel, anisotropic
/// Σ |∂x| + |∂y|, vectorial (color TV, Bresson & Chan 2008)
/// Σ_pixels √(Σ_c (∂x x_c)² + (∂y x_c)²) — equal to isotropic on one channel.
enum class TvNorm { isotropic, anisotropic, vectorial };

constexpr std::string_view to_string(TvNorm n) {
    switch (n) {
        case TvNorm::isotropic: return "isotropic";
        case TvNorm::anisotropic: return "anisotropic";
        case TvNorm::vectorial: return "vectorial";
    }
    return "?";
}

/// Options of the TV prox (FGP on the dual).
struct TvProxParams {
    int max_iter = 200;     ///< FGP iterations at most, per call (per channel)
    /// Stop when √(2·gap/N) ≤ tol: the duality gap guarantees the RMS distance
    /// of the returned image to the exact prox is at most this (images in [0,1]).
    /// 0 runs exactly max_iter iterations and skips the certificate (the gap
    /// pass costs about one iteration): TvProxInfo then reports gap = +∞.
    double tol = 1e-4;
    int check_every = 10;   ///< evaluate the duality gap every this many iterations (0 = only after the last)
    bool warm_start = true; ///< start from the previous call's dual variable (same shape)

    void validate() const {
        constexpr const char* where = "lucid::TvProxParams";
        require(max_iter >= 1, where, "max_iter", ">= 1", max_iter);
        require(std::isfinite(tol) && tol >= 0, where, "tol", "finite and >= 0", tol);
        require(check_every >= 0, where, "check_every", ">= 0", check_every);
    }
};

/// What the last prox call did (the worst channel for stacks).
struct TvProxInfo {
    int iterations = 0;        ///< FGP iterations performed
    /// final duality gap P(x) − D(p) ≥ ½‖x − prox‖², plus the error its
    /// evaluation in floating point may carry, 8 ε μ TV(x) (+∞ when tol = 0: not evaluated)
    double gap = 0;
    /// √(2·gap/N) + 3 ε (max|x| + 4μ) (x is stored in T): bound on the RMS
    /// error of the result (+∞ when tol = 0)
    double rms_bound = 0;
    bool converged = false;    ///< rms_bound ≤ tol was reached
};

namespace detail {
/// TV of one H×W plane (not scaled by λ), accumulated in double.
template <class T>
double tv_plane(const T* x, std::size_t h, std::size_t w, TvNorm norm) {
    double s = 0;
    for (std::size_t i = 0; i < h; ++i) {
        const T* r = x + i * w;
        const T* rn = i + 1 < h ? r + w : r;
        for (std::size_t j = 0; j < w; ++j) {
            const double gx = j + 1 < w ? double(r[j + 1]) - double(r[j]) : 0.0;
            const double gy = double(rn[j]) - double(r[j]);
            s += norm == TvNorm::anisotropic ? std::abs(gx) + std::abs(gy) : std::sqrt(gx * gx + gy * gy);
        }
    }
    return s;
}

/// Vectorial TV of C coupled planes.
template <class T>
double tv_vectorial(const T* x, std::size_t c, std::size_t h, std::size_t w) {
    const std::size_t hw = h * w;
    double s = 0;
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
            double n2 = 0;
            for (std::size_t k = 0; k < c; ++k) {
                const T* r = x + k * hw + i * w;
                const T* rn = i + 1 < h ? r + w : r;
                const double gx = j + 1 < w ? double(r[j + 1]) - double(r[j]) : 0.0;
                const double gy = double(rn[j]) - double(r[j]);
                n2 += gx * gx + gy * gy;
            }
            s += std::sqrt(n2);
        }
    return s;
}

/// FGP (Beck & Teboulle 2009, "Fast gradient-based algorithms for constrained
/// total variation image denoising and deblurring problems", IEEE TIP 18(11),
/// Algorithm FGP) for min_x ½‖x − v‖² + μ·TV(x) over C coupled planes
/// (C = 1 unless vectorial). Dual: p = (p⁰, p¹) with |pᵢ| ≤ 1 and
/// x(p) = v − μ∇ᵀp = v + μ div p. One iteration (the paper's FGP with the
/// constant step 1/(8μ), from ‖∇‖² ≤ 8):
///   x = v + μ div r;  p⁺ = P(r + ∇x/(8μ));  t⁺ = (1 + √(1 + 4t²))/2;
///   r = p⁺ + ((t − 1)/t⁺)(p⁺ − p).
/// Fused: one sweep over rows computes row i+1 of x, then updates rows i of
/// p and r; x is never stored as an image. Per iteration it reads v, r, p and
/// writes p, r: 9 image-sized arrays (1 + 2 + 2 + 2 + 2) in the scalar case.
/// Invariant: p⁰ = r⁰ = 0 on the last column and p¹ = r¹ = 0 on the last row
/// (the Neumann differences are 0 there), so div needs no boundary tests.
template <class T>
class FgpSolver {
    /// A gap evaluation: μ Σ (‖∇x‖ − ⟨∇x, p⟩), and the TV(x) and max |x| that
    /// bound its rounding error.
    struct GapSums {
        double gap = 0, tv = 0, xmax = 0;
    };

public:
    /// Resets the dual to zero unless the problem shape is unchanged and warm is set.
    void prepare(std::size_t c, std::size_t h, std::size_t w, bool warm) {
        const bool same = c == c_ && h == h_ && w == w_ && p_.size() != 0;
        c_ = c;
        h_ = h;
        w_ = w;
        const std::size_t n = 2 * c * h * w;
        if (!same) {
            p_ = fft::AlignedBuffer<T>(n);  // zeroed; huge-page mapped when large (no per-page faults)
            r_ = fft::AlignedBuffer<T>(n);
            xrows_.assign(2 * c * w, T(0));
            zero_.assign(w, T(0));
            if (c > 1) {
                q_.assign(2 * c * w, T(0));
                nrm_.assign(w, T(0));
            }
        } else if (!warm) {
            std::fill(p_.begin(), p_.end(), T(0));
        }
    }

    /// Runs FGP on v (C×H×W contiguous) and writes x(p) into out (may alias v).
    TvProxInfo run(const T* v, T* out, T mu, TvNorm norm, const TvProxParams& prm) {
        TvProxInfo info;
        const std::size_t n = c_ * h_ * w_;
        // FGP starts from r = p; the single-plane sweeps read p in place of r in
        // their first iteration (β = 0 there), so only the coupled one copies.
        if (c_ > 1) std::copy(p_.begin(), p_.end(), r_.begin());
        double t = 1;
        // What rounding allows the certificate to claim. The computed gap's
        // terms (‖∇x‖ − ⟨∇x, p⟩ ≥ 0, each within a few ulps of ‖∇x‖) carry an
        // error up to ~8 ε μ TV(x); and x = v + μ div p is stored in T, off by δ
        // with |δ| ≤ 3 ε (|x| + 4μ) (|div p| ≤ 4 for |p| ≤ 1), which the gap
        // formula misses by ½‖δ‖² (P(x) − D(p) = formula + ½‖δ‖²): hence the two floors.
        constexpr double eps = std::numeric_limits<T>::epsilon();
        auto certified_gap = [&](const GapSums& g) { return std::max(0.0, g.gap) + 8 * eps * double(mu) * g.tv; };
        auto rms_bound = [&](double certified, const GapSums& g) {
            return std::sqrt(2 * certified / double(n)) + 3 * eps * (g.xmax + 4 * double(mu));
        };
        for (int k = 1; k <= prm.max_iter; ++k) {
            const double tn = (1 + std::sqrt(1 + 4 * t * t)) / 2;
            const T beta = T((t - 1) / tn);
            if (c_ == 1) {
                const bool first = k == 1;
                if (norm == TvNorm::anisotropic) first ? sweep_scalar<false, true>(v, mu, beta) : sweep_scalar<false, false>(v, mu, beta);
                else first ? sweep_scalar<true, true>(v, mu, beta) : sweep_scalar<true, false>(v, mu, beta);
            } else {
                sweep_coupled(v, mu, beta);
            }
            t = tn;
            info.iterations = k;
            if (prm.check_every > 0 && k % prm.check_every == 0 && k < prm.max_iter && prm.tol > 0) {
                const GapSums g = gap(v, nullptr, mu, norm);
                if (rms_bound(certified_gap(g), g) <= prm.tol) break;
            }
        }
        if (prm.tol > 0) {
            const GapSums g = gap(v, out, mu, norm);
            info.gap = certified_gap(g);
            info.rms_bound = rms_bound(info.gap, g);
            info.converged = info.rms_bound <= prm.tol;
        } else {
            // tol = 0 asks for exactly max_iter iterations and no certificate: the
            // gap pass (a square root per pixel, as costly as an FGP sweep) is skipped.
            write_x(v, out, mu);
            info.gap = info.rms_bound = std::numeric_limits<double>::infinity();
        }
        return info;
    }

private:
    // x row i (one plane) from the dual d = (d0, d1): x = v + μ div d.
    static void x_row(const T* __restrict v, const T* __restrict a, const T* __restrict b,
                      const T* __restrict bprev, T mu, T* __restrict x, std::size_t w) {
        x[0] = v[0] + mu * (a[0] + b[0] - bprev[0]);
        for (std::size_t j = 1; j < w; ++j) x[j] = v[j] + mu * ((a[j] - a[j - 1]) + (b[j] - bprev[j]));
    }

    // One FGP iteration over a single plane. First: r = p on entry (the first
    // iteration of a call), so r is read from p. Isotropic rows run the AVX2
    // kernels where the CPU has them.
    template <bool Iso, bool First>
    void sweep_scalar(const T* v, T mu, T beta) {
        const std::size_t hw = h_ * w_;
        T* p0 = p_.data();
        T* p1 = p_.data() + hw;
        T* r0 = r_.data();
        T* r1 = r_.data() + hw;
        const T s = T(1) / (T(8) * mu);
        const bool avx2 = Iso && detail::use_avx2();
        auto xrow = avx2 ? &tv::x_row_avx2<T> : &x_row;
        auto update = avx2 ? &tv::update_row_iso_avx2<T, First> : &update_row<Iso, First>;
        tv::x_row_pipeline(v, First ? p0 : r0, First ? p1 : r1, zero_.data(), mu, xrows_.data(), xrows_.data() + w_, h_,
                           w_, xrow, [&](std::size_t i, const T* xc, const T* xn) {
                               const std::size_t o = i * w_;
                               update(xc, xn, p0 + o, p1 + o, r0 + o, r1 + o, s, beta, w_);
                           });
    }

    // out = x(p) = v + μ div p, plane by plane (out may alias v: row i of out is
    // written from row i of v only).
    void write_x(const T* v, T* out, T mu) {
        const std::size_t c = c_, h = h_, w = w_, hw = h * w;
        const bool avx2 = detail::use_avx2();
        for (std::size_t k = 0; k < c; ++k) {
            const T* p0 = p_.data() + 2 * k * hw;
            const T* p1 = p_.data() + (2 * k + 1) * hw;
            for (std::size_t i = 0; i < h; ++i) {
                const std::size_t o = k * hw + i * w;
                const T* bprev = i == 0 ? zero_.data() : p1 + (i - 1) * w;
                if (avx2) tv::x_row_avx2(v + o, p0 + i * w, p1 + i * w, bprev, mu, out + o, w);
                else x_row(v + o, p0 + i * w, p1 + i * w, bprev, mu, out + o, w);
            }
        }
    }

    // Rows i of p and r from x rows i (xc) and i+1 (xn): q = r + ∇x/(8μ), p⁺ = P(q),
    // r = p⁺ + β(p⁺ − p). Explicit SIMD (xsimd, the instruction set the code is
    // compiled for): the compiler cannot vectorize the projection itself because
    // std::sqrt may set errno and the max is a conditional under -ftrapping-math.
    // First: r = p on entry, read from p (see sweep_scalar).
    template <bool Iso, bool First>
    static void update_row(const T* __restrict xc, const T* __restrict xn, T* __restrict p0, T* __restrict p1,
                           T* __restrict r0, T* __restrict r1, T s, T beta, std::size_t w) {
        using B = xsimd::batch<T>;
        constexpr std::size_t L = B::size;
        const B one(T(1)), bs(s), bb(beta);
        const T* rs0 = First ? p0 : r0;
        const T* rs1 = First ? p1 : r1;
        std::size_t j = 0;
        for (; j + L < w; j += L) {  // j + L ≤ w − 1: xc[j + L] exists; the last column is the tail
            const B c = B::load_unaligned(xc + j);
            B q0 = B::load_unaligned(rs0 + j) + bs * (B::load_unaligned(xc + j + 1) - c);
            B q1 = B::load_unaligned(rs1 + j) + bs * (B::load_unaligned(xn + j) - c);
            if constexpr (Iso) {
                const B f = one / xsimd::sqrt(xsimd::max(one, q0 * q0 + q1 * q1));
                q0 *= f;
                q1 *= f;
            } else {
                q0 = xsimd::min(one, xsimd::max(-one, q0));
                q1 = xsimd::min(one, xsimd::max(-one, q1));
            }
            const B o0 = B::load_unaligned(p0 + j), o1 = B::load_unaligned(p1 + j);
            q0.store_unaligned(p0 + j);
            q1.store_unaligned(p1 + j);
            (q0 + bb * (q0 - o0)).store_unaligned(r0 + j);
            (q1 + bb * (q1 - o1)).store_unaligned(r1 + j);
        }
        for (; j < w; ++j) {
            const bool last = j + 1 == w;  // ∂x = 0 on the last column: p0 stays 0 there
            T q0 = last ? T(0) : rs0[j] + s * (xc[j + 1] - xc[j]);
            T q1 = rs1[j] + s * (xn[j] - xc[j]);
            if constexpr (Iso) {
                const T f = T(1) / std::sqrt(std::max(T(1), q0 * q0 + q1 * q1));
                q0 *= f;
                q1 *= f;
            } else {
                q0 = std::min(T(1), std::max(T(-1), q0));
                q1 = std::min(T(1), std::max(T(-1), q1));
            }
            const T o0 = p0[j], o1 = p1[j];
            p0[j] = q0;
            p1[j] = q1;
            r0[j] = q0 + beta * (q0 - o0);
            r1[j] = q1 + beta * (q1 - o1);
        }
    }

    // Vectorial TV: the projection couples the C channels at each pixel.
    void sweep_coupled(const T* v, T mu, T beta) {
        const std::size_t c = c_, h = h_, w = w_, hw = h * w;
        const T s = T(1) / (T(8) * mu);
        auto P0 = [&](std::size_t k) { return p_.data() + 2 * k * hw; };
        auto P1 = [&](std::size_t k) { return p_.data() + (2 * k + 1) * hw; };
        auto R0 = [&](std::size_t k) { return r_.data() + 2 * k * hw; };
        auto R1 = [&](std::size_t k) { return r_.data() + (2 * k + 1) * hw; };
        auto X = [&](std::size_t k, std::size_t row) { return xrows_.data() + (2 * k + row % 2) * w; };
        for (std::size_t k = 0; k < c; ++k) x_row(v + k * hw, R0(k), R1(k), zero_.data(), mu, X(k, 0), w);
        for (std::size_t i = 0; i < h; ++i) {
            const std::size_t o = i * w;
            if (i + 1 < h)
                for (std::size_t k = 0; k < c; ++k)
                    x_row(v + k * hw + o + w, R0(k) + o + w, R1(k) + o + w, R1(k) + o, mu, X(k, i + 1), w);
            std::fill(nrm_.begin(), nrm_.end(), T(0));
            for (std::size_t k = 0; k < c; ++k) {
                const T* xc = X(k, i);
                const T* xn = i + 1 < h ? X(k, i + 1) : xc;
                T* q0 = q_.data() + 2 * k * w;
                T* q1 = q0 + w;
                const T* a = R0(k) + o;
                const T* b = R1(k) + o;
                for (std::size_t j = 0; j < w; ++j) {
                    q0[j] = j + 1 < w ? a[j] + s * (xc[j + 1] - xc[j]) : T(0);
                    q1[j] = b[j] + s * (xn[j] - xc[j]);
                    nrm_[j] += q0[j] * q0[j] + q1[j] * q1[j];
                }
            }
            for (std::size_t j = 0; j < w; ++j) nrm_[j] = T(1) / std::max(T(1), std::sqrt(nrm_[j]));
            for (std::size_t k = 0; k < c; ++k) {
                const T* q0 = q_.data() + 2 * k * w;
                const T* q1 = q0 + w;
                T* p0 = P0(k) + o;
                T* p1 = P1(k) + o;
                T* a = R0(k) + o;
                T* b = R1(k) + o;
                for (std::size_t j = 0; j < w; ++j) {
                    const T n0 = q0[j] * nrm_[j], n1 = q1[j] * nrm_[j];
                    const T o0 = p0[j], o1 = p1[j];
                    p0[j] = n0;
                    p1[j] = n1;
                    a[j] = n0 + beta * (n0 - o0);
                    b[j] = n1 + beta * (n1 - o1);
                }
            }
        }
    }

    // One row of the duality gap, Σ_j (‖∇x_j‖ − ⟨∇x_j, p_j⟩) with the isotropic or
    // anisotropic norm; SIMD terms in T, the row sum in double. Adds Σ_j ‖∇x_j‖ to *tv.
    template <bool Iso>
    static double gap_row(const T* xc, const T* xn, const T* p0, const T* p1, std::size_t w, double* tv) {
        using B = xsimd::batch<T>;
        constexpr std::size_t L = B::size;
        B acc(T(0)), acc_tv(T(0));
        std::size_t j = 0;
        for (; j + L < w; j += L) {
            const B c = B::load_unaligned(xc + j);
            const B gx = B::load_unaligned(xc + j + 1) - c;
            const B gy = B::load_unaligned(xn + j) - c;
            const B inner = gx * B::load_unaligned(p0 + j) + gy * B::load_unaligned(p1 + j);
            B nrm;
            if constexpr (Iso) nrm = xsimd::sqrt(gx * gx + gy * gy);
            else nrm = xsimd::abs(gx) + xsimd::abs(gy);
            acc += nrm - inner;
            acc_tv += nrm;
        }
        double row = double(xsimd::hadd(acc)), row_tv = double(xsimd::hadd(acc_tv));
        for (; j < w; ++j) {
            const double gx = j + 1 < w ? double(xc[j + 1]) - double(xc[j]) : 0.0;
            const double gy = double(xn[j]) - double(xc[j]);
            const double inner = gx * double(p0[j]) + gy * double(p1[j]);
            const double nrm = Iso ? std::sqrt(gx * gx + gy * gy) : std::abs(gx) + std::abs(gy);
            row += nrm - inner;
            row_tv += nrm;
        }
        *tv += row_tv;
        return row;
    }

    // The duality gap for one channel; writes x(p) to out if non-null.
    template <bool Iso>
    GapSums gap_scalar(const T* v, T* out, T mu) {
        const std::size_t hw = h_ * w_;
        const T* p0 = p_.data();
        const T* p1 = p_.data() + hw;
        const bool avx2 = Iso && detail::use_avx2();
        auto xrow = avx2 ? &tv::x_row_avx2<T> : &x_row;
        auto row_gap = avx2 ? &tv::gap_row_iso_avx2<T> : &gap_row<Iso>;
        double total = 0, tv = 0;
        T xmax = 0;
        tv::x_row_pipeline(v, p0, p1, zero_.data(), mu, xrows_.data(), xrows_.data() + w_, h_, w_, xrow,
                           [&](std::size_t i, const T* xc, const T* xn) {
                               const std::size_t o = i * w_;
                               total += row_gap(xc, xn, p0 + o, p1 + o, w_, &tv);
                               xmax = std::max(xmax, row_abs_max(xc, w_));
                               if (out) std::copy_n(xc, w_, out + o);
                           });
        return {double(mu) * total, tv, double(xmax)};
    }

    // Duality gap μ Σᵢ (‖∇x(p)ᵢ‖ − ⟨∇x(p)ᵢ, pᵢ⟩) of the current p; writes x(p) to
    // out (row by row, after the next row is formed, so out may alias v) if non-null.
    GapSums gap(const T* v, T* out, T mu, TvNorm norm) {
        if (c_ == 1) return norm == TvNorm::anisotropic ? gap_scalar<false>(v, out, mu) : gap_scalar<true>(v, out, mu);
        const std::size_t c = c_, h = h_, w = w_, hw = h * w;
        double total = 0, tv = 0;
        T xmax = 0;
        auto X = [&](std::size_t k, std::size_t row) { return xrows_.data() + (2 * k + row % 2) * w; };
        for (std::size_t k = 0; k < c; ++k)
            x_row(v + k * hw, p_.data() + 2 * k * hw, p_.data() + (2 * k + 1) * hw, zero_.data(), mu, X(k, 0), w);
        for (std::size_t i = 0; i < h; ++i) {
            const std::size_t o = i * w;
            if (i + 1 < h)
                for (std::size_t k = 0; k < c; ++k) {
                    const T* p0 = p_.data() + 2 * k * hw;
                    const T* p1 = p_.data() + (2 * k + 1) * hw;
                    x_row(v + k * hw + o + w, p0 + o + w, p1 + o + w, p1 + o, mu, X(k, i + 1), w);
                }
            for (std::size_t j = 0; j < w; ++j) {
                double n2 = 0, l1 = 0, inner = 0, iso = 0;
                for (std::size_t k = 0; k < c; ++k) {
                    const T* xc = X(k, i);
                    const T* xn = i + 1 < h ? X(k, i + 1) : xc;
                    const double gx = j + 1 < w ? double(xc[j + 1]) - double(xc[j]) : 0.0;
                    const double gy = double(xn[j]) - double(xc[j]);
                    inner += gx * double(p_[2 * k * hw + o + j]) + gy * double(p_[(2 * k + 1) * hw + o + j]);
                    n2 += gx * gx + gy * gy;
                    l1 += std::abs(gx) + std::abs(gy);
                    iso += std::sqrt(gx * gx + gy * gy);
                }
                const double nrm = norm == TvNorm::anisotropic ? l1 : (c > 1 ? std::sqrt(n2) : iso);
                total += nrm - inner;
                tv += nrm;
            }
            for (std::size_t k = 0; k < c; ++k) xmax = std::max(xmax, row_abs_max(X(k, i), w));
            if (out)
                for (std::size_t k = 0; k < c; ++k) std::copy_n(X(k, i), w, out + k * hw + o);
        }
        return {double(mu) * total, tv, double(xmax)};
    }

    // max_j |x_j| of one row (NaN-blind: a NaN x shows in the gap itself)
    static T row_abs_max(const T* x, std::size_t w) {
        T m = 0;
        for (std::size_t j = 0; j < w; ++j) m = std::max(m, std::abs(x[j]));
        return m;
    }

    std::size_t c_ = 0, h_ = 0, w_ = 0;
    fft::AlignedBuffer<T> p_, r_;  // the dual and its extrapolation: 2 planes each
    std::vector<T> xrows_, zero_, q_, nrm_;
};


}  // namespace detail

/// \f$ f(x) = \lambda\,\mathrm{TV}(x) \f$ on images (H×W) and planar stacks
/// (C×H×W), with forward differences and Neumann boundary (developer guide):
/// isotropic \f$ \sum_{i} \sqrt{(\partial_x x)_i^2 + (\partial_y x)_i^2} \f$ (summed over
/// channels), anisotropic \f$ \sum_i |\partial_x x|_i + |\partial_y x|_i \f$, or
/// vectorial (channels coupled under one square root).
///
/// `prox(v, τ, out)` solves the ROF problem \f$ \min_x \tfrac12\|x - v\|^2 + \tau\lambda\,\mathrm{TV}(x) \f$
/// (Rudin, Osher & Fatemi 1992) by FGP on the dual (Beck & Teboulle 2009),
/// warm-started from the previous call's dual variable, stopped when the
/// duality gap certifies an RMS error ≤ `params.tol` or after `max_iter`
/// iterations; `last_prox_info()` tells which. Channels are independent
/// (and solved in parallel) unless the norm is vectorial. Scratch (5 image-
/// sized arrays per channel) is allocated on the first call and reused.
/// 1-D signals (rank-1 xtensor, Eigen vector) get the exact 1-D prox (`tv1d_prox`).
/// ```cpp
/// lucid::TotalVariation<double> tv(0.05);           // isotropic
/// Image<double> x = y; tv.prox(y, 1.0, x);           // ROF denoising with λ = 0.05
/// ```
template <class T>
class TotalVariation {
public:
    using scalar_type = T;

    /// λ > 0; the norm; FGP options.
    explicit TotalVariation(T lambda, TvNorm norm = TvNorm::isotropic, TvProxParams params = {})
        : lambda_(lambda), norm_(norm), params_(params) {
        require_positive("lucid::TotalVariation", "lambda", lambda);
        params_.validate();
    }

    T lambda() const { return lambda_; }
    TvNorm norm() const { return norm_; }
    const TvProxParams& params() const { return params_; }
    /// Changes the FGP options (keeps the warm start).
    void set_params(TvProxParams p) { p.validate(); params_ = p; }
    /// What the last prox call did.
    const TvProxInfo& last_prox_info() const { return info_; }
    /// Forgets the dual variable kept for warm starts.
    void reset_warm_start() const { solvers_.clear(); }

    /// λ Σ|x_{k+1} − x_k| for a 1-D signal (xtensor of rank 1 or Eigen vector).
    template <Vector V>
        requires(std::same_as<V, xt::xtensor<T, 1>> || std::same_as<V, VectorX<T>>)
    T value(const V& x) const {
        const T* p = VectorTraits<V>::data(x);
        double s = 0;
        for (std::size_t k = 0; k + 1 < element_count(x); ++k) s += std::abs(double(p[k + 1]) - double(p[k]));
        return T(double(lambda_) * s);
    }

    /// Exact prox of 1-D TV (Condat's direct algorithm, `tv1d_prox`); out may alias v.
    template <Vector V>
        requires(std::same_as<V, xt::xtensor<T, 1>> || std::same_as<V, VectorX<T>>)
    void prox(const V& v, T tau, V& out) const {
        detail::require_tau("lucid::TotalVariation::prox", tau);
        tv1d_prox(v, tau * lambda_, out);
        info_ = TvProxInfo{0, 0.0, 0.0, true};
    }

    /// λ·TV(x) for an H×W image or a C×H×W stack.
    template <std::size_t Rank>
        requires(Rank == 2 || Rank == 3)
    T value(const xt::xtensor<T, Rank>& x) const {
        const Shape<Rank> s = shape_of(x);
        const auto hw = plane_shape(s);
        const std::size_t c = channel_count(s);
        double total = 0;
        if (norm_ == TvNorm::vectorial && c > 1) total = detail::tv_vectorial(x.data(), c, hw[0], hw[1]);
        else
            for (std::size_t k = 0; k < c; ++k) total += detail::tv_plane(x.data() + k * hw[0] * hw[1], hw[0], hw[1], norm_);
        return T(double(lambda_) * total);
    }

    /// out = argmin_x ½‖x − v‖² + τλ·TV(x) (see class comment). out may alias v.
    template <std::size_t Rank>
        requires(Rank == 2 || Rank == 3)
    void prox(const xt::xtensor<T, Rank>& v, T tau, xt::xtensor<T, Rank>& out) const {
        constexpr const char* where = "lucid::TotalVariation::prox";
        detail::require_tau(where, tau);
        const Shape<Rank> s = shape_of(v);
        require_shape(where, "out", shape_of(out), s);
        require_finite_image(where, "v", v);
        const auto hw = plane_shape(s);
        const std::size_t c = channel_count(s), plane = hw[0] * hw[1];
        const T mu = tau * lambda_;
        if (mu < std::numeric_limits<T>::min()) {
            // |prox(v) − v| ≤ 4μ (a dual field with |p| ≤ 1 has |div p| ≤ 4): below the
            // smallest normal number v is the prox to rounding, and FGP's step 1/(8μ) would overflow.
            if (out.data() != v.data()) std::copy(v.data(), v.data() + v.size(), out.data());
            info_ = TvProxInfo{0, 0.0, 0.0, true};
            return;
        }
        const bool coupled = norm_ == TvNorm::vectorial && c > 1;
        const std::size_t problems = coupled ? 1 : c;
        const bool warm = params_.warm_start;
        if (solvers_.size() != problems) solvers_.assign(problems, detail::FgpSolver<T>{});
        std::vector<TvProxInfo>& infos = infos_;
        infos.assign(problems, TvProxInfo{});
        const T* in = v.data();
        T* o = out.data();
        const TvNorm nrm = norm_;
        const TvProxParams prm = params_;
        auto solve = [&](std::ptrdiff_t k) {
            const std::size_t cc = coupled ? c : 1;
            solvers_[std::size_t(k)].prepare(cc, hw[0], hw[1], warm);
            infos[std::size_t(k)] = solvers_[std::size_t(k)].run(in + std::size_t(k) * plane, o + std::size_t(k) * plane, mu, nrm, prm);
        };
        parallel_for(0, std::ptrdiff_t(problems), solve, plane >= 4096 ? 1 : std::ptrdiff_t(1) << 30);
        info_ = infos[0];
        for (const auto& i : infos) {
            info_.iterations = std::max(info_.iterations, i.iterations);
            info_.gap = std::max(info_.gap, i.gap);
            info_.rms_bound = std::max(info_.rms_bound, i.rms_bound);
            info_.converged = info_.converged && i.converged;
        }
    }

private:
    T lambda_;
    TvNorm norm_;
    TvProxParams params_;
    mutable std::vector<detail::FgpSolver<T>> solvers_;
    mutable std::vector<TvProxInfo> infos_;
    mutable TvProxInfo info_;
};

}  // namespace lucid
