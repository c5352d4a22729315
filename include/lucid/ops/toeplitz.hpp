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

#include <Eigen/SparseCore>
#include <Eigen/SparseLU>
#include <random>

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
    double max = 0;        ///< σ_max by power iteration on AᵀA
    double min = 0;        ///< σ_min by inverse iteration on AᵀA (0 if A is singular)
    double condition = 0;  ///< σ_max / σ_min (∞ if singular)
    int iterations = 0;    ///< iterations used by the slower of the two
};

/// Estimates σ_max(A) and σ_min(A) of a square sparse matrix without forming
/// AᵀA or a dense SVD: power iteration v ← AᵀAv/‖AᵀAv‖ for σ_max, and inverse
/// iteration v ← (AᵀA)⁻¹v/‖·‖ for σ_min, applying (AᵀA)⁻¹ = A⁻¹A⁻ᵀ through one
/// sparse LU factorization (Eigen::SparseLU, A solves and Aᵀ solves). Both use
/// the Rayleigh quotient vᵀAᵀAv, which converges with the square of the gap
/// ratio; they stop when it changes by less than `tol` (relative). Computed in
/// double. Use for the ill-conditioning of blur matrices (cond(A) bounds the
/// amplification ‖δx‖/‖x‖ ≤ cond(A)·‖δy‖/‖y‖ of data errors by A⁻¹).
template <class T>
SingularValueEstimate extreme_singular_values(const Eigen::SparseMatrix<T>& matrix, int max_iter = 2000,
                                              double tol = 1e-12, std::uint64_t seed = 1) {
    constexpr const char* where = "lucid::ops::extreme_singular_values";
    require(matrix.rows() == matrix.cols() && matrix.rows() > 0, where, "matrix", "square and non-empty",
            lucid::detail::concat(matrix.rows(), "x", matrix.cols()));
    require(max_iter >= 1, where, "max_iter", ">= 1", max_iter);
    require(std::isfinite(tol) && tol > 0, where, "tol", "finite and > 0", tol);
    using Vec = Eigen::VectorXd;
    const Eigen::SparseMatrix<double> A = matrix.template cast<double>();
    const Eigen::Index n = A.rows();
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0, 1);
    auto start = [&] {
        Vec v(n);
        for (Eigen::Index i = 0; i < n; ++i) v(i) = normal(rng);
        return Vec(v / v.norm());
    };
    SingularValueEstimate out;
    // σ_max² = max vᵀAᵀAv
    Vec v = start();
    double rq = 0;
    int it = 0;
    for (it = 1; it <= max_iter; ++it) {
        const Vec av = A * v;
        const Vec w = A.transpose() * av;
        const double next = av.squaredNorm();  // vᵀAᵀAv with ‖v‖ = 1
        v = w / w.norm();
        if (std::abs(next - rq) <= tol * next) {
            rq = next;
            break;
        }
        rq = next;
    }
    out.max = std::sqrt(rq);
    out.iterations = std::min(it, max_iter);
    // σ_min² = 1 / max vᵀ(AᵀA)⁻¹v
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.analyzePattern(A);
    lu.factorize(A);
    if (lu.info() != Eigen::Success) {
        out.min = 0;
        out.condition = std::numeric_limits<double>::infinity();
        return out;
    }
    v = start();
    rq = 0;
    for (it = 1; it <= max_iter; ++it) {
        const Vec u = lu.transpose().solve(v);  // A⁻ᵀv
        const Vec w = lu.solve(u);              // A⁻¹A⁻ᵀv = (AᵀA)⁻¹v
        const double next = u.squaredNorm();    // vᵀ(AᵀA)⁻¹v
        if (!std::isfinite(next)) {
            out.min = 0;
            out.condition = std::numeric_limits<double>::infinity();
            return out;
        }
        v = w / w.norm();
        if (std::abs(next - rq) <= tol * next) {
            rq = next;
            break;
        }
        rq = next;
    }
    out.min = 1 / std::sqrt(rq);
    out.condition = out.max / out.min;
    out.iterations = std::max(out.iterations, std::min(it, max_iter));
    return out;
}

}  // namespace lucid::ops
