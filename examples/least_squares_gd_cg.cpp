// Least squares by gradient descent and by conjugate gradients.
//
// Deblurring as a (regularized) least-squares problem
//
//     min_x  f(x) = ½‖Ax − y‖² + ½μ‖x‖²,      ∇f(x) = Aᵀ(Ax − y) + μx,
//
// with A a Gaussian blur (reflect boundary) of a camera crop and 1% noise.
// Both solvers only apply A and Aᵀ:
//
//   * gradient descent  x ← x − t∇f(x), with the fixed step t = 1/L
//     (L = ‖A‖² + μ) or with Barzilai–Borwein steps;
//   * conjugate gradients on the normal equations (AᵀA + μI)x = Aᵀy, i.e. on
//     the operator gram(A) + μ·I, which is symmetric positive definite.
//
// From x₀ = 0 both stopping rules measure the same thing, ‖∇f(x)‖/‖Aᵀy‖
// (the CG residual is −∇f(x)). GD needs O(κ) iterations, CG O(√κ).
//
// Part 2 drops the regularizer (μ = 0): the least-squares solution amplifies
// the noise, and CG's iterates show semi-convergence — PSNR rises, peaks and
// falls as the iterations start fitting the noise. Stopping early is itself
// a regularizer (Hansen, "Discrete Inverse Problems", 2010, §6.3).
//
//   example_least_squares_gd_cg [--smoke] [--size N] [--mu MU]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "lucid/lucid.hpp"

using namespace lucid;

namespace {

Image<double> camera_crop(std::size_t n) {
    const auto full = io::read_gray<double>(std::string(LUCID_SOURCE_DIR) + "/data/camera.png");
    n = std::min({n, full.shape()[0], full.shape()[1]});
    const std::size_t r0 = (full.shape()[0] - n) / 2, c0 = (full.shape()[1] - n) / 2;
    Image<double> x({n, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) x(i, j) = full(r0 + i, c0 + j);
    return x;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    bool smoke = false;
    std::size_t n = 128;
    double mu = 2e-3;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--smoke") smoke = true, n = 64;
        else if (a == "--size" && i + 1 < argc) n = std::size_t(std::atol(argv[++i]));
        else if (a == "--mu" && i + 1 < argc) mu = std::atof(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--smoke] [--size N] [--mu MU]\n", argv[0]);
            return 2;
        }
    }
    try {
        const auto x = camera_crop(n);
        const Shape<2> shape{x.shape()[0], x.shape()[1]};
        const ops::Convolution<double> A(kernels::gaussian<double>(1.5), shape, Boundary::reflect);
        auto y = A(x);
        std::mt19937 rng(1);
        std::normal_distribution<double> noise(0.0, 0.01);
        for (auto& v : y) v += noise(rng);
        const Image<double> x0 = zeros_like(x);
        std::printf("camera %zux%zu, Gaussian blur sigma = 1.5 (reflect), noise 0.01; PSNR(y) = %.2f dB\n\n",
                    shape[0], shape[1], metrics::psnr(x, y));

        // ---- Part 1: ½‖Ax − y‖² + ½μ‖x‖², same tolerance for every solver.
        const double tol = 1e-6;
        const int budget = smoke ? 300 : 5000;
        const auto f = LeastSquares(A, y) + SquaredL2<double>(mu);
        const auto normal_op = gram(A) + mu * ops::Identity<Image<double>>(shape);
        const auto rhs = A.adjoint_of(y);
        // reference minimizer: CG far below the tolerance
        const auto ref = conjugate_gradient(normal_op, rhs, x0, {.max_iter = 2000, .tol = 1e-12}).x;

        std::printf("Part 1: mu = %g, stop when ||grad f|| <= %g ||A^T y|| (budget %d iterations)\n\n", mu, tol,
                    budget);
        std::printf("| solver | status | iterations | time (s) | ||x - x*|| / ||x*|| | PSNR (dB) |\n");
        std::printf("|---|---|---|---|---|---|\n");
        auto row = [&](const char* name, const SolverResult<Image<double>>& r, double secs) {
            std::printf("| %s | %s | %d | %.3f | %.1e | %.2f |\n", name, std::string(to_string(r.status)).c_str(),
                        r.iterations, secs, double(distance(r.x, ref) / norm(ref)), metrics::psnr(x, r.x));
        };
        {
            auto t0 = std::chrono::steady_clock::now();
            auto r = gradient_descent(f, x0, {.max_iter = budget, .tol = tol, .rule = StepRule::fixed});
            row("GD, fixed step 1/L", r, seconds_since(t0));
        }
        {
            auto t0 = std::chrono::steady_clock::now();
            auto r = gradient_descent(f, x0, {.max_iter = budget, .tol = tol, .rule = StepRule::barzilai_borwein});
            row("GD, Barzilai-Borwein", r, seconds_since(t0));
        }
        {
            auto t0 = std::chrono::steady_clock::now();
            auto r = conjugate_gradient(normal_op, rhs, x0, {.max_iter = budget, .tol = tol});
            row("CG on (A^T A + mu I) x = A^T y", r, seconds_since(t0));
        }

        // ---- Part 2: plain least squares (μ = 0) — semi-convergence of CG.
        const int iters = smoke ? 40 : 300;
        std::vector<double> psnr_at;
        auto record = [&](const IterationState<Image<double>>& s) {
            psnr_at.push_back(metrics::psnr(x, s.x));
            return false;
        };
        auto r = conjugate_gradient(gram(A), rhs, x0, {.max_iter = iters, .tol = 1e-14}, record);
        std::printf("\nPart 2: mu = 0, CG on A^T A x = A^T y: PSNR of the iterates (semi-convergence)\n\n");
        std::printf("| iteration | PSNR (dB) |\n|---|---|\n");
        for (int k : {1, 2, 5, 10, 20, 40, 100, 200, 300})
            if (k <= int(psnr_at.size())) std::printf("| %d | %.2f |\n", k, psnr_at[std::size_t(k - 1)]);
        std::size_t best = 0;
        for (std::size_t k = 1; k < psnr_at.size(); ++k)
            if (psnr_at[k] > psnr_at[best]) best = k;
        std::printf("\nbest: %.2f dB at iteration %zu; after %d iterations: %.2f dB (%s). "
                    "With mu = %g the minimizer has %.2f dB.\n",
                    psnr_at[best], best + 1, r.iterations, psnr_at.back(), std::string(to_string(r.status)).c_str(),
                    mu, metrics::psnr(x, ref));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
