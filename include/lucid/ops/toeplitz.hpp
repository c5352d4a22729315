#pragma once
/// \file toeplitz.hpp
/// Explicit (sparse) blur matrices: 1-D Toeplitz and 2-D block-Toeplitz
/// matrices of a convolution with zero boundary, and the lecture's row-blur
/// matrix. They make the linear algebra of deblurring visible (singular
/// values, condition numbers, why A⁻¹y fails); for computing, use
/// ops::Convolution, which applies the same map without forming a matrix.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include <Eigen/Dense>
#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <random>
#include <utility>

#include "lucid/core/eigen_view.hpp"
#include "lucid/core/error.hpp"
#include "lucid/core/image.hpp"
#include "lucid/ops/matrix_operator.hpp"

namespace lucid::ops {

/// The n×n Toeplitz matrix of the 1-D convolution y = k ∗ x with zero
/// boundary, centre c = len(k)/2 (the convention of ops::Convolution):
/// \f[ T_{ij} = k[c + i - j] \quad (0 \le c + i - j < \mathrm{len}(k)), \qquad (Tx)_i = \sum_m k[m]\, x_{i + c - m}. \f]
/// Constant along diagonals; banded with len(k) diagonals.
/// ```cpp
/// auto T = lucid::ops::toeplitz_matrix<double>({0.25, 0.5, 0.25}, 5);  // tridiagonal
/// ```
template <class T>
Eigen::SparseMatrix<T> toeplitz_matrix(const std::vector<T>& kernel, std::size_t n) {
    constexpr const char* where = "lucid::ops::toeplitz_matrix";
    require(!kernel.empty(), where, "kernel", "non-empty", "an empty kernel");
    require(n >= 1, where, "n", ">= 1", n);
    for (std::size_t m = 0; m < kernel.size(); ++m)
        if (!std::isfinite(kernel[m]))
            lucid::detail::fail_argument(where, "kernel", "finite everywhere", lucid::detail::concat("a non-finite tap at ", m));
    const std::ptrdiff_t len = std::ptrdiff_t(kernel.size()), c = len / 2, nn = std::ptrdiff_t(n);
    std::vector<Eigen::Triplet<T>> t;
    t.reserve(std::size_t(nn * len));
    for (std::ptrdiff_t i = 0; i < nn; ++i)
        for (std::ptrdiff_t m = 0; m < len; ++m) {
            const std::ptrdiff_t j = i + c - m;
            if (j >= 0 && j < nn && kernel[std::size_t(m)] != T(0))
                t.emplace_back(Eigen::Index(i), Eigen::Index(j), kernel[std::size_t(m)]);
        }
    Eigen::SparseMatrix<T> A(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(n));
    A.setFromTriplets(t.begin(), t.end());
    return A;
}

/// The (H·W)×(H·W) block-Toeplitz matrix with Toeplitz blocks (BTTB) of the
/// 2-D convolution with zero boundary on H×W images, acting on the row-major
/// vec(x) (pixel (i, j) ↦ index i·W + j, as core/eigen_view.hpp):
/// \f[ A_{(iW + j),\,(pW + q)} = k[c_h + i - p,\ c_w + j - q], \qquad c_h = \lfloor k_h/2 \rfloor,\ c_w = \lfloor k_w/2 \rfloor, \f]
/// where the index lies in the kernel. A·vec(x) = vec(Convolution(k, {H, W}, zero)(x)).
/// Block (i, p) of size W×W is the 1-D Toeplitz matrix of kernel row c_h + i − p.
template <class T>
Eigen::SparseMatrix<T> block_toeplitz_matrix(const Image<T>& kernel, Shape<2> shape) {
    constexpr const char* where = "lucid::ops::block_toeplitz_matrix";
    require_finite_image(where, "kernel", kernel);
    require(shape[0] >= 1 && shape[1] >= 1, where, "shape", "non-empty", shape_string(shape));
    const std::ptrdiff_t h = std::ptrdiff_t(shape[0]), w = std::ptrdiff_t(shape[1]);
    const std::ptrdiff_t kh = std::ptrdiff_t(kernel.shape()[0]), kw = std::ptrdiff_t(kernel.shape()[1]);
    const std::ptrdiff_t ch = kh / 2, cw = kw / 2;
    std::vector<Eigen::Triplet<T>> t;
    t.reserve(std::size_t(h * w * kh * kw));
    for (std::ptrdiff_t i = 0; i < h; ++i)
        for (std::ptrdiff_t j = 0; j < w; ++j)
            for (std::ptrdiff_t m = 0; m < kh; ++m) {
                const std::ptrdiff_t p = i + ch - m;
                if (p < 0 || p >= h) continue;
                for (std::ptrdiff_t n = 0; n < kw; ++n) {
                    const std::ptrdiff_t q = j + cw - n;
                    const T v = kernel(std::size_t(m), std::size_t(n));
                    if (q >= 0 && q < w && v != T(0))
                        t.emplace_back(Eigen::Index(i * w + j), Eigen::Index(p * w + q), v);
                }
            }
    const Eigen::Index n = Eigen::Index(h * w);
    Eigen::SparseMatrix<T> A(n, n);
    A.setFromTriplets(t.begin(), t.end());
    return A;
}

/// The lecture's blur matrix for an n×m image (height n, width m): every pixel
/// is replaced by the weighted sum of its row neighbours with the printed
/// weights [1 2 3 4 3 2 1]/15 and zero outside the image,
/// \f[ y_{i,j} = \tfrac{1}{15}\,(x_{i,j-3} + 2x_{i,j-2} + 3x_{i,j-1} + 4x_{i,j} + 3x_{i,j+1} + 2x_{i,j+2} + x_{i,j+3}), \f]
/// an nm×nm block-diagonal matrix I_n ⊗ T_m. The weights are reproduced as
/// printed: they sum to 16/15, not 1 (the normalized kernel is
/// kernels::toeplitz_row, [1 2 3 4 3 2 1]/16). T_m has the symbol
/// (8/15)·cos²ω·(1 + cos ω) ≥ 0, which vanishes at ω = π/2 and π, so its
/// smallest singular value decays like 1/m² and cond(A) grows like m²
/// (≈ 1.8·10³ at m = 64, ≈ 2.7·10⁴ at m = 256).
template <class T>
Eigen::SparseMatrix<T> lecture_blur_matrix(std::size_t height, std::size_t width) {
    constexpr const char* where = "lucid::ops::lecture_blur_matrix";
    require(height >= 1, where, "height", ">= 1", height);
    require(width >= 1, where, "width", ">= 1", width);
    Image<T> k({1, 7});
    const double w[] = {1, 2, 3, 4, 3, 2, 1};
    for (std::size_t j = 0; j < 7; ++j) k(0, j) = T(w[j] / 15.0);
    return block_toeplitz_matrix(k, {height, width});
}

/// The block-Toeplitz matrix of `kernel` as an operator on H×W images: equal
/// to ops::Convolution(kernel, shape, Boundary::zero) (to round-off), but a
/// stored sparse matrix.
template <class T>
MatrixOperator<Eigen::SparseMatrix<T>, Image<T>> toeplitz_operator(const Image<T>& kernel, Shape<2> shape) {
    return MatrixOperator<Eigen::SparseMatrix<T>, Image<T>>(block_toeplitz_matrix(kernel, shape), shape, shape);
}

/// Largest and smallest singular value of a square sparse matrix and the
/// 2-norm condition number σ_max/σ_min.
struct SingularValueEstimate {
    double max = 0;        ///< σ_max = √λ_max(AᵀA)
    double min = 0;        ///< σ_min = 1/√λ_max((AᵀA)⁻¹) (0 if A is singular)
    double condition = 0;  ///< σ_max / σ_min (∞ if singular)
    int iterations = 0;    ///< Lanczos steps used by the slower of the two runs
};

namespace detail {

/// Largest eigenvalue of a symmetric positive semi-definite operator v ↦ op(v)
/// on Rⁿ by the Lanczos method with full reorthogonalization (Golub & Van Loan,
/// Matrix Computations, §10.1): the largest Ritz value of the k×k tridiagonal
/// matrix, stopped when it changes by less than tol (relative) between checks.
template <class Op>
std::pair<double, int> lanczos_largest(Op&& op, Eigen::Index n, int max_steps, double tol, std::mt19937_64& rng) {
    std::normal_distribution<double> normal(0, 1);
    const int kmax = int(std::min<Eigen::Index>(max_steps, n));
    Eigen::MatrixXd Q(n, kmax);
    std::vector<double> alpha, beta;
    Eigen::VectorXd q(n);
    for (Eigen::Index i = 0; i < n; ++i) q(i) = normal(rng);
    q /= q.norm();
    double ritz = 0;
    int k = 0;
    for (k = 1; k <= kmax; ++k) {
        Q.col(k - 1) = q;
        Eigen::VectorXd w = op(q);
        alpha.push_back(q.dot(w));
        for (int pass = 0; pass < 2; ++pass)  // full reorthogonalization, twice is enough
            w -= Q.leftCols(k) * (Q.leftCols(k).transpose() * w);
        const double b = w.norm();
        bool done = k == kmax || !(b > 1e-300);
        if (k % 4 == 0 || done) {
            Eigen::MatrixXd Tm = Eigen::MatrixXd::Zero(k, k);
            for (int i = 0; i < k; ++i) {
                Tm(i, i) = alpha[std::size_t(i)];
                if (i + 1 < k) Tm(i, i + 1) = Tm(i + 1, i) = beta[std::size_t(i)];
            }
            const double next = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(Tm, Eigen::EigenvaluesOnly)
                                    .eigenvalues()
                                    .maxCoeff();
            done = done || std::abs(next - ritz) <= tol * std::abs(next);
            ritz = next;
        }
        if (done) break;
        beta.push_back(b);
        q = w / b;
    }
    return {ritz, std::min(k, kmax)};
}

}  // namespace detail

/// Estimates σ_max(A) and σ_min(A) of a square sparse matrix without forming
/// AᵀA or a dense SVD: Lanczos on AᵀA gives λ_max = σ_max², and Lanczos on
/// (AᵀA)⁻¹ = A⁻¹A⁻ᵀ (applied through one sparse LU factorization, with A and
/// Aᵀ solves) gives 1/σ_min². Extreme Ritz values converge fast even when the
/// singular values cluster (as they do for blur matrices). Computed in double;
/// memory n·max_steps doubles for the Lanczos basis. Use it for the
/// ill-conditioning of blur matrices: cond(A) bounds the amplification
/// ‖δx‖/‖x‖ ≤ cond(A)·‖δy‖/‖y‖ of data errors by A⁻¹.
/// ```cpp
/// auto e = lucid::ops::extreme_singular_values(lucid::ops::lecture_blur_matrix<double>(64, 64));
/// // e.condition ≈ 1821
/// ```
template <class T>
SingularValueEstimate extreme_singular_values(const Eigen::SparseMatrix<T>& matrix, int max_steps = 200,
                                              double tol = 1e-12, std::uint64_t seed = 1) {
    constexpr const char* where = "lucid::ops::extreme_singular_values";
    require(matrix.rows() == matrix.cols() && matrix.rows() > 0, where, "matrix", "square and non-empty",
            lucid::detail::concat(matrix.rows(), "x", matrix.cols()));
    require(max_steps >= 1, where, "max_steps", ">= 1", max_steps);
    require(std::isfinite(tol) && tol > 0, where, "tol", "finite and > 0", tol);
    const Eigen::SparseMatrix<double> A = matrix.template cast<double>();
    std::mt19937_64 rng(seed);
    SingularValueEstimate out;
    const auto [lmax, it_max] = detail::lanczos_largest(
        [&](const Eigen::VectorXd& v) { return Eigen::VectorXd(A.transpose() * (A * v)); }, A.rows(), max_steps,
        tol, rng);
    out.max = std::sqrt(std::max(0.0, lmax));
    out.iterations = it_max;
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.analyzePattern(A);
    lu.factorize(A);
    if (lu.info() != Eigen::Success) {
        out.condition = std::numeric_limits<double>::infinity();
        return out;
    }
    const auto [linv, it_min] = detail::lanczos_largest(
        [&](const Eigen::VectorXd& v) {
            const Eigen::VectorXd u = lu.transpose().solve(v);  // A⁻ᵀv
            return Eigen::VectorXd(lu.solve(u));                // A⁻¹A⁻ᵀv
        },
        A.rows(), max_steps, tol, rng);
    out.iterations = std::max(out.iterations, it_min);
    if (!(linv > 0) || !std::isfinite(linv)) {
        out.condition = std::numeric_limits<double>::infinity();
        return out;
    }
    out.min = 1 / std::sqrt(linv);
    out.condition = out.max / out.min;
    return out;
}

}  // namespace lucid::ops
