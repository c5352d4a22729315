#pragma once
/// \file kernel_least_squares.hpp
/// The kernel step of blind deconvolution: least squares in the kernel with
/// the image fixed, through its Toeplitz normal equations, solved by CG and
/// then on the simplex by accelerated projected gradient.

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstddef>
#include <memory>
#include <vector>

#include <xtensor/xtensor.hpp>

#include "lucid/core/fft.hpp"
#include "lucid/functionals/simplex.hpp"

namespace lucid::detail::blind {

/// Normal equations of min_k ½ Σ_p ((k ⊛ g)(p) − f(p))² + ½γ‖k‖² over n×n
/// kernels k(d), d ∈ [−c, c]², c = n/2, with (k ⊛ g)(p) = Σ_d k(d) g(p − d):
/// \f[ (T + \gamma I)\,k = b,\qquad T_{d,d'} = \rho(d - d'),\quad
///     \rho(\delta) = \sum_q g(q)\,g(q + \delta),\quad b(d) = \sum_p f(p)\,g(p - d), \f]
/// T the Toeplitz-block-Toeplitz matrix of the autocorrelation ρ (summed over
/// gradient directions by the caller). The caller fills ρ on the
/// (2n−1)×(2n−1) window of lags (`rho(δy, δx)`) and b on n×n (`rhs(dy, dx)`),
/// both obtained by FFT. Products with T are the central n×n part of the
/// linear convolution ρ ∗ k, computed by one FFT pair on an N×N grid,
/// N ≥ 2n − 1 (no wrap-around reaches the central part), with ρ's spectrum
/// computed once per kernel step (`finish_rho`): O(n² log n) instead of the
/// n⁴ multiply-adds of the direct sums, and faster at every side measured
/// (`bench_blind`, BM_KernelNormalProduct, one thread: 0.35 vs 0.52 µs at
/// n = 5, 25 vs 158 µs at n = 25, 2.3 ms vs 1.9 s at n = 255). The direct sums
/// stay as the reference (`Product::direct`). All buffers and plans are made in
/// the constructor; the solves do not allocate (the simplex projection's sort
/// buffer is allocated on its first call).
class KernelNormalEquations {
public:
    /// How products with T are computed: by FFT (the default), or by the direct sums (reference).
    enum class Product { fft, direct };

    explicit KernelNormalEquations(std::size_t n, Product product = Product::fft)
        : n_(n), m_(2 * n - 1), rho_flipped_(m_ * m_), b_(n * n), r_(n * n), p_(n * n), q_(n * n),
          y_(n * n), prev_(n * n), grad_(n * n), proj_(xt::xtensor<double, 1>::shape_type{n * n}) {
        if (product == Product::fft) {
            N_ = fft::good_size(m_);
            // one thread: the grid is small (≤ 509² at n = 255), threads cost more than they save
            r2c_ = fft::plan<double>(fft::Kind::r2c, N_, N_, 1);
            c2r_ = fft::plan<double>(fft::Kind::c2r, N_, N_, 1);
            grid_ = fft::AlignedBuffer<double>(N_ * N_);
            rho_hat_ = fft::AlignedBuffer<std::complex<double>>(N_ * (N_ / 2 + 1));
            k_hat_ = fft::AlignedBuffer<std::complex<double>>(N_ * (N_ / 2 + 1));
        }
    }

    std::size_t size() const { return n_; }
    /// ρ at lag (δy, δx), δ ∈ [−(n−1), n−1]; call finish_rho after writing all of them.
    double& rho_slot(std::ptrdiff_t dy, std::ptrdiff_t dx) {
        // stored flipped so that the product reads it forwards
        const std::size_t a = std::size_t(std::ptrdiff_t(n_) - 1 - dy), b = std::size_t(std::ptrdiff_t(n_) - 1 - dx);
        return rho_flipped_[a * m_ + b];
    }
    double rho(std::ptrdiff_t dy, std::ptrdiff_t dx) const {
        const std::size_t a = std::size_t(std::ptrdiff_t(n_) - 1 - dy), b = std::size_t(std::ptrdiff_t(n_) - 1 - dx);
        return rho_flipped_[a * m_ + b];
    }
    /// b at offset index (i, j) ∈ [0, n)², i.e. d = (i − c, j − c).
    double& rhs(std::size_t i, std::size_t j) { return b_[i * n_ + j]; }
    /// γ ≥ 0, the weight of ½‖k‖².
    void set_gamma(double gamma) { gamma_ = gamma; }
    double gamma() const { return gamma_; }

