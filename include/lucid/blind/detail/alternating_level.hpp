#pragma once
/// \file alternating_level.hpp
/// One pyramid level of blind kernel estimation: the image step (L0-gradient
/// deconvolution by half-quadratic splitting, FFT) and the kernel step
/// (least squares on gradients, FFT correlations + Toeplitz solves on the
/// simplex), on a padded periodic grid whose buffers and plans are made once.

#include <algorithm>
#include <cmath>
#include <complex>
#include <functional>
#include <limits>
#include <cstddef>
#include <memory>
#include <numbers>
#include <vector>

#include "lucid/blind/detail/kernel_cleanup.hpp"
#include "lucid/blind/detail/kernel_least_squares.hpp"
#include "lucid/blind/options.hpp"
#include "lucid/core/fft.hpp"
#include "lucid/core/image.hpp"

namespace lucid::detail::blind {

/// Half-sample symmetric reflection of an index into [0, n).
inline std::size_t reflect_index(std::ptrdiff_t i, std::size_t n) {
    const std::ptrdiff_t period = 2 * std::ptrdiff_t(n);
    std::ptrdiff_t r = i % period;
    if (r < 0) r += period;
    return std::size_t(r < std::ptrdiff_t(n) ? r : period - 1 - r);
}

/// Writes into the P×Q grid `out` the image y (h×w) at the top-left corner
/// and a smooth periodic continuation elsewhere: in each row the gap between
/// the right edge and the (wrapped) left edge is a raised-cosine cross-fade
/// of the two mirror images, then the same down each column. The result is
/// continuous across every edge of the periodic grid, so the FFT-based
/// deconvolution sees no artificial jump (the role of Liu & Jia 2008's
/// boundary wrapping in Pan et al.'s code).
template <class T>
void periodic_extension(const Image<T>& y, std::size_t P, std::size_t Q, T* out) {
    const std::size_t h = y.shape()[0], w = y.shape()[1];
    const std::size_t gw = Q - w, gh = P - h;
    for (std::size_t i = 0; i < h; ++i) {
        T* row = out + i * Q;
        std::copy(y.data() + i * w, y.data() + (i + 1) * w, row);
        for (std::size_t t = 1; t <= gw; ++t) {
            const double a = 0.5 * (1 - std::cos(std::numbers::pi * double(t) / double(gw + 1)));
            const double right = double(row[reflect_index(std::ptrdiff_t(w) - std::ptrdiff_t(t), w)]);
            const double left = double(row[reflect_index(std::ptrdiff_t(gw + 1 - t) - 1, w)]);
            row[w + t - 1] = T((1 - a) * right + a * left);
        }
    }
    for (std::size_t t = 1; t <= gh; ++t) {
        const double a = 0.5 * (1 - std::cos(std::numbers::pi * double(t) / double(gh + 1)));
        const T* below = out + reflect_index(std::ptrdiff_t(h) - std::ptrdiff_t(t), h) * Q;
        const T* above = out + reflect_index(std::ptrdiff_t(gh + 1 - t) - 1, h) * Q;
        T* row = out + (h + t - 1) * Q;
        for (std::size_t j = 0; j < Q; ++j) row[j] = T((1 - a) * double(below[j]) + a * double(above[j]));
    }
}

/// Smallest m ≥ n that is even and 7-smooth (fast for FFTW's r2c).
inline std::size_t even_fft_size(std::size_t n) {
    std::size_t m = fft::good_size(n);
    while (m % 2 != 0) m = fft::good_size(m + 1);
    return m;
}

/// Seconds spent in the two steps (accumulated).
struct StepTimes {
    double image = 0, kernel = 0;
};

/// The image and kernel steps of one pyramid level, for an h×w blurred image
/// y and an n×n kernel, on a P×Q periodic grid (P ≥ h + n, Q ≥ w + n, even
/// 7-smooth sizes). Everything is allocated in the constructor.
template <class T>
class AlternatingLevel {
    using C = std::complex<T>;

public:
    AlternatingLevel(const Image<T>& y, std::size_t n, const lucid::blind::KernelEstimationOptions& options)
        : h_(y.shape()[0]), w_(y.shape()[1]), n_(n), P_(even_fft_size(h_ + n)), Q_(even_fft_size(w_ + n)),
          Qc_(Q_ / 2 + 1), options_(options),
          r2c_(fft::plan<T>(fft::Kind::r2c, P_, Q_)), c2r_(fft::plan<T>(fft::Kind::c2r, P_, Q_)),
          ytil_(P_ * Q_), s_(P_ * Q_), gx_(P_ * Q_), gy_(P_ * Q_), work_(P_ * Q_),
          yhat_(P_ * Qc_), khat_(P_ * Qc_), num_(P_ * Qc_), scratch_(P_ * Qc_), spec_(P_ * Qc_), spec2_(P_ * Qc_),
          ayx_(P_ * Qc_), ayy_(P_ * Qc_), denk_(P_ * Qc_), d2_(P_ * Qc_), ex_(Qc_), ey_(P_),
          normal_(n), cleanup_(n), kd_(n * n) {
        for (auto& b : bins_) b.reserve(h_ * w_);
        // Periodic forward-difference symbols: ∂x ↔ e^{2πil/Q} − 1, ∂y ↔ e^{2πik/P} − 1.
        for (std::size_t l = 0; l < Qc_; ++l) {
            const double a = 2 * std::numbers::pi * double(l) / double(Q_);
            ex_[l] = C(T(std::cos(a) - 1), T(std::sin(a)));
        }
        for (std::size_t k = 0; k < P_; ++k) {
            const double a = 2 * std::numbers::pi * double(k) / double(P_);
            ey_[k] = C(T(std::cos(a) - 1), T(std::sin(a)));
        }
        for (std::size_t k = 0; k < P_; ++k)
            for (std::size_t l = 0; l < Qc_; ++l) d2_[k * Qc_ + l] = std::norm(ex_[l]) + std::norm(ey_[k]);
        periodic_extension(y, P_, Q_, ytil_.data());
        r2c_->r2c(ytil_.data(), yhat_.data());
        // FFTs of m∘∂x ỹ and m∘∂y ỹ, m the mask of the kernel-step residual
        // (pixels at least n/2 from the image border): constant per level.
        image_gradients(ytil_.data(), gx_.data(), gy_.data(), n_ / 2);
        r2c_->r2c(gx_.data(), ayx_.data());
        r2c_->r2c(gy_.data(), ayy_.data());
        std::copy(ytil_.begin(), ytil_.end(), s_.begin());
        useful_edges();
    }

