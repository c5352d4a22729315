// Numerical robustness: every image solver run in float and in double on the
// same problem agrees to the precision float allows, and runs are
// deterministic (bitwise) for a fixed seed and thread count.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "lucid/lucid.hpp"

using namespace lucid;

namespace {

template <class T>
Image<T> photo_crop() {
    // a smooth-plus-edges test image made here (no file): a disc and a ramp
    Image<T> x({40, 40});
    for (std::size_t i = 0; i < 40; ++i)
        for (std::size_t j = 0; j < 40; ++j) {
            const double r = std::hypot(double(i) - 18.0, double(j) - 22.0);
            x(i, j) = T(0.2 + 0.5 * (r < 11) + 0.01 * double(j));
        }
    return x;
}

template <class T>
Image<T> noisy_data(const ops::Convolution<T>& A, unsigned seed) {
    Image<T> y = A(photo_crop<T>());
    std::mt19937 rng(seed);
    std::normal_distribution<double> g(0, 0.01);
    for (auto& v : y) v = T(double(v) + g(rng));  // the same noise in float and double
    return y;
}

// Every solver on y = k ∗ x + n, a fixed number of iterations (tol 0).
template <class T>
std::map<std::string, Image<T>> run_all(Boundary b) {
    ops::Convolution<T> A(kernels::gaussian<T>(1.5, 9), {40, 40}, b);
    const Image<T> y = noisy_data(A, 11);
    const T lam = T(2e-3);
    const auto f = LeastSquares(std::cref(A), y);
    const TotalVariation<T> tv(lam, TvNorm::isotropic, {.max_iter = 50, .tol = 0});
    denoisers::TvDenoiser<T> tvd;
    ops::Gradient<T> D({40, 40});
    std::map<std::string, Image<T>> out;
    out["gradient_descent"] = gradient_descent(f + SquaredL2<T>(lam), y, {.max_iter = 30, .tol = 0}).x;
    out["ista"] = ista(f, tv, y, {.max_iter = 30, .tol = 0}).x;
    out["fista"] = fista(f, tv, y, {.max_iter = 30, .tol = 0}).x;
    out["admm_tv"] = admm_tv(A, y, lam, y, {.max_iter = 30, .tol = 0}).x;
    out["admm"] = admm(f, L21Norm<T>(lam), D, y, {.max_iter = 30, .tol = 0}).x;
    out["hqs"] = hqs(f, L21Norm<T>(lam), D, y, {.max_iter = 30}).x;
    out["pdhg"] = pdhg(Zero<T>(), separable_sum(SquaredL2(T(1), y), L21Norm<T>(lam)), stack(std::cref(A), std::cref(D)),
                       y, {.max_iter = 60, .tol = 0}).x;
    out["richardson_lucy"] = richardson_lucy(A, y, {.max_iter = 30}).x;
    out["tikhonov"] = tikhonov(A, y, 1e-2).x;
    out["pnp_admm"] = pnp_admm(f, tvd, y, {.max_iter = 10, .lambda = 0.01}).x;
    out["red"] = red(f, tvd, y, {.max_iter = 10, .lambda = 0.02, .sigma = {.initial = 0.02}}).x;
    if (b == Boundary::periodic || b == Boundary::reflect) out["wiener"] = wiener(A, y, {.nsr = 1e-2}).x;
    out["hqs_tv"] = hqs_tv(A, y, lam, y, {.max_iter = 30, .tol = 0}).x;
    out["pnp_hqs"] = pnp_hqs(f, tvd, y, {.max_iter = 10, .lambda = 0.01,
                                         .sigma = {.initial = 0.1, .final = 0.02, .steps = 10}}).x;
    out["pnp_fista"] = pnp_fista(f, tvd, y, {.max_iter = 10, .sigma = {.initial = 0.02}, .tol = 0}).x;
    out["landweber"] = landweber(A, y, y, {.max_iter = 30, .tol = 0}).x;
    const auto normal = gram(std::cref(A)) + T(0.05) * ops::Identity<Image<T>>({40, 40});
    Image<T> rhs(y.shape());
    A.apply_adjoint(y, rhs);
    out["conjugate_gradient"] = conjugate_gradient(normal, rhs, y, {.max_iter = 15, .tol = 1e-30}).x;
    return out;
}

double rel_diff(const Image<float>& a, const Image<double>& b) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
        const double d = double(a.data()[i]) - b.data()[i];
        num += d * d;
        den += b.data()[i] * b.data()[i];
    }
    return std::sqrt(num / den);
}

}  // namespace

TEST_CASE("float and double agree on every solver to float precision", "[precision][solvers]") {
    lucid::set_num_threads(1);
    for (Boundary b : {Boundary::periodic, Boundary::reflect, Boundary::zero}) {
        const auto s = run_all<float>(b);
        const auto d = run_all<double>(b);
        REQUIRE(s.size() == d.size());
        for (const auto& [name, xd] : d) {
            const double r = rel_diff(s.at(name), xd);
            INFO(name << ", boundary " << to_string(b) << ": relative difference float/double " << r);
            CHECK(all_finite(xd));
            // float's ε is 6e-8; 30 iterations of O(n) sums lose at most a few decades
            CHECK(r < 1e-4);
            // and the difference is real float rounding, not two identical computations
            CHECK(r > 0);
        }
    }
}

TEST_CASE("runs are bitwise deterministic for a fixed seed and thread count", "[precision][determinism]") {
    for (int threads : {1, 2}) {
        lucid::set_num_threads(threads);
        const auto a = run_all<double>(Boundary::reflect);
        const auto b = run_all<double>(Boundary::reflect);
        for (const auto& [name, x] : a) {
            INFO(name << " with " << threads << " threads");
            CHECK(std::equal(x.begin(), x.end(), b.at(name).begin()));
        }
    }
    lucid::set_num_threads(1);
}