    /// Call once ρ is written: on the FFT path, transforms it (R[u][v] = ρ(u − n + 1, v − n + 1)
    /// on [0, 2n−1)², zero-padded to N×N).
    void finish_rho() {
        if (!r2c_) return;
        std::fill(grid_.data(), grid_.data() + N_ * N_, 0.0);
        for (std::size_t u = 0; u < m_; ++u)
            for (std::size_t v = 0; v < m_; ++v) grid_[u * N_ + v] = rho_flipped_[(m_ - 1 - u) * m_ + (m_ - 1 - v)];
        r2c_->r2c(grid_.data(), rho_hat_.data());
    }

    /// out = (T + γI) k for n×n arrays (row-major).
    void apply(const double* k, double* out) const {
        const std::ptrdiff_t n = std::ptrdiff_t(n_), m = std::ptrdiff_t(m_);
        if (r2c_) {
            apply_fft(k, out);
            return;
        }
        for (std::ptrdiff_t i = 0; i < n * n; ++i) out[i] = gamma_ * k[i];
        // out(i, j) += Σ_{i', j'} ρ(i − i', j − j') k(i', j') = Σ ρf(n−1−i+i', n−1−j+j') k(i', j')
        for (std::ptrdiff_t ip = 0; ip < n; ++ip)
            for (std::ptrdiff_t jp = 0; jp < n; ++jp) {
                const double kv = k[ip * n + jp];
                if (kv == 0) continue;
                for (std::ptrdiff_t i = 0; i < n; ++i) {
                    const double* rf = rho_flipped_.data() + (n - 1 - i + ip) * m + (n - 1 + jp);
                    double* o = out + i * n;
                    // rf[-j] = ρf(n−1−i+i', n−1−j+j')
                    for (std::ptrdiff_t j = 0; j < n; ++j) o[j] += kv * rf[-j];
                }
            }
    }

    /// ½kᵀ(T + γI)k − bᵀk (the objective up to a constant).
    double objective(const double* k) {
        apply(k, q_.data());
        double v = 0;
        for (std::size_t i = 0; i < n_ * n_; ++i) v += k[i] * (0.5 * q_[i] - b_[i]);
        return v;
    }

    /// Conjugate gradients on (T + γI)k = b from the given k (warm start), at
    /// most `iterations` steps or until ‖r‖ ≤ tol·‖b‖ (Hestenes & Stiefel 1952).
    int solve_cg(double* k, int iterations, double tol) {
        const std::size_t nn = n_ * n_;
        apply(k, q_.data());
        double bb = 0, rr = 0;
        for (std::size_t i = 0; i < nn; ++i) {
            r_[i] = b_[i] - q_[i];
            p_[i] = r_[i];
            rr += r_[i] * r_[i];
            bb += b_[i] * b_[i];
        }
        const double stop = tol * tol * bb;
        int it = 0;
        for (; it < iterations && rr > stop && rr > 0; ++it) {
            apply(p_.data(), q_.data());
            double pq = 0;
            for (std::size_t i = 0; i < nn; ++i) pq += p_[i] * q_[i];
            if (!(pq > 0)) break;
            const double alpha = rr / pq;
            double rr_new = 0;
            for (std::size_t i = 0; i < nn; ++i) {
                k[i] += alpha * p_[i];
                r_[i] -= alpha * q_[i];
                rr_new += r_[i] * r_[i];
            }
            const double beta = rr_new / rr;
            rr = rr_new;
            for (std::size_t i = 0; i < nn; ++i) p_[i] = r_[i] + beta * p_[i];
        }
        return it;
    }