    std::size_t grid_rows() const { return P_; }
    std::size_t grid_cols() const { return Q_; }
    /// The normal equations of the last kernel step (for tests).
    const KernelNormalEquations& normal_equations() const { return normal_; }

    /// Image step (Xu, Zheng & Jia 2013; Pan, Hu, Su & Yang 2014, Alg. 1):
    /// x ≈ argmin ‖k ∗ x − ỹ‖² + λ‖∇x‖₀ by half-quadratic splitting with
    /// g ≈ ∇x and β = 2λ, 2λκ, … < β_max:
    /// g = ∇x where |∇x|² ≥ λ/β, else 0;
    /// x = F⁻¹[(conj(K̂)Ŷ + β conj(D̂)·Ĝ) / (|K̂|² + β|D̂|²)] (periodic grid).
    /// Starts from ỹ; two FFTs per β step.
    void update_image(const Image<T>& k, double lambda) {
        embed_kernel(k);
        const std::size_t nf = P_ * Qc_;
        for (std::size_t i = 0; i < nf; ++i) {
            num_[i] = std::conj(khat_[i]) * yhat_[i];
            denk_[i] = std::norm(khat_[i]);
        }
        std::copy(ytil_.begin(), ytil_.end(), s_.begin());
        const T inv = T(1) / T(P_ * Q_);
        for (double beta = 2 * lambda; beta < options_.beta_max; beta *= options_.kappa) {
            threshold_divergence(T(lambda / beta));
            r2c_->r2c(work_.data(), spec_.data());
            const T b = T(beta);
            for (std::size_t i = 0; i < nf; ++i) {
                spec_[i] = (num_[i] + b * spec_[i]) / (denk_[i] + b * d2_[i]);
            }
            c2r_->c2r(spec_.data(), s_.data());
            for (auto& v : s_) v *= inv;
        }
    }

