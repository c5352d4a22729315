// Why naive deblurring fails.
//
// The lecture writes a horizontal blur as an explicit nm×nm matrix A: every
// pixel becomes (x[j−3] + 2x[j−2] + 3x[j−1] + 4x[j] + 3x[j+1] + 2x[j+2] + x[j+3])/15
// of its row (zero outside). A is invertible, so "deblurring" looks like
// solving A x = y. This program builds A (ops::lecture_blur_matrix), checks it
// against ops::Convolution, measures its extreme singular values (Lanczos on
// AᵀA and on (AᵀA)⁻¹, plus a dense SVD of one row block), and shows what
// 1e-3 noise on y does to A⁻¹y: the relative error is hundreds of times the
// relative noise, bounded by cond(A) = σ_max/σ_min. A little Tikhonov
// regularization, (AᵀA + λI)x = Aᵀy solved by CG, brings it back.
//
// usage: example_toeplitz_naive_inverse [--smoke] [--size N] [--noise SIGMA] [--out DIR]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include <Eigen/Dense>
#include <Eigen/SparseLU>

#include "lucid/lucid.hpp"
#include "lucid/kernels/gaussian.hpp"
#include "lucid/ops/convolution.hpp"
#include "lucid/ops/toeplitz.hpp"
#include "lucid/solvers/conjugate_gradient.hpp"

int main(int argc, char** argv) {
    std::size_t n = 256;
    double sigma = 1e-3;
    std::string out_dir;
    bool smoke = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--smoke") {
            smoke = true;
            n = 64;
        } else if (a == "--size" && i + 1 < argc) {
            n = std::size_t(std::atol(argv[++i]));
        } else if (a == "--noise" && i + 1 < argc) {
            sigma = std::atof(argv[++i]);
        } else if (a == "--out" && i + 1 < argc) {
            out_dir = argv[++i];
        } else {
            std::fprintf(stderr, "usage: %s [--smoke] [--size N] [--noise SIGMA] [--out DIR]\n", argv[0]);
            return 2;
        }
    }
    try {
        using namespace lucid;
        const auto camera = io::read_gray<double>(std::string(LUCID_SOURCE_DIR) + "/data/camera.png");
        n = std::min({n, camera.shape()[0], camera.shape()[1]});
        if (n < 8) throw Error("--size must be at least 8");
        const std::size_t r0 = (camera.shape()[0] - n) / 2, c0 = (camera.shape()[1] - n) / 2;
        Image<double> x({n, n});
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) x(i, j) = camera(r0 + i, c0 + j);

        // 1. the matrix, and the same map as a convolution
        const auto A = ops::lecture_blur_matrix<double>(n, n);
        std::printf("image %zux%zu, A is %lldx%lld with %lld non-zeros (weights [1 2 3 4 3 2 1]/15, zero boundary)\n",
                    n, n, (long long)A.rows(), (long long)A.cols(), (long long)A.nonZeros());
        Image<double> k({1, 7});
        for (std::size_t j = 0; j < 7; ++j) k(0, j) = (4.0 - std::abs(double(j) - 3)) / 15.0;
        const ops::Convolution<double> K(k, {n, n}, Boundary::zero);
        const Eigen::VectorXd xv = as_eigen(x);
        const Eigen::VectorXd y = A * xv;
        const auto yk = K(x);
        std::printf("max |A vec(x) - Convolution(x)| = %.2e\n", (y - as_eigen(yk)).cwiseAbs().maxCoeff());

        // 2. conditioning
        const auto est = ops::extreme_singular_values(A);
        std::printf("sigma_max = %.6f, sigma_min = %.6e, cond(A) = %.1f  (%d iterations)\n", est.max, est.min,
                    est.condition, est.iterations);
        {
            // A = I ⊗ T_n: the dense SVD of one n×n block has the same singular values
            const Eigen::MatrixXd T1(ops::lecture_blur_matrix<double>(1, n));
            const Eigen::VectorXd s = Eigen::BDCSVD<Eigen::MatrixXd>(T1).singularValues();
            std::printf("dense SVD of one %zux%zu block: sigma_max = %.6f, sigma_min = %.6e, cond = %.1f\n", n, n, s(0),
                        s(s.size() - 1), s(0) / s(s.size() - 1));
        }

        // 3. naive inversion
        Eigen::SparseLU<Eigen::SparseMatrix<double>> lu(A);
        if (lu.info() != Eigen::Success) throw Error("sparse LU failed");
        const double exact_err = (lu.solve(y) - xv).norm() / xv.norm();
        std::mt19937 rng(2024);
        std::normal_distribution<double> noise(0, sigma);
        Eigen::VectorXd e(y.size());
        for (auto& v : e) v = noise(rng);
        const Eigen::VectorXd yn = y + e;
        const Eigen::VectorXd xhat = lu.solve(yn);
        const double rel_noise = e.norm() / y.norm(), rel_err = (xhat - xv).norm() / xv.norm();
        const double amplification = rel_err / rel_noise;
        std::printf("solve A x = y without noise: relative error %.1e\n", exact_err);
        std::printf("noise sigma = %.0e on y: relative noise %.2e -> relative error of A^-1 y %.3f  (amplified %.0fx, "
                    "bound cond(A) = %.0f)\n",
                    sigma, rel_noise, rel_err, amplification, est.condition);

        // 4. a regularized solve for contrast: (AᵀA + λI) x = Aᵀ y by conjugate gradients,
        //    with the matrix-free operator K (the same map, no matrix stored)
        const double lambda = 1e-3;
        auto normal = gram(K) + lambda * ops::Identity<Image<double>>({n, n});
        Image<double> yimg({n, n});
        std::copy(yn.data(), yn.data() + yn.size(), yimg.data());
        const auto rhs = K.adjoint_of(yimg);
        const auto tik = conjugate_gradient(normal, rhs, zeros_like(x), {.max_iter = 2000, .tol = 1e-10});
        const double tik_err = distance(tik.x, x) / norm(x);
        std::printf("Tikhonov (lambda = %.0e, %d CG iterations): relative error %.3f\n", lambda, tik.iterations, tik_err);

        // 5. a 2-D Gaussian blur is far worse: its singular values decay like exp(-σ²ω²/2)
        {
            const std::size_t g = smoke ? 16 : 24;
            const auto G = ops::block_toeplitz_matrix(kernels::gaussian<double>(1.5), {g, g});
            const Eigen::VectorXd s = Eigen::BDCSVD<Eigen::MatrixXd>(Eigen::MatrixXd(G)).singularValues();
            std::printf("Gaussian sigma = 1.5 on %zux%zu (dense SVD of the %zux%zu BTTB matrix): cond = %.2e\n", g, g,
                        g * g, g * g, s(0) / s(s.size() - 1));
        }

        if (!out_dir.empty()) {
            std::filesystem::create_directories(out_dir);
            auto save = [&](const char* name, const Eigen::VectorXd& v) {
                Image<double> img({n, n});
                for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = std::clamp(v(Eigen::Index(i)), 0.0, 1.0);
                io::write(out_dir + "/" + name, img);
            };
            save("toeplitz_original.png", xv);
            save("toeplitz_blurred_noisy.png", yn);
            save("toeplitz_naive_inverse.png", xhat);
            save("toeplitz_tikhonov.png", as_eigen(tik.x));
            std::printf("wrote 4 images to %s\n", out_dir.c_str());
        }
        if (!(amplification > 100)) {
            std::fprintf(stderr, "expected the noise to be amplified more than 100x\n");
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