    /// Largest eigenvalue of T + γI by power iteration (Rayleigh quotient,
    /// ×1.02 for safety), starting from the all-ones vector.
    double lipschitz(int iterations = 30) {
        const std::size_t nn = n_ * n_;
        std::fill(p_.begin(), p_.end(), 1.0 / std::sqrt(double(nn)));
        double lambda = gamma_;
        for (int it = 0; it < iterations; ++it) {
            apply(p_.data(), q_.data());
            double qq = 0, pq = 0;
            for (std::size_t i = 0; i < nn; ++i) {
                qq += q_[i] * q_[i];
                pq += p_[i] * q_[i];
            }
            lambda = pq;
            const double nq = std::sqrt(qq);
            if (!(nq > 0)) break;
            for (std::size_t i = 0; i < nn; ++i) p_[i] = q_[i] / nq;
        }
        return 1.02 * std::max(lambda, gamma_) + 1e-300;
    }

    /// min ½kᵀ(T + γI)k − bᵀk subject to k ≥ 0, Σk = 1 by FISTA (Beck &
    /// Teboulle 2009) with the exact Euclidean projection onto the simplex
    /// (lucid::Simplex) and step 1/L, L from `lipschitz`; k is the warm start
    /// (projected first). Returns the iterations run (stops when the step
    /// changes k by less than tol·‖k‖).
    int solve_simplex(double* k, int iterations, double tol) {
        const std::size_t nn = n_ * n_;
        const double L = lipschitz();
        project(k);
        std::copy(k, k + nn, y_.begin());
        std::copy(k, k + nn, prev_.begin());
        double t = 1;
        int it = 0;
        for (; it < iterations; ++it) {
            apply(y_.data(), grad_.data());
            for (std::size_t i = 0; i < nn; ++i) k[i] = y_[i] - (grad_[i] - b_[i]) / L;
            project(k);
            double dk = 0, kk = 0;
            for (std::size_t i = 0; i < nn; ++i) {
                dk += (k[i] - prev_[i]) * (k[i] - prev_[i]);
                kk += k[i] * k[i];
            }
            const double t_next = 0.5 * (1 + std::sqrt(1 + 4 * t * t));
            const double w = (t - 1) / t_next;
            for (std::size_t i = 0; i < nn; ++i) {
                y_[i] = k[i] + w * (k[i] - prev_[i]);
                prev_[i] = k[i];
            }
            t = t_next;
            if (dk <= tol * tol * kk) {
                ++it;
                break;
            }
        }
        return it;
    }

    /// Euclidean projection of the n×n array onto the simplex.
    void project(double* k) {
        std::copy(k, k + n_ * n_, proj_.data());
        simplex_.project(proj_, proj_);
        std::copy(proj_.data(), proj_.data() + n_ * n_, k);
    }

private:
    /// (T + γI)k by one FFT pair: (Tk)(i, j) = (R ∗ k)(i + n − 1, j + n − 1).
    void apply_fft(const double* k, double* out) const {
        std::fill(grid_.data(), grid_.data() + N_ * N_, 0.0);
        for (std::size_t i = 0; i < n_; ++i) std::copy(k + i * n_, k + (i + 1) * n_, grid_.data() + i * N_);
        r2c_->r2c(grid_.data(), k_hat_.data());
        const std::size_t nf = N_ * (N_ / 2 + 1);
        for (std::size_t f = 0; f < nf; ++f) k_hat_[f] *= rho_hat_[f];
        c2r_->c2r(k_hat_.data(), grid_.data());
        const double inv = 1.0 / double(N_ * N_);
        for (std::size_t i = 0; i < n_; ++i) {
            const double* row = grid_.data() + (i + n_ - 1) * N_ + (n_ - 1);
            for (std::size_t j = 0; j < n_; ++j) out[i * n_ + j] = gamma_ * k[i * n_ + j] + inv * row[j];
        }
    }

    std::size_t n_, m_;
    std::vector<double> rho_flipped_, b_, r_, p_, q_, y_, prev_, grad_;
    // FFT path
    std::size_t N_ = 0;
    std::shared_ptr<const fft::Plan<double>> r2c_, c2r_;
    mutable fft::AlignedBuffer<double> grid_;
    fft::AlignedBuffer<std::complex<double>> rho_hat_;
    mutable fft::AlignedBuffer<std::complex<double>> k_hat_;
    xt::xtensor<double, 1> proj_;
    double gamma_ = 0;
    Simplex<double> simplex_{1.0};
};

}  // namespace lucid::detail::blind