    /// Kernel step: the normal equations of
    /// min_k ½Σ_{p∈Ω} |(k ∗ ∇ₛx)(p) − ∇y(p)|² + ½γ‖k‖², γ = kernel_weight·ρ(0),
    /// where ∇ₛx keeps only the salient gradients of the latent image (Cho &
    /// Lee 2009: the largest magnitudes, at least `salient_fraction` of the
    /// non-zero ones in each of four orientation bins, and at least 2n), Ω the
    /// pixels at least n/2 from the border and ρ the autocorrelation of ∇ₛx on
    /// Ω; right-hand side and ρ from six FFTs. Solved by CG from the current k,
    /// then on the simplex {k ≥ 0, Σk = 1} by FISTA with exact projections, then
    /// pruned (small entries and components) — see `estimate_kernel`. k is
    /// n×n and is overwritten.
    void update_kernel(Image<T>& k) {
        const std::size_t nf = P_ * Qc_;
        const T inv = T(1) / T(P_ * Q_);
        // Salient gradients of x on the image region.
        image_gradients(s_.data(), gx_.data(), gy_.data(), 0);
        for (std::size_t i = 0; i < h_; ++i)
            for (std::size_t j = 0; j < w_; ++j)
                if (!useful_[i * w_ + j]) gx_[i * Q_ + j] = gy_[i * Q_ + j] = T(0);
        keep_salient(T(salient_threshold()));
        r2c_->r2c(gx_.data(), spec_.data());
        r2c_->r2c(gy_.data(), spec2_.data());
        // b(d) = Σ_{p∈Ω} ∇y(p)·∇ₛx(p − d)  ↔  Â_y·conj(Ĝ) summed over directions.
        for (std::size_t i = 0; i < nf; ++i)
            scratch_[i] = ayx_[i] * std::conj(spec_[i]) + ayy_[i] * std::conj(spec2_[i]);
        c2r_->c2r(scratch_.data(), work_.data());
        const std::ptrdiff_t n = std::ptrdiff_t(n_), c = n / 2;
        for (std::ptrdiff_t i = 0; i < n; ++i)
            for (std::ptrdiff_t j = 0; j < n; ++j)
                normal_.rhs(std::size_t(i), std::size_t(j)) =
                    double(work_[wrap(i - c, P_) * Q_ + wrap(j - c, Q_)] * inv);
        // ρ = autocorrelation of ∇ₛx restricted to Ω.
        restrict_to_interior(gx_.data());
        restrict_to_interior(gy_.data());
        r2c_->r2c(gx_.data(), spec_.data());
        r2c_->r2c(gy_.data(), spec2_.data());
        for (std::size_t i = 0; i < nf; ++i) spec_[i] = C(std::norm(spec_[i]) + std::norm(spec2_[i]), T(0));
        c2r_->c2r(spec_.data(), work_.data());
        for (std::ptrdiff_t dy = -(n - 1); dy <= n - 1; ++dy)
            for (std::ptrdiff_t dx = -(n - 1); dx <= n - 1; ++dx)
                normal_.rho_slot(dy, dx) = double(work_[wrap(dy, P_) * Q_ + wrap(dx, Q_)] * inv);
        normal_.finish_rho();
        const double rho0 = normal_.rho(0, 0);
        if (!(rho0 > 0) || !std::isfinite(rho0)) return;  // a flat image says nothing about k
        normal_.set_gamma(options_.kernel_weight * rho0);
        for (std::size_t i = 0; i < n_ * n_; ++i) kd_[i] = double(k.data()[i]);
        if (options_.cg_iterations > 0) normal_.solve_cg(kd_.data(), options_.cg_iterations, 1e-6);
        if (options_.simplex_iterations > 0) normal_.solve_simplex(kd_.data(), options_.simplex_iterations, 1e-5);
        else normal_.project(kd_.data());
        cleanup_.prune(kd_.data(), options_.prune_threshold, options_.component_mass);
        for (std::size_t i = 0; i < n_ * n_; ++i) k.data()[i] = T(kd_[i]);
    }

    /// Sets the latent image (h×w, continued periodically) — for testing the
    /// kernel step with a known sharp image.
    void set_latent(const Image<T>& x) { periodic_extension(x, P_, Q_, s_.data()); }

    /// The current latent image on the h×w image region.
    Image<T> latent() const {
        Image<T> x({h_, w_});
        for (std::size_t i = 0; i < h_; ++i) std::copy(s_.data() + i * Q_, s_.data() + i * Q_ + w_, x.data() + i * w_);
        return x;
    }

private:
    static std::size_t wrap(std::ptrdiff_t d, std::size_t m) {
        const std::ptrdiff_t r = d % std::ptrdiff_t(m);
        return std::size_t(r < 0 ? r + std::ptrdiff_t(m) : r);
    }

    /// K̂ = FFT of k placed with its centre at the grid origin.
    void embed_kernel(const Image<T>& k) {
        std::fill(work_.begin(), work_.end(), T(0));
        const std::ptrdiff_t n = std::ptrdiff_t(n_), c = n / 2;
        for (std::ptrdiff_t i = 0; i < n; ++i)
            for (std::ptrdiff_t j = 0; j < n; ++j)
                work_[wrap(i - c, P_) * Q_ + wrap(j - c, Q_)] = k(std::size_t(i), std::size_t(j));
        r2c_->r2c(work_.data(), khat_.data());
    }

