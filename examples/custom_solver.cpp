// Writing your own solver from lucid's public pieces.
//
// Proximal gradient (ISTA) for  min_x f(x) + g(x),  f smooth, g proximable:
//
//     x_{k+1} = prox_{t g}( x_k − t ∇f(x_k) ),   t = 1/L
//
// needs exactly three things from the library: f.gradient(x, out),
// lucid::lipschitz_constant(f) and g.prox(v, t, out) — plus the vector-space
// functions (lucid::lincomb, zeros_like, distance, …), which work on images
// and Eigen vectors alike. So the dozen lines of `my_ista` below run
// unchanged on a wavelet-regularized deblurring problem (images) and on a
// Lasso with an explicit matrix (Eigen vectors); both times they are checked
// against lucid::ista (the same algorithm: the iterates agree to round-off).
//
//   example_custom_solver [--smoke]
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <Eigen/Dense>

#include "lucid/lucid.hpp"

namespace {

/// ISTA (Daubechies, Defrise & De Mol 2004; Beck & Teboulle 2009, eq. (1.4))
/// with the fixed step 1/L. Returns x_K and records F(x_k) = f(x_k) + g(x_k).
template <class F, class G, lucid::Vector V>
V my_ista(const F& f, const G& g, V x, int iterations, std::vector<double>& objective) {
    using T = lucid::scalar_t<V>;
    const T t = T(1) / lucid::lipschitz_constant(f).value();   // f must know L here
    V grad = lucid::zeros_like(x), v = lucid::zeros_like(x);
    for (int k = 0; k < iterations; ++k) {
        f.gradient(x, grad);                 // ∇f(x_k)
        lucid::lincomb(T(1), x, -t, grad, v);  // v = x_k − t∇f(x_k)
        g.prox(v, t, x);                     // x_{k+1} = prox_{tg}(v)
        objective.push_back(double(f.value(x)) + double(g.value(x)));
    }
    return x;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace lucid;
    const bool smoke = argc > 1 && std::string(argv[1]) == "--smoke";
    if (argc > 2 || (argc == 2 && !smoke)) {
        std::fprintf(stderr, "usage: %s [--smoke]\n", argv[0]);
        return 2;
    }
    try {
        const int K = smoke ? 20 : 200;

        // 1. Images: ½‖Ax − y‖² + λ‖Wx‖₁ (orthonormal db4, details only).
        const std::size_t n = smoke ? 64 : 128;
        const auto full = io::read_gray<double>(std::string(LUCID_SOURCE_DIR) + "/data/camera.png");
        Image<double> x({n, n});
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) x(i, j) = full(64 + i, 64 + j);
        const ops::Convolution<double> A(kernels::gaussian<double>(1.5), {n, n}, Boundary::reflect);
        auto y = A(x);
        std::mt19937 rng(6);
        std::normal_distribution<double> noise(0.0, 0.01);
        for (auto& v : y) v += noise(rng);
        const auto f = LeastSquares(A, y);
        const WaveletL1 g(ops::Wavelet2D<double>("db4", {n, n}, 3), 1e-3);

        std::vector<double> obj;
        const auto mine = my_ista(f, g, y, K, obj);
        const auto ref = ista(f, g, y, {.max_iter = K, .tol = 0});
        std::printf("deblurring camera %zux%zu (Gaussian 1.5, 1%% noise), lambda = 1e-3, %d iterations:\n", n, n, K);
        std::printf("  my_ista: F = %.6f, PSNR %.2f dB (from %.2f); lucid::ista: F = %.6f; "
                    "||x_mine - x_lucid|| / ||x|| = %.1e\n\n",
                    obj.back(), metrics::psnr(x, mine), metrics::psnr(x, y), ref.history.objective.back(),
                    double(distance(mine, ref.x) / norm(ref.x)));

        // 2. Plain vectors: Lasso ½‖Mθ − b‖² + λ‖θ‖₁, M 80×200 Gaussian, 8-sparse θ.
        const int m = 80, p = 200, s = 8;
        std::normal_distribution<double> gauss(0.0, 1.0 / std::sqrt(double(m)));
        Eigen::MatrixXd M(m, p);
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < p; ++j) M(i, j) = gauss(rng);
        Eigen::VectorXd theta = Eigen::VectorXd::Zero(p);
        for (int k = 0; k < s; ++k) theta(k * 23 + 5) = (k % 2 ? -1.0 : 1.0) * (1.0 + 0.25 * k);
        Eigen::VectorXd b = M * theta;
        for (int i = 0; i < m; ++i) b(i) += noise(rng);
        const auto fl = LeastSquares(ops::MatrixOperator<Eigen::MatrixXd>(M), b);
        const L1<double> gl(0.05);
        std::vector<double> obj2;
        const Eigen::VectorXd est = my_ista(fl, gl, Eigen::VectorXd(Eigen::VectorXd::Zero(p)), 10 * K, obj2);
        const auto ref2 = ista(fl, gl, Eigen::VectorXd(Eigen::VectorXd::Zero(p)), {.max_iter = 10 * K, .tol = 0});
        int found = 0, extra = 0;
        for (int j = 0; j < p; ++j) {
            const bool in_true = theta(j) != 0, in_est = std::abs(est(j)) > 1e-3;
            found += in_true && in_est;
            extra += !in_true && in_est;
        }
        std::printf("Lasso %dx%d, %d-sparse, lambda = 0.05, %d iterations:\n", m, p, s, 10 * K);
        std::printf("  my_ista: F = %.6f, support %d/%d found, %d false; ||theta_est - theta|| / ||theta|| = %.3f; "
                    "lucid::ista: F = %.6f, ||x_mine - x_lucid|| / ||x|| = %.1e\n",
                    obj2.back(), found, s, extra, (est - theta).norm() / theta.norm(), ref2.history.objective.back(),
                    (est - ref2.x).norm() / ref2.x.norm());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