    /// gx, gy = forward differences of the grid image x at the pixels at
    /// least `margin` from the border of the h×w image region (0 elsewhere;
    /// margin 0: the whole region but its last row and column).
    void image_gradients(const T* x, T* gx, T* gy, std::size_t margin) const {
        std::fill(gx, gx + P_ * Q_, T(0));
        std::fill(gy, gy + P_ * Q_, T(0));
        const std::size_t r = std::max<std::size_t>(margin, 1);
        for (std::size_t i = margin; i + r < h_; ++i)
            for (std::size_t j = margin; j + r < w_; ++j) {
                const T v = x[i * Q_ + j];
                gx[i * Q_ + j] = x[i * Q_ + j + 1] - v;
                gy[i * Q_ + j] = x[(i + 1) * Q_ + j] - v;
            }
    }

    /// Zeroes g outside the pixels at least n/2 from the image border.
    void restrict_to_interior(T* g) const {
        const std::size_t r = n_ / 2;
        for (std::size_t i = 0; i < h_; ++i) {
            T* row = g + i * Q_;
            if (i < r || i + r >= h_) {
                std::fill(row, row + w_, T(0));
                continue;
            }
            std::fill(row, row + r, T(0));
            std::fill(row + (w_ - r), row + w_, T(0));
        }
    }

    /// The squared-magnitude threshold of Cho & Lee's salient-edge selection
    /// (as in Pan et al.'s threshold_pxpy): the largest t such that each of
    /// the four orientation bins (angle of ∇x mod π, in quarters) keeps at
    /// least m = max(salient_fraction·(largest bin), 2n) pixels with
    /// |∇x|² ≥ t, over the non-zero gradients in gx_, gy_; 0 (keep all) when
    /// a bin has fewer than m of them.
    double salient_threshold() {
        for (auto& b : bins_) b.clear();
        const double quarter = std::numbers::pi / 4;
        for (std::size_t i = 0; i < h_; ++i)
            for (std::size_t j = 0; j < w_; ++j) {
                const T a = gx_[i * Q_ + j], b = gy_[i * Q_ + j];
                const T m = a * a + b * b;
                if (!(m > T(0))) continue;
                double ang = std::atan2(double(b), double(a));
                if (ang < 0) ang += std::numbers::pi;
                const int bin = std::min(3, int(ang / quarter));
                bins_[std::size_t(bin)].push_back(m);
            }
        std::size_t largest = 0;
        for (auto& b : bins_) largest = std::max(largest, b.size());
        const std::size_t need =
            std::max<std::size_t>(std::size_t(std::ceil(options_.salient_fraction * double(largest))), 2 * n_);
        double t = std::numeric_limits<double>::infinity();
        for (auto& b : bins_) {
            if (b.size() < need) return 0.0;
            std::nth_element(b.begin(), b.begin() + std::ptrdiff_t(need - 1), b.end(), std::greater<T>());
            t = std::min(t, double(b[need - 1]));
        }
        return t;
    }

    /// The mask of useful edges of Xu & Jia, "Two-phase kernel estimation for
    /// robust motion deblurring" (ECCV 2010, eq. 3): with ∇y the gradients of
    /// the blurred image and N(p) the n×n window at p,
    /// r(p) = |Σ_{N(p)} ∇y| / (Σ_{N(p)} |∇y| + ε);
    /// r is near 1 at an edge that is straight over the kernel's extent and
    /// small inside texture or structures thinner than the blur, whose
    /// gradients cancel and which mislead the kernel step. Keeps the
    /// `edge_fraction` of pixels with the largest r (all when it is 1).
    void useful_edges() {
        useful_.assign(h_ * w_, 1);
        if (!(options_.edge_fraction < 1)) return;
        const std::size_t W = w_ + 1;
        std::vector<double> sx((h_ + 1) * W, 0.0), sy(sx.size(), 0.0), sa(sx.size(), 0.0), r(h_ * w_);
        for (std::size_t i = 0; i < h_; ++i)
            for (std::size_t j = 0; j < w_; ++j) {
                const T* row = ytil_.data() + i * Q_;
                const double a = j + 1 < w_ ? double(row[j + 1] - row[j]) : 0.0;
                const double b = i + 1 < h_ ? double(row[Q_ + j] - row[j]) : 0.0;
                const std::size_t q = (i + 1) * W + j + 1;
                sx[q] = a + sx[q - 1] + sx[q - W] - sx[q - W - 1];
                sy[q] = b + sy[q - 1] + sy[q - W] - sy[q - W - 1];
                sa[q] = std::hypot(a, b) + sa[q - 1] + sa[q - W] - sa[q - W - 1];
            }
        const std::size_t c = n_ / 2;
        auto box = [&](const std::vector<double>& s, std::size_t i0, std::size_t j0, std::size_t i1, std::size_t j1) {
            return s[i1 * W + j1] - s[i0 * W + j1] - s[i1 * W + j0] + s[i0 * W + j0];
        };
        for (std::size_t i = 0; i < h_; ++i)
            for (std::size_t j = 0; j < w_; ++j) {
                const std::size_t i0 = i > c ? i - c : 0, j0 = j > c ? j - c : 0;
                const std::size_t i1 = std::min(h_, i + c + 1), j1 = std::min(w_, j + c + 1);
                const double gx = box(sx, i0, j0, i1, j1), gy = box(sy, i0, j0, i1, j1);
                r[i * w_ + j] = std::hypot(gx, gy) / (box(sa, i0, j0, i1, j1) + options_.edge_epsilon);
            }
        std::vector<double> sorted = r;
        const std::size_t keep = std::max<std::size_t>(1, std::size_t(options_.edge_fraction * double(h_ * w_)));
        std::nth_element(sorted.begin(), sorted.begin() + std::ptrdiff_t(keep - 1), sorted.end(), std::greater<double>());
        const double t = sorted[keep - 1];
        for (std::size_t q = 0; q < h_ * w_; ++q) useful_[q] = r[q] >= t;
    }

    /// Zeroes the gradients with |∇x|² < t.
    void keep_salient(T t) {
        for (std::size_t i = 0; i < h_; ++i)
            for (std::size_t j = 0; j < w_; ++j) {
                const std::size_t q = i * Q_ + j;
                if (gx_[q] * gx_[q] + gy_[q] * gy_[q] < t) gx_[q] = gy_[q] = T(0);
            }
    }

    /// work = Dᵀg with g = ∇s where |∇s|² ≥ t (else 0), periodic (the
    /// right-hand side of the x-update; D̂ᵀ = conj(D̂) in Fourier).
    void threshold_divergence(T t) {
        const std::size_t P = P_, Q = Q_;
        const T* s = s_.data();
        T* gx = gx_.data();
        T* gy = gy_.data();
        for (std::size_t i = 0; i < P; ++i) {
            const T* row = s + i * Q;
            const T* next = s + ((i + 1 == P) ? 0 : i + 1) * Q;
            T* ox = gx + i * Q;
            T* oy = gy + i * Q;
            for (std::size_t j = 0; j + 1 < Q; ++j) {
                const T a = row[j + 1] - row[j], b = next[j] - row[j];
                const bool keep = a * a + b * b >= t;
                ox[j] = keep ? a : T(0);
                oy[j] = keep ? b : T(0);
            }
            const T a = row[0] - row[Q - 1], b = next[Q - 1] - row[Q - 1];
            const bool keep = a * a + b * b >= t;
            ox[Q - 1] = keep ? a : T(0);
            oy[Q - 1] = keep ? b : T(0);
        }
        // (Dxᵀ gx)(i, j) = gx(i, j − 1) − gx(i, j); (Dyᵀ gy)(i, j) = gy(i − 1, j) − gy(i, j).
        T* out = work_.data();
        for (std::size_t i = 0; i < P; ++i) {
            const T* ox = gx + i * Q;
            const T* oy = gy + i * Q;
            const T* py = gy + ((i == 0) ? P - 1 : i - 1) * Q;
            T* o = out + i * Q;
            o[0] = ox[Q - 1] - ox[0] + py[0] - oy[0];
            for (std::size_t j = 1; j < Q; ++j) o[j] = ox[j - 1] - ox[j] + py[j] - oy[j];
        }
    }

    std::size_t h_, w_, n_, P_, Q_, Qc_;
    lucid::blind::KernelEstimationOptions options_;
    std::shared_ptr<const fft::Plan<T>> r2c_, c2r_;
    fft::AlignedBuffer<T> ytil_, s_, gx_, gy_, work_;
    fft::AlignedBuffer<C> yhat_, khat_, num_, scratch_, spec_, spec2_, ayx_, ayy_;
    fft::AlignedBuffer<T> denk_, d2_;
    std::vector<C> ex_, ey_;
    KernelNormalEquations normal_;
    KernelCleanup cleanup_;
    std::vector<double> kd_;
    std::vector<T> bins_[4];
    std::vector<unsigned char> useful_;
};

}  // namespace lucid::detail::blind
