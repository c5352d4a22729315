// Solvers: convergence to independently known optima (a Lasso solved by
// coordinate descent written here, Tikhonov by a dense solve), agreement
// between solvers, monotonicity, divergence handling, callbacks and params
// validation.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <cmath>
#include <iomanip>
#include <limits>
#include <random>
#include <vector>

#include "lucid/lucid.hpp"
#include "lucid/kernels/gaussian.hpp"
#include "lucid/ops/convolution.hpp"
#include "support/allocation_counter.hpp"
#include "support/compare.hpp"

using namespace lucid;
using lucid::test::max_abs_diff;
using Catch::Contains;

namespace {

// Single-threaded: solver results do not depend on the thread count, and on a
// shared 2-core machine fork/join under load costs more than it saves.
const bool single_threaded = (lucid::set_num_threads(1), true);

template <class T>
using MatX = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

// ---------------------------------------------------------------------------
// An independent Lasso solver: cyclic coordinate descent (Friedman, Hastie,
// Höfling & Tibshirani 2007) on min ½‖Ax − y‖² + λ‖x‖₁, in long double-free
// plain double, run until no coordinate moves by more than 1e-15.
struct LassoProblem {
    Eigen::MatrixXd A;
    Eigen::VectorXd y;
    double lambda = 0;
};

LassoProblem make_lasso(int m, int n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> g(0, 1);
    LassoProblem p;
    p.A.resize(m, n);
    for (int i = 0; i < m; ++i)
        for (int j = 0; j < n; ++j) p.A(i, j) = g(rng) / std::sqrt(double(m));
    Eigen::VectorXd truth = Eigen::VectorXd::Zero(n);
    for (int k = 0; k < 20; ++k) truth(int(rng() % unsigned(n))) = g(rng);
    p.y = p.A * truth;
    for (int i = 0; i < m; ++i) p.y(i) += 0.05 * g(rng);
    p.lambda = 0.1 * (p.A.transpose() * p.y).cwiseAbs().maxCoeff();
    return p;
}

double lasso_objective(const LassoProblem& p, const Eigen::VectorXd& x) {
    return 0.5 * (p.A * x - p.y).squaredNorm() + p.lambda * x.lpNorm<1>();
}

Eigen::VectorXd lasso_coordinate_descent(const LassoProblem& p) {
    const int n = int(p.A.cols());
    Eigen::VectorXd x = Eigen::VectorXd::Zero(n), r = p.y;  // r = y − Ax
    Eigen::VectorXd col_sq = p.A.colwise().squaredNorm();
    for (int sweep = 0; sweep < 100000; ++sweep) {
        double moved = 0;
        for (int j = 0; j < n; ++j) {
            const double rho = p.A.col(j).dot(r) + col_sq(j) * x(j);
            const double s = std::abs(rho) > p.lambda ? (rho - std::copysign(p.lambda, rho)) / col_sq(j) : 0.0;
            if (s != x(j)) {
                r -= (s - x(j)) * p.A.col(j);
                moved = std::max(moved, std::abs(s - x(j)));
                x(j) = s;
            }
        }
        if (moved < 1e-15) break;
    }
    return x;
}

// The 200×500 problem of the Lasso tests with its coordinate-descent optimum
// x_cd and F* = F(x_cd), solved once for every test that uses it.
struct LassoCase {
    LassoProblem p;
    Eigen::VectorXd xcd;
    double fstar;
    ops::MatrixOperator<Eigen::MatrixXd> A;
    VectorX<double> x0;
    /// (F(x) − F*)/F*.
    double gap(const Eigen::VectorXd& x) const { return (lasso_objective(p, x) - fstar) / fstar; }
};

const LassoCase& lasso_200x500() {
    static const LassoCase c = [] {
        LassoProblem p = make_lasso(200, 500, 7);
        Eigen::VectorXd xcd = lasso_coordinate_descent(p);
        const double fstar = lasso_objective(p, xcd);
        ops::MatrixOperator<Eigen::MatrixXd> A(p.A);
        return LassoCase{std::move(p), std::move(xcd), fstar, std::move(A), VectorX<double>::Zero(500)};
    }();
    return c;
}

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed, double lo = 0, double hi = 1) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

// A piecewise-constant test image (blocks and a disk) plus a ramp.
template <class T>
Image<T> cartoon(std::size_t h, std::size_t w) {
    Image<T> x({h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
            double v = 0.2 + 0.3 * double(j) / double(w);
            if (i > h / 5 && i < h / 2 && j > w / 6 && j < (2 * w) / 3) v = 0.9;
            const double di = double(i) - 0.7 * double(h), dj = double(j) - 0.6 * double(w);
            if (di * di + dj * dj < double(h * w) / 30.0) v = 0.05;
            x(i, j) = T(v);
        }
    return x;
}

template <class T>
void add_noise(Image<T>& y, double sigma, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> g(0, sigma);
    for (auto& v : y) v = T(double(v) + g(rng));
}

template <class T, std::size_t Rank>
double rel_diff(const xt::xtensor<T, Rank>& a, const xt::xtensor<T, Rank>& b) {
    return double(distance(a, b)) / std::max(1e-300, double(norm(b)));
}

}  // namespace

// ---------------------------------------------------------------------------
// Lasso: ISTA, FISTA (and its variants), ADMM and PDHG against coordinate descent.

namespace {
template <class F>
concept KnowsLipschitz = requires(const F& f) { f.lipschitz(); };

// ½‖Ax − y‖² with value and gradient only: no lipschitz_constant, no prox, so
// ISTA and FISTA must find their steps by backtracking.
struct HiddenLipschitz {
    using scalar_type = double;
    const Eigen::MatrixXd* A;
    const VectorX<double>* y;
    double value(const VectorX<double>& x) const { return 0.5 * (*A * x - *y).squaredNorm(); }
    void gradient(const VectorX<double>& x, VectorX<double>& g) const { g.noalias() = A->transpose() * (*A * x - *y); }
};
}  // namespace

TEST_CASE("ISTA and FISTA without a Lipschitz constant backtrack to the Lasso optimum", "[solvers][lasso][backtracking]") {
    const auto& lasso = lasso_200x500();
    const auto& [p, xcd, fstar, A, x0] = lasso;
    static_assert(!KnowsLipschitz<HiddenLipschitz>);
    const HiddenLipschitz f{&p.A, &p.y};
    L1<double> g(p.lambda);
    const auto fista_r = fista(f, g, x0, {.max_iter = 5000, .tol = 1e-11, .initial_lipschitz = 1e-3});
    const auto ista_r = ista(f, g, x0, {.max_iter = 20000, .tol = 1e-11, .initial_lipschitz = 1e-3});
    INFO("gaps: FISTA " << lasso.gap(fista_r.x) << " (" << fista_r.iterations << " it), ISTA " << lasso.gap(ista_r.x)
                        << " (" << ista_r.iterations << " it)");
    CHECK(lasso.gap(fista_r.x) < 1e-6);
    CHECK(lasso.gap(ista_r.x) < 1e-6);
    // the step 1/L was found, not given: from 1/initial_lipschitz = 1000 it shrank to
    // about 1/‖A‖² (the true Lipschitz constant), never below 1/(η‖A‖²)
    const double L = std::pow(Eigen::JacobiSVD<Eigen::MatrixXd>(p.A).singularValues()(0), 2);
    for (const auto* r : {&fista_r, &ista_r}) {
        const auto& steps = r->history.penalty;
        REQUIRE(!steps.empty());
        CHECK(steps.front() <= 0.5e3);                   // backtracked in iteration 1: L₁ ≥ η·initial_lipschitz
        CHECK(steps.back() >= 1.0 / (2.0 * L) * 0.999);  // L_k ≤ η·L (η = 2): never more than one factor too cautious
    }
}

TEST_CASE("Lasso 200x500: ISTA, FISTA, ADMM and PDHG reach the coordinate-descent optimum to 1e-6", "[solvers][lasso]") {
    const auto& lasso = lasso_200x500();
    const auto& [p, xcd, fstar, A, x0] = lasso;
    auto gap = [&](const VectorX<double>& x) { return lasso.gap(x); };
    auto f = LeastSquares(A, p.y);
    L1<double> g(p.lambda);
    INFO("F* = " << fstar << ", nonzeros " << (xcd.array() != 0).count());

    auto ista_r = ista(f, g, x0, {.max_iter = 20000, .tol = 1e-11});
    auto fista_r = fista(f, g, x0, {.max_iter = 5000, .tol = 1e-11});
    auto mfista_r = fista(f, g, x0, {.max_iter = 5000, .tol = 1e-11, .monotone = true});
    auto restart_r = fista(f, g, x0, {.max_iter = 5000, .tol = 1e-11, .restart = Restart::gradient});
    auto bt_r = fista(f, g, x0, {.max_iter = 5000, .tol = 1e-11, .backtracking = true, .initial_lipschitz = 1e-3});
    auto admm_r = admm(f, g, x0, {.max_iter = 5000, .rho = 1.0, .tol = 1e-9});
    auto pdhg_r = pdhg(g, SquaredL2(1.0, p.y), A, x0, {.max_iter = 50000, .tol = 1e-10});
    const double gaps[] = {gap(ista_r.x), gap(fista_r.x), gap(mfista_r.x), gap(restart_r.x), gap(bt_r.x),
                           gap(admm_r.x), gap(pdhg_r.x)};
    WARN("Lasso relative objective gaps vs coordinate descent: ISTA " << gaps[0] << " (" << ista_r.iterations
         << " it), FISTA " << gaps[1] << " (" << fista_r.iterations << "), MFISTA " << gaps[2] << " ("
         << mfista_r.iterations << "), FISTA+restart " << gaps[3] << " (" << restart_r.iterations
         << "), FISTA+backtracking " << gaps[4] << " (" << bt_r.iterations << "), ADMM " << gaps[5] << " ("
         << admm_r.iterations << "), PDHG " << gaps[6] << " (" << pdhg_r.iterations << ")");
    for (double gp : gaps) {
        CHECK(gp < 1e-6);
        CHECK(gp > -1e-9);  // nobody beats the optimum (beyond round-off)
    }
    // And the minimizers themselves agree.
    CHECK((fista_r.x - xcd).norm() / xcd.norm() < 1e-3);
    CHECK((admm_r.x - xcd).norm() / xcd.norm() < 1e-3);
    // Monotone FISTA never increases the objective.
    for (std::size_t k = 1; k < mfista_r.history.objective.size(); ++k)
        CHECK(mfista_r.history.objective[k] <= mfista_r.history.objective[k - 1]);
    // ISTA is monotone too.
    for (std::size_t k = 1; k < ista_r.history.objective.size(); ++k)
        CHECK(ista_r.history.objective[k] <= ista_r.history.objective[k - 1] * (1 + 1e-14));
    // Restart needs fewer iterations than plain FISTA on this strongly convex-on-support problem.
    CHECK(restart_r.iterations < fista_r.iterations);
    // ADMM records its residuals and ρ; PDHG its step.
    CHECK(admm_r.history.primal_residual.size() == std::size_t(admm_r.iterations));
    CHECK(admm_r.history.penalty.size() == std::size_t(admm_r.iterations));
    CHECK(pdhg_r.history.dual_residual.size() == std::size_t(pdhg_r.iterations));
}

TEST_CASE("Lasso in float: FISTA and ADMM reach the double optimum to float accuracy", "[solvers][lasso][float]") {
    const auto p = make_lasso(60, 120, 3);
    const double fstar = lasso_objective(p, lasso_coordinate_descent(p));
    ops::MatrixOperator<Eigen::MatrixXf> A(p.A.cast<float>());
    const VectorX<float> y = p.y.cast<float>();
    const VectorX<float> x0 = VectorX<float>::Zero(120);
    auto f = LeastSquares(A, y);
    L1<float> g(float(p.lambda));
    auto r1 = fista(f, g, x0, {.max_iter = 3000, .tol = 1e-7});
    auto r2 = admm(f, g, x0, {.max_iter = 3000, .rho = 1.0, .tol = 1e-6});
    CHECK(r1.status != Status::diverged);
    CHECK((lasso_objective(p, r1.x.cast<double>()) - fstar) / fstar < 1e-4);
    CHECK((lasso_objective(p, r2.x.cast<double>()) - fstar) / fstar < 1e-4);
}

// ---------------------------------------------------------------------------
// Tikhonov: closed forms (DFT and DCT), CG, GD, FISTA, ADMM and a dense solve.

TEST_CASE("Tikhonov: Fourier closed form, CG, GD, FISTA and a dense solve agree to 1e-8", "[solvers][tikhonov]") {
    using T = double;
    const std::size_t n = 24;
    const Image<T> truth = cartoon<T>(n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.5, 1.5, 0.0), {n, n}, Boundary::periodic);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 5);
    const T lam = 1e-2;

    // Independent truth: the dense (AᵀA + λI) built column by column, solved by LDLT.
    MatX<T> M(n * n, n * n);
    Image<T> e({n, n}, T(0)), col({n, n});
    for (std::size_t j = 0; j < n * n; ++j) {
        e.data()[j] = 1;
        A.apply(e, col);
        for (std::size_t i = 0; i < n * n; ++i) M(Eigen::Index(i), Eigen::Index(j)) = col.data()[i];
        e.data()[j] = 0;
    }
    MatX<T> normal = M.transpose() * M + lam * MatX<T>::Identity(n * n, n * n);
    Eigen::Matrix<T, Eigen::Dynamic, 1> rhs = M.transpose() * as_eigen(y);
    Eigen::Matrix<T, Eigen::Dynamic, 1> dense = normal.ldlt().solve(rhs);
    Image<T> x_dense({n, n});
    as_eigen(x_dense) = dense;

    auto closed = tikhonov(A, y, lam);
    CHECK(closed.status == Status::converged);
    CHECK_THAT(closed.message, Contains("closed form"));
    auto I = ops::identity_like(y);
    auto cg = conjugate_gradient(gram(A) + lam * I, A.adjoint_of(y), Image<T>({n, n}, T(0)), {.max_iter = 2000, .tol = 1e-13});
    auto f = LeastSquares(A, y);
    auto gd = gradient_descent(f + SquaredL2<T>(lam), y,
                               {.max_iter = 20000, .tol = 1e-13, .rule = StepRule::barzilai_borwein});
    auto gd_armijo = gradient_descent(f + SquaredL2<T>(lam), y, {.max_iter = 50000, .tol = 1e-12});
    auto fi = fista(f, SquaredL2<T>(lam), y, {.max_iter = 20000, .tol = 1e-14, .restart = Restart::gradient});
    auto ad = admm(f, SquaredL2<T>(lam), y, {.max_iter = 5000, .rho = 0.1, .tol = 1e-12});

    WARN("Tikhonov agreement with the dense solve (relative): closed form " << rel_diff(closed.x, x_dense) << ", CG "
         << rel_diff(cg.x, x_dense) << " (" << cg.iterations << " it), GD-BB " << rel_diff(gd.x, x_dense) << " ("
         << gd.iterations << " it), GD-Armijo " << rel_diff(gd_armijo.x, x_dense) << " (" << gd_armijo.iterations
         << " it), FISTA " << rel_diff(fi.x, x_dense) << " (" << fi.iterations << " it), ADMM "
         << rel_diff(ad.x, x_dense) << " (" << ad.iterations << " it)");
    CHECK(rel_diff(closed.x, x_dense) < 1e-10);
    CHECK(rel_diff(cg.x, x_dense) < 1e-8);
    CHECK(rel_diff(gd.x, x_dense) < 1e-8);
    CHECK(rel_diff(gd_armijo.x, x_dense) < 1e-8);
    CHECK(rel_diff(fi.x, x_dense) < 1e-8);
    CHECK(rel_diff(ad.x, x_dense) < 1e-8);
    // Armijo backtracking keeps the objective monotone.
    for (std::size_t k = 1; k < gd_armijo.history.objective.size(); ++k)
        CHECK(gd_armijo.history.objective[k] <= gd_armijo.history.objective[k - 1] * (1 + 1e-14));
}

TEST_CASE("Tikhonov with gradient regularizer: DCT closed form (reflect) equals CG on the normal equations", "[solvers][tikhonov]") {
    using T = double;
    const std::size_t h = 40, w = 36;
    const Image<T> truth = cartoon<T>(h, w);
    ops::Convolution<T> A(kernels::gaussian<T>(2.0, 2.0, 0.0), {h, w}, Boundary::reflect);
    REQUIRE(A.spectrum());
    CHECK(A.spectrum()->transform == Transform::cosine);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 9);
    ops::Gradient<T> D({h, w});
    const T lam = 3e-3;
    auto closed = tikhonov(A, y, lam, D);
    CHECK_THAT(closed.message, Contains("closed form"));
    auto cg = conjugate_gradient(gram(A) + lam * gram(D), A.adjoint_of(y), Image<T>({h, w}, T(0)),
                                 {.max_iter = 5000, .tol = 1e-13});
    CHECK(rel_diff(closed.x, cg.x) < 1e-9);
    // Zero boundary: no spectrum, tikhonov falls back to CG and still agrees with the explicit CG.
    ops::Convolution<T> Az(kernels::gaussian<T>(2.0, 2.0, 0.0), {h, w}, Boundary::zero);
    auto cg_fallback = tikhonov(Az, y, lam, D);
    CHECK_THAT(cg_fallback.message, Contains("conjugate gradients"));
    auto cgz = conjugate_gradient(gram(Az) + lam * gram(D), Az.adjoint_of(y), Image<T>({h, w}, T(0)),
                                  {.max_iter = 5000, .tol = 1e-13});
    CHECK(rel_diff(cg_fallback.x, cgz.x) < 1e-8);
    // The callback sees each CG iteration of the fallback and may stop it; the closed
    // form runs none and never calls it.
    int calls = 0, last = 0;
    auto counted = tikhonov(Az, y, lam, D, {}, [&](const auto& s) {
        ++calls;
        last = s.iteration;
        return false;
    });
    CHECK(counted.iterations > 10);
    CHECK(calls == counted.iterations);
    CHECK(last == counted.iterations);
    CHECK(rel_diff(counted.x, cg_fallback.x) == 0);
    auto stopped = tikhonov(Az, y, lam, D, {}, [](const auto& s) { return s.iteration == 3; });
    CHECK(stopped.status == Status::stopped);
    CHECK(stopped.iterations == 3);
    CHECK_THAT(stopped.message, Contains("stopped"));
    calls = 0;
    auto closed_cb = tikhonov(A, y, lam, D, {}, [&](const auto&) { return ++calls, false; });
    CHECK(calls == 0);
    CHECK(closed_cb.iterations == 0);
    CHECK(rel_diff(closed_cb.x, closed.x) == 0);
}

TEMPLATE_TEST_CASE("Wiener: exact inverse without noise term, matches the Tikhonov closed form", "[solvers][wiener]", float, double) {
    using T = TestType;
    const std::size_t n = 32;
    const Image<T> truth = cartoon<T>(n, n);
    for (Boundary b : {Boundary::periodic, Boundary::reflect}) {
        ops::Convolution<T> A(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, b);
        const Image<T> y = A(truth);
        // Wiener with K = λ is exactly (AᵀA + λI)⁻¹Aᵀy.
        auto w = wiener(A, y, {.nsr = 1e-3});
        auto t = tikhonov(A, y, 1e-3);
        CHECK(rel_diff(w.x, t.x) < (std::is_same_v<T, float> ? 1e-4 : 1e-11));
        // A tiny K inverts the blur (σ = 1 blur is well conditioned at this size).
        auto inv = wiener(A, y, {.nsr = 1e-12});
        CHECK(rel_diff(inv.x, truth) < (std::is_same_v<T, float> ? 5e-2 : 1e-4));
    }
    // Every route of the closed form against the same Tikhonov solve: a separable kernel
    // (symbol read from its 1-D factors) and a non-separable one (symbol table); even widths
    // (spectrum packed into the output, fft::filter_real) and odd ones (separate spectrum);
    // odd heights; a 3-channel stack filtered plane by plane.
    Image<T> blob({5, 5});
    for (std::size_t i = 0; i < 25; ++i) blob.data()[i] = T(1 + (i * 7) % 5 + (i % 3 == 0 ? 2 : 0));
    blob /= T(xt::sum(blob)());
    for (bool separable : {true, false})
        for (auto [h, w] : {std::pair<std::size_t, std::size_t>{24, 32}, {21, 32}, {24, 27}, {17, 9}})
            for (Boundary b : {Boundary::periodic, Boundary::reflect}) {
                if (b == Boundary::reflect && !separable) continue;  // the blob is not symmetric
                const Image<T> k = separable ? kernels::gaussian<T>(1.2, 1.2, 0.0, 7) : blob;
                INFO(h << "x" << w << (b == Boundary::periodic ? " periodic" : " reflect"));
                ImageStack<T> x3({3, h, w});
                for (std::size_t i = 0; i < x3.size(); ++i) x3.data()[i] = T(0.5 + 0.4 * std::sin(0.37 * double(i)));
                ops::Convolution<T, 3> A3(k, {3, h, w}, b);
                const ImageStack<T> y3 = A3(x3);
                auto w3 = wiener(A3, y3, {.nsr = 1e-3});
                auto t3 = tikhonov(A3, y3, 1e-3);
                CHECK(rel_diff(w3.x, t3.x) < (std::is_same_v<T, float> ? 1e-4 : 1e-11));
            }
    ops::Convolution<T> Av(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, Boundary::valid);
    CHECK_THROWS_WITH(wiener(Av, Av(truth), {.nsr = 1e-2}), Contains("'op'"));
    ops::Convolution<T> Ap(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, Boundary::periodic);
    CHECK_THROWS_WITH(wiener(Ap, Ap(truth), {}), Contains("nsr"));
}

// ---------------------------------------------------------------------------
// Richardson–Lucy.

TEMPLATE_TEST_CASE("Richardson-Lucy keeps positivity and total flux", "[solvers][rl]", float, double) {
    using T = TestType;
    const std::size_t n = 48;
    Image<T> truth = cartoon<T>(n, n);
    for (Boundary b : {Boundary::periodic, Boundary::reflect, Boundary::valid}) {
        ops::Convolution<T> A(kernels::gaussian<T>(1.5, 1.5, 0.0), {n, n}, b);
        Image<T> y = A(truth);
        auto r = richardson_lucy(A, y, {.max_iter = 25});
        CHECK(r.iterations == 25);
        T lo = r.x(0, 0);
        for (auto v : r.x) lo = std::min(lo, v);
        CHECK(lo >= T(0));
        // ⟨1, A x_k⟩ = ⟨1, y⟩ (exactly, up to round-off).
        const double sy = double(norm1(y)), sax = double(norm1(A(r.x)));
        CHECK(sax == Approx(sy).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-12));
        if (b != Boundary::valid) {  // Aᵀ1 = 1: the image itself keeps the flux
            CHECK(double(norm1(r.x)) == Approx(sy).epsilon(std::is_same_v<T, float> ? 1e-5 : 1e-12));
        }
        // The KL objective decreases (EM is monotone).
        for (std::size_t k = 1; k < r.history.objective.size(); ++k)
            CHECK(r.history.objective[k] <= r.history.objective[k - 1] * (1 + 1e-6));
        // and it sharpens: closer to the truth than the blurred data.
        if (b != Boundary::valid) CHECK(rel_diff(r.x, truth) < rel_diff(y, truth));
    }
}

TEST_CASE("Richardson-Lucy with TV stays positive and is smoother than plain RL on noisy data", "[solvers][rl]") {
    using T = double;
    const std::size_t n = 64;
    Image<T> truth = cartoon<T>(n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.5, 1.5, 0.0), {n, n}, Boundary::reflect);
    Image<T> y = A(truth);
    add_noise(y, 0.02, 3);
    auto plain = richardson_lucy(A, y, {.max_iter = 60});
    auto tv = richardson_lucy(A, y, {.max_iter = 60, .tv_lambda = 0.002});
    for (auto v : tv.x) CHECK(v >= 0);
    TotalVariation<T> tvf(1.0);
    CHECK(tvf.value(tv.x) < tvf.value(plain.x));
    CHECK_THROWS_WITH(richardson_lucy(A, y, {.tv_lambda = -1}), Contains("tv_lambda"));
    Image<T> bad = y;
    bad(0, 0) = -1;
    CHECK_THROWS_WITH(richardson_lucy(A, y, bad), Contains("x0"));
}

// ---------------------------------------------------------------------------
// TV deblurring: FISTA, ADMM (fused and generic) and PDHG reach the same objective.

TEST_CASE("TV deblurring (reflect): FISTA, ADMM and PDHG agree to 1e-4; monotone variants never increase", "[solvers][tv]") {
    using T = double;
    const std::size_t n = 48;
    const Image<T> truth = cartoon<T>(n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.5, 1.5, 0.0), {n, n}, Boundary::reflect);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 11);
    const T lam = 0.01;
    TotalVariation<T> tv(lam, TvNorm::isotropic, {.max_iter = 2000, .tol = 1e-6});
    auto objective = [&](const Image<T>& x) { return double(LeastSquares(A, y).value(x) + tv.value(x)); };

    auto fi = fista(LeastSquares(A, y), tv, y, {.max_iter = 600, .tol = 1e-10, .restart = Restart::gradient});
    auto mf = fista(LeastSquares(A, y), tv, y, {.max_iter = 150, .tol = 0, .monotone = true});
    auto ad = admm_tv(A, y, lam, y, {.max_iter = 2000, .tol = 1e-7});
    auto K = stack(A, ops::Gradient<T>({n, n}));
    auto pd = pdhg(Zero<T>(), separable_sum(SquaredL2(T(1), y), L21Norm<T>(lam)), K, y, {.max_iter = 5000, .tol = 1e-9});
    const double F_fista = objective(fi.x), F_admm = objective(ad.x), F_pdhg = objective(pd.x);
    WARN(std::setprecision(10) << "TV objectives: FISTA " << F_fista << " (" << fi.iterations << " it), ADMM-TV " << F_admm << " ("
         << ad.iterations << " it), PDHG " << F_pdhg << " (" << pd.iterations << " it)");
    const double best = std::min({F_fista, F_admm, F_pdhg});
    CHECK((F_fista - best) / best < 1e-4);
    CHECK((F_admm - best) / best < 1e-4);
    CHECK((F_pdhg - best) / best < 1e-4);
    // The fused ADMM-TV reports the true objective (Parseval data term + λTV), not an estimate.
    CHECK(ad.history.objective.back() == Approx(F_admm).epsilon(1e-9));
    for (std::size_t k = 1; k < mf.history.objective.size(); ++k)
        CHECK(mf.history.objective[k] <= mf.history.objective[k - 1]);
}

TEST_CASE("ADMM-TV fused loops equal the generic ADMM step for step", "[solvers][tv][admm]") {
    using T = double;
    const std::size_t h = 40, w = 52;
    const Image<T> truth = cartoon<T>(h, w);
    const bool portable = GENERATE(false, true);  // the AVX2 sweep (where the CPU has it) and the scalar one
    lucid::detail::force_portable() = portable;
    for (Boundary b : {Boundary::reflect, Boundary::periodic}) {
        ops::Convolution<T> A(kernels::gaussian<T>(1.2, 1.2, 0.0), {h, w}, b);
        Image<T> y = A(truth);
        add_noise(y, 0.01, 2);
        const T lam = 0.02;
        // Fixed ρ (no balancing) so both follow the same sequence.
        auto fused = admm_tv(A, y, lam, y, {.max_iter = 40, .rho = 0.3, .tol = 0, .adaptive_rho = false});
        ops::Gradient<T> D({h, w}, b == Boundary::periodic ? Boundary::periodic : Boundary::reflect);
        auto generic = admm(LeastSquares(A, y), L21Norm<T>(lam), D, y,
                            {.max_iter = 40, .rho = 0.3, .tol = 0, .adaptive_rho = false});
        CHECK(rel_diff(fused.x, generic.x) < 1e-10);
        for (std::size_t k = 0; k < 40; ++k) {
            CHECK(fused.history.primal_residual[k] == Approx(generic.history.primal_residual[k]).epsilon(1e-8));
            CHECK(fused.history.dual_residual[k] == Approx(generic.history.dual_residual[k]).epsilon(1e-6).margin(1e-12));
        }
        // With residual balancing too (ρ changes rewrite the closed-form symbol in place).
        auto fused_b = admm_tv(A, y, lam, y, {.max_iter = 60, .rho = 0.01, .tol = 0});
        auto generic_b = admm(LeastSquares(A, y), L21Norm<T>(lam), D, y, {.max_iter = 60, .rho = 0.01, .tol = 0});
        CHECK(fused_b.history.penalty == generic_b.history.penalty);
        CHECK(rel_diff(fused_b.x, generic_b.x) < 1e-8);
    }
    lucid::detail::force_portable() = false;
}

namespace {

/// The cases of the AVX2-vs-scalar sweep tests: widths around the vector lengths
/// (4 doubles, 8 floats, including a single column) × periodic or Neumann ×
/// isotropic or anisotropic, on 7 rows: body(w, periodic, iso) with the two flags
/// as std::bool_constant, for the sweeps' template arguments.
template <class Body>
void for_each_sweep_case(Body&& body) {
    for (std::size_t w : {std::size_t(1), std::size_t(5), std::size_t(8), std::size_t(9), std::size_t(37), std::size_t(64)})
        for (int variant = 0; variant < 4; ++variant) {
            const bool periodic = variant & 1, iso = variant & 2;
            INFO("w = " << w << ", periodic = " << periodic << ", isotropic = " << iso);
            auto with_iso = [&](auto p) {
                if (iso) body(w, p, std::true_type{});
                else body(w, p, std::false_type{});
            };
            if (periodic) with_iso(std::true_type{});
            else with_iso(std::false_type{});
        }
}

}  // namespace

TEMPLATE_TEST_CASE("PDHG relaxation pass: the eight-lane sums equal a plain loop", "[solvers][pdhg]", float, double) {
    using T = TestType;
    for (std::size_t n : {std::size_t(1), std::size_t(8), std::size_t(37), std::size_t(1000)}) {
        CAPTURE(n);
        std::vector<T> v(n), vt(n), k(n), kt(n);
        for (std::size_t i = 0; i < n; ++i) {
            v[i] = T(std::sin(0.3 * double(i)));
            vt[i] = T(std::cos(0.7 * double(i)));
            k[i] = T(0.1 * double(i % 13));
            kt[i] = T(std::sin(1.1 * double(i) + 0.5));
        }
        const T rho = T(1.7);
        const double inv_step = 3.0;
        double res = 0, stp = 0, vn = 0, kn = 0;
        std::vector<T> vt_ref(n), kt_ref(n);
        for (std::size_t i = 0; i < n; ++i) {
            const T dv = rho * (vt[i] - v[i]), dk = rho * (kt[i] - k[i]);
            const double r = double(dk) - double(dv) * inv_step;
            vt_ref[i] = v[i] + dv;
            kt_ref[i] = k[i] + dk;
            res += r * r;
            stp += double(dv) * double(dv);
            vn += double(vt_ref[i]) * double(vt_ref[i]);
            kn += double(kt_ref[i]) * double(kt_ref[i]);
        }
        const auto s =
            detail::relax_and_measure<true, T>(v.data(), vt.data(), k.data(), kt.data(), n, rho, inv_step);
        // equal up to one rounding (a compiler may fuse ρ(ṽ − v) + v into an FMA in one loop only)
        const double ulp = 4 * double(std::numeric_limits<T>::epsilon()) * 4;
        CHECK(max_abs_diff(vt, vt_ref) <= ulp);
        CHECK(max_abs_diff(kt, kt_ref) <= ulp);
        const double rel = std::is_same_v<T, float> ? 1e-5 : 1e-12;
        CHECK(s.residual == Approx(res).epsilon(rel));
        CHECK(s.step == Approx(stp).epsilon(rel));
        CHECK(s.v_norm == Approx(vn).epsilon(rel));
        CHECK(s.k_norm == Approx(kn).epsilon(rel));
    }
}

TEMPLATE_TEST_CASE("ADMM-TV sweep: the AVX2 row loops equal the scalar loops", "[solvers][tv][admm]", float, double) {
    using T = TestType;
    if (!lucid::detail::use_avx2()) {
        WARN("this CPU (or build) has no AVX2 path: nothing to compare");
        return;
    }
    std::mt19937 rng(11);
    std::normal_distribution<double> nd(0.0, 1.0);
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    for_each_sweep_case([&](std::size_t w, auto periodic, auto iso) {
        const std::size_t h = 7, n = h * w;
        std::vector<T> x(n), u0(n), u1(n), rhs(n), q(n);
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = T(nd(rng));
            u0[i] = T(0.3 * nd(rng));
            u1[i] = T(0.3 * nd(rng));
            q[i] = T(nd(rng));
        }
        auto run = [&](bool portable, std::vector<T>& a0, std::vector<T>& a1, std::vector<T>& ar, std::vector<T>& aq) {
            a0 = u0;
            a1 = u1;
            ar = rhs;
            aq = q;
            std::vector<T> rows(7 * w);
            lucid::detail::force_portable() = portable;
            const auto s = lucid::detail::admm_tv_sweep<decltype(periodic)::value, decltype(iso)::value>(
                x.data(), a0.data(), a1.data(), ar.data(), aq.data(), h, w, T(0.4), T(0.9), true, rows.data());
            lucid::detail::force_portable() = false;
            return s;
        };
        std::vector<T> s0, s1, sr, sq, v0, v1, vr, vq;
        const auto ref = run(true, s0, s1, sr, sq);
        const auto vec = run(false, v0, v1, vr, vq);
        CHECK(max_abs_diff(s0, v0) < tol);
        CHECK(max_abs_diff(s1, v1) < tol);
        CHECK(max_abs_diff(sr, vr) < tol);
        CHECK(max_abs_diff(sq, vq) < tol);
        CHECK(vec.primal == Approx(ref.primal).epsilon(tol));
        CHECK(vec.grad == Approx(ref.grad).epsilon(tol));
        CHECK(vec.z == Approx(ref.z).epsilon(tol));
        CHECK(vec.tv == Approx(ref.tv).epsilon(tol));
        CHECK(vec.dual == Approx(ref.dual).epsilon(tol));
        CHECK(vec.ktu == Approx(ref.ktu).epsilon(tol));
    });
}

// ---------------------------------------------------------------------------
// Plug-and-play.

TEST_CASE("PnP-ADMM with the TV denoiser has a non-increasing fixed-point residual", "[solvers][pnp]") {
    using T = double;
    const std::size_t n = 48;
    const Image<T> truth = cartoon<T>(n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.5, 1.5, 0.0), {n, n}, Boundary::reflect);
    Image<T> y = A(truth);
    add_noise(y, 0.01, 4);
    // A fixed σ makes the denoiser one fixed prox, so PnP-ADMM is an ADMM (He & Yuan 2015).
    denoisers::TvDenoiser<T> den({.lambda = 0.05, .prox = {.max_iter = 3000, .tol = 1e-8}});
    auto r = pnp_admm(LeastSquares(A, y), den, y, {.max_iter = 40, .lambda = 2.5e-3, .sigma = {.initial = 0.1}, .tol = 0});
    const auto& res = r.history.residual;
    REQUIRE(res.size() == 40);
    for (std::size_t k = 1; k < res.size(); ++k) CHECK(res[k] <= res[k - 1] * (1 + 1e-6) + 1e-9);
    CHECK(res.back() < 0.05 * res.front());
    CHECK(rel_diff(r.x, truth) < rel_diff(y, truth));
}

TEST_CASE("a proximable prior runs as ProxDenoiser: PnP-ADMM with L1 solves the Lasso", "[solvers][pnp]") {
    // D(y, σ) = prox_{σ²φ}(y) and ρ = λ/σ², so the v-step is prox_{(λ/ρ)φ}: ADMM for
    // min ½‖Ax − y‖² + λ‖x‖₁, whose optimum coordinate descent gives independently.
    const auto& lasso = lasso_200x500();
    const auto& [p, xcd, fstar, A, x0] = lasso;
    // σ = √λ makes ρ = 1, the ρ of the ADMM Lasso test above.
    const PnpAdmmParams params{.max_iter = 5000, .lambda = p.lambda, .sigma = {.initial = std::sqrt(p.lambda)}, .tol = 1e-12};
    const auto direct = pnp_admm(LeastSquares(A, p.y), L1<double>(1.0), x0, params);
    INFO("relative gap " << lasso.gap(direct.x) << " after " << direct.iterations);
    CHECK(lasso.gap(direct.x) < 1e-6);
    // The overload is the wrapper, step for step, in every denoiser-driven solver.
    const auto wrapped = pnp_admm(LeastSquares(A, p.y), denoisers::ProxDenoiser(L1<double>(1.0)), x0, params);
    CHECK(direct.x == wrapped.x);
    CHECK(direct.iterations == wrapped.iterations);
    auto same = [](const auto& a, const auto& b) { return a.x == b.x && a.iterations == b.iterations; };
    const PnpHqsParams hqs{.max_iter = 30, .lambda = p.lambda, .tol = 0};
    CHECK(same(pnp_hqs(LeastSquares(A, p.y), L1<double>(1.0), x0, hqs),
               pnp_hqs(LeastSquares(A, p.y), denoisers::ProxDenoiser(L1<double>(1.0)), x0, hqs)));
    const PnpFistaParams fista_params{.max_iter = 30, .sigma = {.initial = 0.1}, .tol = 0};
    CHECK(same(pnp_fista(LeastSquares(A, p.y), L1<double>(1.0), x0, fista_params),
               pnp_fista(LeastSquares(A, p.y), denoisers::ProxDenoiser(L1<double>(1.0)), x0, fista_params)));
    const RedParams red_params{.max_iter = 30, .lambda = p.lambda, .tol = 0};
    CHECK(same(red(LeastSquares(A, p.y), L1<double>(1.0), x0, red_params),
               red(LeastSquares(A, p.y), denoisers::ProxDenoiser(L1<double>(1.0)), x0, red_params)));
    static_assert(!Denoiser<L1<double>, VectorX<double>>);  // the overload, not the Denoiser path
}

// ---------------------------------------------------------------------------
// Divergence, callbacks, validation.

TEST_CASE("A step far too large ends as diverged with a finite x", "[solvers][divergence]") {
    using T = double;
    const std::size_t n = 32;
    const Image<T> truth = cartoon<T>(n, n);
    ops::Convolution<T> A(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, Boundary::periodic);
    const Image<T> y = A(truth);
    auto f = LeastSquares(A, y);
    const double L = double(f.lipschitz());
    auto gd = gradient_descent(f, y, {.max_iter = 1000, .rule = StepRule::fixed, .step = 100 / L});
    CHECK(gd.status == Status::diverged);
    CHECK(all_finite(gd.x));
    CHECK(gd.iterations < 1000);
    CHECK_THAT(gd.message, Contains("diverged"));
    // Even with a divergence guard so loose that the values overflow to inf/NaN first.
    auto gd2 = gradient_descent(f, y, {.max_iter = 5000, .rule = StepRule::fixed, .step = 100 / L,
                                       .divergence_factor = 1e300});
    CHECK(gd2.status == Status::diverged);
    CHECK(all_finite(gd2.x));
    auto fi = fista(f, TotalVariation<T>(0.01), y, {.max_iter = 500, .step = 50 / L});
    CHECK(fi.status == Status::diverged);
    CHECK(all_finite(fi.x));
    auto is = ista(f, L1<T>(0.001), y, {.max_iter = 500, .step = 50 / L, .divergence_factor = 1e300});
    CHECK(is.status == Status::diverged);
    CHECK(all_finite(is.x));
    auto lw = landweber(A, y, y, {.max_iter = 500, .step = 10 / L});
    CHECK(lw.status == Status::diverged);
    CHECK(all_finite(lw.x));
    auto pd = pdhg(Zero<T>(), SquaredL2(T(1), y), A, y, {.max_iter = 500, .tau = 30, .sigma = 30});
    CHECK(pd.status == Status::diverged);
    CHECK(all_finite(pd.x));
    auto sd = red(f, denoisers::GaussianDenoiser<T>(), y, {.method = RedMethod::steepest_descent, .step = 100 / L});
    CHECK(sd.status == Status::diverged);
    CHECK(all_finite(sd.x));
}

TEST_CASE("Callbacks see every iteration and can stop the run", "[solvers][callbacks]") {
    using T = double;
    const std::size_t n = 24;
    ops::Convolution<T> A(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, Boundary::periodic);
    const Image<T> y = A(cartoon<T>(n, n));
    std::vector<int> seen;
    auto stop_at_7 = [&](const IterationState<Image<T>>& s) {
        seen.push_back(s.iteration);
        CHECK(s.x.shape() == y.shape());
        return s.iteration == 7;
    };
    auto r = fista(LeastSquares(A, y), TotalVariation<T>(0.01), y, {.max_iter = 100, .tol = 0}, stop_at_7);
    CHECK(r.status == Status::stopped);
    CHECK(r.iterations == 7);
    CHECK(seen == std::vector<int>{1, 2, 3, 4, 5, 6, 7});
    CHECK(r.history.size() == 7);
    // The shipped callbacks: a void callback never stops; RecordIterates keeps copies.
    std::vector<Image<T>> frames;
    int calls = 0;
    auto r2 = admm_tv(A, y, T(0.01), y, {.max_iter = 10, .tol = 0},
                      callbacks::all(callbacks::RecordIterates<Image<T>>{5, &frames},
                                     [&](const IterationState<Image<T>>&) { ++calls; }));
    CHECK(r2.status == Status::max_iterations);
    CHECK(calls == 10);
    CHECK(frames.size() == 2);
    auto r3 = pdhg(Zero<T>(), SquaredL2(T(1), y), A, y, {.max_iter = 100000, .tol = 0}, callbacks::TimeLimit{0.05});
    CHECK(r3.status == Status::stopped);
    // Without history: nothing recorded, same result.
    auto r4 = fista(LeastSquares(A, y), TotalVariation<T>(0.01), y, {.max_iter = 20, .tol = 0, .record_history = false});
    auto r5 = fista(LeastSquares(A, y), TotalVariation<T>(0.01), y, {.max_iter = 20, .tol = 0});
    CHECK(r4.history.size() == 0);
    CHECK(r5.history.size() == 20);
    CHECK(rel_diff(r4.x, r5.x) < 1e-12);
}

TEST_CASE("A solver result unpacks as {x, status, iterations, history}", "[solvers][result]") {
    using T = double;
    const std::size_t n = 16;
    ops::Convolution<T> A(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, Boundary::periodic);
    const Image<T> y = A(cartoon<T>(n, n));
    auto r = fista(LeastSquares(A, y), TotalVariation<T>(0.01), y, {.max_iter = 9, .tol = 0});
    static_assert(std::tuple_size_v<decltype(r)> == 4);
    static_assert(std::is_same_v<std::tuple_element_t<0, decltype(r)>, Image<T>>);
    static_assert(std::is_same_v<std::tuple_element_t<1, decltype(r)>, Status>);
    {
        auto& [x, status, iterations, history] = r;  // references into r
        CHECK(&x == &r.x);
        CHECK(&history == &r.history);
        CHECK(status == Status::max_iterations);
        CHECK(iterations == 9);
    }
    const Image<T> kept = r.x;
    auto [x, status, iterations, history] = fista(LeastSquares(A, y), TotalVariation<T>(0.01), y, {.max_iter = 9, .tol = 0});
    CHECK(rel_diff(x, kept) == 0.0);  // the same deterministic run, unpacked from a temporary
    CHECK(status == r.status);
    CHECK(iterations == r.iterations);
    CHECK(history.size() == 9);
    CHECK(history.objective == r.history.objective);
}

TEST_CASE("Params validation names the argument and the rule", "[solvers][validation]") {
    using T = double;
    const std::size_t n = 16;
    ops::Convolution<T> A(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, Boundary::periodic);
    const Image<T> y = A(cartoon<T>(n, n));
    auto f = LeastSquares(A, y);
    TotalVariation<T> tv(0.01);
    ops::Gradient<T> D({n, n});
    CHECK_THROWS_AS(fista(f, tv, y, {.max_iter = 0}), Error);
    CHECK_THROWS_WITH(fista(f, tv, y, {.max_iter = 0}), Contains("lucid::fista") && Contains("max_iter") && Contains(">= 1"));
    CHECK_THROWS_WITH(fista(f, tv, y, {.tol = -1}), Contains("tol"));
    CHECK_THROWS_WITH(fista(f, tv, y, {.backtrack_factor = 0.5}), Contains("backtrack_factor"));
    CHECK_THROWS_WITH(ista(f, tv, y, {.step = std::nan("")}), Contains("step"));
    CHECK_THROWS_WITH(gradient_descent(f, y, {.armijo_c = 2}), Contains("armijo_c"));
    CHECK_THROWS_WITH(gradient_descent(f, y, {.shrink = 1}), Contains("shrink"));
    CHECK_THROWS_WITH(admm(f, L21Norm<T>(0.1), D, y, {.rho = 0}), Contains("rho"));
    CHECK_THROWS_WITH(admm(f, L21Norm<T>(0.1), D, y, {.relaxation = 2}), Contains("relaxation"));
    CHECK_THROWS_WITH(admm(f, L21Norm<T>(0.1), D, y, {.rho_factor = 1}), Contains("rho_factor"));
    CHECK_THROWS_WITH(admm_tv(A, y, T(-1), y), Contains("lambda"));
    CHECK_THROWS_WITH(admm_tv(A, y, T(0.1), y, {.norm = TvNorm::vectorial}), Contains("norm"));
    CHECK_THROWS_WITH(hqs(f, L21Norm<T>(0.1), D, y, {.mu = 1, .mu_growth = 0.5}), Contains("mu_growth"));
    CHECK_THROWS_WITH(hqs(f, L21Norm<T>(0.1), D, y, {.mu = 10, .mu_max = 1}), Contains("mu_max"));
    CHECK_THROWS_WITH(hqs_tv(A, y, T(0), y), Contains("lucid::hqs_tv") && Contains("lambda"));
    CHECK_THROWS_WITH(hqs_tv(A, y, T(0.1), y, {.mu = -1}), Contains("lucid::hqs_tv") && Contains("'mu'"));
    CHECK_THROWS_WITH(hqs_tv(A, y, T(0.1), y, {.mu = 10, .mu_max = 1}), Contains("lucid::hqs_tv") && Contains("mu_max"));
    CHECK_THROWS_WITH(hqs_tv(A, y, T(0.1), y, {.norm = TvNorm::vectorial}), Contains("norm"));
    CHECK_THROWS_WITH(pdhg(Zero<T>(), SquaredL2(T(1), y), A, y, {.theta = 2}), Contains("theta"));
    CHECK_THROWS_WITH(pdhg(Zero<T>(), SquaredL2(T(1), y), A, y, {.theta = 0.5, .relaxation = 1.5}), Contains("theta"));
    CHECK_THROWS_WITH(landweber(A, y, y, {.step = -1}), Contains("step"));
    CHECK_THROWS_WITH(richardson_lucy(A, y, {.max_iter = -3}), Contains("max_iter"));
    CHECK_THROWS_WITH(wiener(A, y, {.nsr = -1}), Contains("nsr"));
    CHECK_THROWS_WITH(tikhonov(A, y, 0.0), Contains("lambda"));
    denoisers::TvDenoiser<T> den;
    CHECK_THROWS_WITH(pnp_admm(f, den, y, {.sigma = {.initial = 0}}), Contains("sigma.initial"));
    CHECK_THROWS_WITH(pnp_admm(f, den, y, {.lambda = 0}), Contains("lambda"));
    CHECK_THROWS_WITH(pnp_hqs(f, den, y, {.sigma = {.initial = 0.1, .final = 0.01, .steps = 0}}), Contains("sigma.steps"));
    CHECK_THROWS_WITH(pnp_fista(f, den, y, {.step = -1}), Contains("step"));
    CHECK_THROWS_WITH(red(f, den, y, {.lambda = -1}), Contains("lambda"));
    // Shape errors name the argument too.
    const Image<T> wrong({n + 1, n}, T(0));
    CHECK_THROWS_WITH(admm_tv(A, y, T(0.1), wrong), Contains("x0"));
    CHECK_THROWS_WITH(hqs_tv(A, y, T(0.1), wrong), Contains("x0"));
    CHECK_THROWS_WITH(hqs_tv(A, wrong, T(0.1), y), Contains("'y'"));
    CHECK_THROWS_WITH(admm(f, L21Norm<T>(0.1), D, wrong), Contains("x0"));
    CHECK_THROWS_WITH(landweber(A, wrong, y), Contains("'y'"));
}

TEST_CASE("Solvers reject a non-finite x0, naming it", "[solvers][validation]") {
    // Unchecked, a NaN start ran to `diverged` with a NaN x ("the last finite
    // iterate"), or the error named TotalVariation::prox's 'v'.
    using T = double;
    const std::size_t n = 16;
    ops::Convolution<T> A(kernels::gaussian<T>(1.0, 1.0, 0.0), {n, n}, Boundary::periodic);
    const Image<T> y = A(cartoon<T>(n, n));
    auto f = LeastSquares(A, y);
    ops::Gradient<T> D({n, n});
    // (Catch matchers hold their operands by pointer: each check builds its own.)
    for (T bad_value : {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity()}) {
        Image<T> bad = y;
        bad(3, 5) = bad_value;
        CHECK_THROWS_AS(gradient_descent(f, bad), Error);
        CHECK_THROWS_WITH(gradient_descent(f, bad), Contains("'x0'") && Contains("finite") && Contains("lucid::gradient_descent"));
        CHECK_THROWS_WITH(ista(f, L1<T>(0.01), bad), Contains("'x0'") && Contains("finite") && Contains("lucid::ista"));
        CHECK_THROWS_WITH(fista(f, L1<T>(0.01), bad), Contains("'x0'") && Contains("finite") && Contains("lucid::fista"));
        CHECK_THROWS_WITH(fista(f, TotalVariation<T>(0.01), bad), Contains("'x0'") && !Contains("'v'"));
        CHECK_THROWS_WITH(admm(f, L21Norm<T>(0.1), D, bad), Contains("'x0'") && Contains("finite") && Contains("lucid::admm"));
        CHECK_THROWS_WITH(hqs(f, L21Norm<T>(0.1), D, bad), Contains("'x0'") && Contains("finite") && Contains("lucid::hqs"));
        CHECK_THROWS_WITH(hqs_tv(A, y, T(0.1), bad), Contains("'x0'") && Contains("finite") && Contains("lucid::hqs_tv"));
        CHECK_THROWS_WITH(hqs_tv(A, bad, T(0.1), y), Contains("'y'") && Contains("finite") && Contains("lucid::hqs_tv"));
        CHECK_THROWS_WITH(pdhg(Zero<T>(), L21Norm<T>(0.1), D, bad), Contains("'x0'") && Contains("finite") && Contains("lucid::pdhg"));
        CHECK_THROWS_WITH(landweber(A, y, bad), Contains("'x0'") && Contains("finite") && Contains("lucid::landweber"));
        denoisers::TvDenoiser<T> den;
        CHECK_THROWS_WITH(pnp_admm(f, den, bad), Contains("'x0'") && Contains("finite"));
        CHECK_THROWS_WITH(red(f, den, bad), Contains("'x0'") && Contains("finite"));
    }
    // Stacks (C×H×W) and Eigen vectors go through the same check.
    ops::Convolution<T, 3> A3(kernels::gaussian<T>(1.0, 1.0, 0.0), {2, n, n}, Boundary::periodic);
    ImageStack<T> y3({2, n, n}, T(0.5));
    ImageStack<T> bad3 = y3;
    bad3(1, 2, 2) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(fista(LeastSquares(A3, y3), L1<T>(0.01), bad3), Contains("'x0'") && Contains("finite"));
    CHECK_THROWS_WITH(landweber(A3, y3, bad3), Contains("'x0'") && Contains("finite"));
    const auto lasso = make_lasso(30, 20, 3);
    ops::MatrixOperator<Eigen::MatrixXd> M(lasso.A);
    Eigen::VectorXd v0 = Eigen::VectorXd::Zero(20);
    v0(7) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(fista(LeastSquares(M, lasso.y), L1<T>(0.1), v0), Contains("'x0'") && Contains("finite"));
    CHECK_THROWS_WITH(ista(LeastSquares(M, lasso.y), L1<T>(0.1), v0), Contains("'x0'") && Contains("finite"));
    CHECK_THROWS_WITH(gradient_descent(LeastSquares(M, lasso.y), v0), Contains("'x0'") && Contains("finite"));
    CHECK_THROWS_WITH(admm(Zero<T>(), L1<T>(0.1), ops::Identity<Eigen::VectorXd>({std::size_t(20)}), v0), Contains("'x0'") && Contains("finite"));
    CHECK_THROWS_WITH(landweber(M, lasso.y, v0), Contains("'x0'") && Contains("finite"));
    // A finite start still runs.
    v0(7) = 0;
    CHECK(fista(LeastSquares(M, lasso.y), L1<T>(0.1), v0, {.max_iter = 5}).iterations == 5);
}

TEMPLATE_TEST_CASE("Wiener and Tikhonov refuse an nsr or lambda that is not a normal number of T", "[solvers][wiener][validation]",
                   float, double) {
    // box(2) has spectral zeros on an even grid: with T(K) subnormal or 0,
    // 1/(|Â|² + K) overflows there and 0·∞ filled the result with NaN.
    using T = TestType;
    const std::size_t n = 16;
    ops::Convolution<T> A(kernels::box<T>(2), {n, n}, Boundary::periodic);
    Image<T> y({n, n});
    for (std::size_t i = 0; i < y.size(); ++i) y.data()[i] = T(i % 7) / T(7);
    const double tiny = std::is_same_v<T, float> ? 1e-40 : 1e-320;  // subnormal in T
    const double underflow = std::is_same_v<T, float> ? 1e-50 : 1e-323;  // 0 in float, the least subnormal double
    CHECK_THROWS_AS(wiener(A, y, {.nsr = tiny}), Error);
    CHECK_THROWS_WITH(wiener(A, y, {.nsr = tiny}), Contains("'nsr'") && Contains("normal"));
    CHECK_THROWS_WITH(wiener(A, y, {.nsr = underflow}), Contains("'nsr'"));
    // the estimate from a tiny noise_sigma underflows as well (constant y: 0/0)
    CHECK_THROWS_WITH(wiener(A, Image<T>({n, n}, T(0.5)), {.noise_sigma = 1e-200}),
                      Contains("'nsr'") && Contains("noise_sigma"));
    // the smallest normal K is accepted and gives a finite image
    auto w = wiener(A, y, {.nsr = double(std::numeric_limits<T>::min())});
    CHECK(w.status == Status::converged);
    CHECK(all_finite(w.x));
    // Tikhonov, closed form with a zero operator and a periodic gradient: both
    // symbols vanish at DC, so a subnormal λ overflowed there too.
    ops::Convolution<T> Z(Image<T>({1, 1}, T(0)), {n, n}, Boundary::periodic);
    ops::Gradient<T> G({n, n}, Boundary::periodic);
    CHECK_THROWS_WITH(tikhonov(Z, y, tiny, G), Contains("'lambda'") && Contains("normal"));
    CHECK_THROWS_WITH(tikhonov(A, y, underflow), Contains("'lambda'"));
    auto t = tikhonov(Z, y, 1e-30, G);
    CHECK(all_finite(t.x));
}

// ---------------------------------------------------------------------------
// Smaller pieces: GD on a non-quadratic problem, Landweber, HQS, generic vectors.

TEST_CASE("Gradient descent: Armijo and Barzilai-Borwein minimize a Huber-regularized problem", "[solvers][gd]") {
    const auto p = make_lasso(80, 40, 13);  // overdetermined: strongly convex data term
    ops::MatrixOperator<Eigen::MatrixXd> A(p.A);
    const VectorX<double> x0 = VectorX<double>::Zero(40);
    auto F = LeastSquares(A, p.y) + Huber<double>(0.05, 0.1);
    auto armijo = gradient_descent(F, x0, {.max_iter = 20000, .tol = 1e-10});
    auto bb = gradient_descent(F, x0, {.max_iter = 20000, .tol = 1e-10, .rule = StepRule::barzilai_borwein});
    auto fixed = gradient_descent(F, x0, {.max_iter = 50000, .tol = 1e-10, .rule = StepRule::fixed});
    CHECK(armijo.converged());
    CHECK(bb.converged());
    CHECK(fixed.converged());
    CHECK(bb.iterations < fixed.iterations);
    VectorX<double> g(40);
    F.gradient(bb.x, g);
    CHECK(g.norm() < 1e-8);
    CHECK((armijo.x - bb.x).norm() < 1e-7 * bb.x.norm());
    CHECK((fixed.x - bb.x).norm() < 1e-7 * bb.x.norm());
}

TEST_CASE("Landweber converges to the least-squares solution and stops by the discrepancy principle", "[solvers][landweber]") {
    const auto p = make_lasso(60, 30, 21);
    ops::MatrixOperator<Eigen::MatrixXd> A(p.A);
    const Eigen::VectorXd ls = p.A.colPivHouseholderQr().solve(p.y);
    auto r = landweber(A, p.y, Eigen::VectorXd::Zero(30), {.max_iter = 200000, .tol = 1e-13});
    CHECK(r.converged());
    CHECK((r.x - ls).norm() < 1e-8 * ls.norm());
    const double floor = (p.A * ls - p.y).norm();
    auto early = landweber(A, p.y, Eigen::VectorXd::Zero(30), {.max_iter = 200000, .discrepancy = 1.05 * floor});
    CHECK(early.converged());
    CHECK_THAT(early.message, Contains("discrepancy"));
    CHECK(early.iterations < r.iterations);
    CHECK((p.A * early.x - p.y).norm() <= 1.05 * floor);
    auto nn = landweber(A, p.y, Eigen::VectorXd::Zero(30), {.max_iter = 2000, .nonnegative = true});
    CHECK(nn.x.minCoeff() >= 0);
}

namespace {
// h(x) = M_{g/μ}(Dx) = min_z g(z) + (μ/2)‖Dx − z‖² for g = λ‖·‖₂,₁ (a Huber-smoothed TV):
// gradient μDᵀ(Dx − prox_{g/μ}(Dx)), Lipschitz μ‖D‖² ≤ 8μ. Minimizing ½‖Ax − y‖² + h(x)
// is what HQS does at a fixed μ (block-coordinate descent on x and z).
struct SmoothedTv {
    using scalar_type = double;
    ops::Gradient<double> D;
    double lam, mu;
    mutable xt::xtensor<double, 3> dx, p;
    SmoothedTv(Shape<2> s, double l, double m) : D(s), lam(l), mu(m), dx(D.range_shape()), p(D.range_shape()) {}
    double value(const Image<double>& x) const {
        D.apply(x, dx);
        L21Norm<double>(lam).prox(dx, 1 / mu, p);
        const double d = distance(dx, p);
        return L21Norm<double>(lam).value(p) + 0.5 * mu * d * d;
    }
    void gradient(const Image<double>& x, Image<double>& g) const {
        D.apply(x, dx);
        L21Norm<double>(lam).prox(dx, 1 / mu, p);
        lincomb(mu, dx, -mu, p, p);
        D.apply_adjoint(p, g);
    }
    double lipschitz() const { return 8 * mu; }
};

/// The HQS tests' problem: y = A·cartoon + 1 % noise, A an n×n Gaussian blur σ.
struct BlurredCartoon {
    ops::Convolution<double> A;
    Image<double> y;
    BlurredCartoon(std::size_t n, double sigma, Boundary boundary, unsigned noise_seed)
        : A(kernels::gaussian<double>(sigma, sigma, 0.0), {n, n}, boundary), y(A(cartoon<double>(n, n))) {
        add_noise(y, 0.01, noise_seed);
    }
};

/// Fixed μ: HQS is block-coordinate descent on f(x) + g(z) + μ/2‖Dx − z‖², whose
/// x-marginal is f + h (h the Moreau-smoothed TV); an independent minimizer of
/// f + h by FISTA must match, whichever x-update (closed form or CG) HQS uses.
void check_hqs_fixed_mu(const BlurredCartoon& p, double lam, double mu) {
    const auto n = p.y.shape()[0];
    ops::Gradient<double> D({n, n});
    auto fixed = hqs(LeastSquares(p.A, p.y), L21Norm<double>(lam), D, p.y,
                     {.max_iter = 3000, .mu = mu, .mu_growth = 1, .mu_max = mu, .tol = 1e-12, .cg_tol = 1e-12});
    auto smooth = fista(LeastSquares(p.A, p.y) + SmoothedTv({n, n}, lam, mu), Zero<double>(), p.y,
                        {.max_iter = 20000, .tol = 1e-13, .restart = Restart::gradient});
    INFO("HQS iterations " << fixed.iterations << ", FISTA iterations " << smooth.iterations);
    CHECK(fixed.converged());
    CHECK(rel_diff(fixed.x, smooth.x) < 1e-6);
}
}  // namespace

TEST_CASE("HQS: at fixed mu it minimizes the half-quadratic (Moreau-smoothed) objective; continuation approaches TV", "[solvers][hqs]") {
    using T = double;
    const BlurredCartoon p(48, 1.5, Boundary::reflect, 8);
    const auto& A = p.A;
    const auto& y = p.y;
    const T lam = 0.01;
    ops::Gradient<T> D({48, 48});
    check_hqs_fixed_mu(p, lam, 0.5);
    // Continuation (μ growing to μ_max): the TV objective approaches the ADMM optimum, more
    // closely with a slower schedule.
    auto objective = [&](const Image<T>& x) { return double(LeastSquares(A, y).value(x) + TotalVariation<T>(lam).value(x)); };
    auto ref = admm_tv(A, y, lam, y, {.max_iter = 3000, .tol = 1e-7});
    auto fast = hqs(LeastSquares(A, y), L21Norm<T>(lam), D, y, {.max_iter = 200, .mu = 1e-2, .mu_growth = 1.3, .mu_max = 1e3});
    auto slow = hqs(LeastSquares(A, y), L21Norm<T>(lam), D, y, {.max_iter = 200, .mu = 1e-2, .mu_growth = 1.05, .mu_max = 1e3});
    const double F = objective(ref.x), gap_fast = (objective(fast.x) - F) / F, gap_slow = (objective(slow.x) - F) / F;
    WARN("HQS continuation: objective gap to ADMM " << gap_fast << " (growth 1.3), " << gap_slow << " (growth 1.05)");
    CHECK(fast.history.penalty.back() == Approx(1e3));
    CHECK(gap_slow > 0);
    CHECK(gap_slow < gap_fast);
    CHECK(gap_slow < 5e-3);
}

TEST_CASE("HQS with a CG x-update (zero boundary: no closed form) reaches the same fixed point", "[solvers][hqs]") {
    // The CG path warm-starts from the previous iterate (the closed-form path skips that copy).
    check_hqs_fixed_mu(BlurredCartoon(24, 1.2, Boundary::zero, 5), 0.01, 0.5);
}

TEST_CASE("HQS-TV: the fused loops equal the generic HQS step for step, with continuation", "[solvers][tv][hqs]") {
    using T = double;
    const std::size_t h = 40, w = 52;
    const Image<T> truth = cartoon<T>(h, w);
    const bool portable = GENERATE(false, true);  // the AVX2 sweep (where the CPU has it) and the scalar one
    lucid::detail::force_portable() = portable;
    for (Boundary b : {Boundary::reflect, Boundary::periodic})
        for (TvNorm norm : {TvNorm::isotropic, TvNorm::anisotropic}) {
            INFO(to_string(b) << ", " << to_string(norm) << ", portable " << portable);
            ops::Convolution<T> A(kernels::gaussian<T>(1.2, 1.2, 0.0), {h, w}, b);
            Image<T> y = A(truth);
            add_noise(y, 0.01, 2);
            const T lam = 0.02;
            // μ grows from 0.05 by 1.3 to 20 (23 steps), then stays: the multiplier is
            // rewritten in place every iteration, then left alone.
            const HqsTvParams params{.max_iter = 40, .mu = 0.05, .mu_growth = 1.3, .mu_max = 20, .tol = 0, .norm = norm};
            auto fused = hqs_tv(A, y, lam, y, params);
            ops::Gradient<T> D({h, w}, b == Boundary::periodic ? Boundary::periodic : Boundary::reflect);
            LeastSquares f(A, y);
            auto generic = norm == TvNorm::isotropic ? hqs(f, L21Norm<T>(lam), D, y, params.generic())
                                                     : hqs(f, L1<T>(lam), D, y, params.generic());
            REQUIRE(fused.iterations == 40);
            REQUIRE(generic.iterations == 40);
            CHECK(rel_diff(fused.x, generic.x) < 1e-10);
            CHECK(fused.history.penalty == generic.history.penalty);
            for (std::size_t k = 0; k < 40; ++k) {
                CHECK(fused.history.objective[k] == Approx(generic.history.objective[k]).epsilon(1e-10));
                CHECK(fused.history.residual[k] == Approx(generic.history.residual[k]).epsilon(1e-7));
                CHECK(fused.history.primal_residual[k] == Approx(generic.history.primal_residual[k]).epsilon(1e-8));
            }
            // The stopping rule: the same iteration at the final penalty.
            auto fused_tol = hqs_tv(A, y, lam, y, {.max_iter = 200, .mu = 0.05, .mu_growth = 1.3, .mu_max = 20,
                                                   .tol = 1e-4, .norm = norm});
            auto generic_tol = norm == TvNorm::isotropic
                                   ? hqs(f, L21Norm<T>(lam), D, y, {.max_iter = 200, .mu = 0.05, .mu_growth = 1.3, .mu_max = 20, .tol = 1e-4})
                                   : hqs(f, L1<T>(lam), D, y, {.max_iter = 200, .mu = 0.05, .mu_growth = 1.3, .mu_max = 20, .tol = 1e-4});
            CHECK(fused_tol.converged());
            CHECK(fused_tol.iterations == generic_tol.iterations);
        }
    lucid::detail::force_portable() = false;
}

TEST_CASE("HQS-TV: a step beyond the divergence guard ends as diverged with the previous iterate, as in hqs",
          "[solvers][tv][hqs][divergence]") {
    using T = double;
    for (Boundary b : {Boundary::reflect, Boundary::periodic}) {
        INFO(to_string(b));
        const BlurredCartoon p(24, 1.2, b, 6);
        const Image<T> x0({24, 24}, T(0));
        // ‖x₀‖ = 0, so the limit is divergence_factor·1 = 1.5, and the first step is ‖x₁‖ ≈ ‖y‖ ≈ 12.
        const HqsTvParams params{.max_iter = 10, .divergence_factor = 1.5};
        auto fused = hqs_tv(p.A, p.y, T(0.01), x0, params);
        ops::Gradient<T> D({24, 24}, b == Boundary::periodic ? Boundary::periodic : Boundary::reflect);
        auto generic = hqs(LeastSquares(p.A, p.y), L21Norm<T>(0.01), D, x0, params.generic());
        CHECK(fused.status == Status::diverged);
        CHECK(generic.status == Status::diverged);
        CHECK(fused.iterations == 1);
        CHECK(generic.iterations == 1);
        CHECK(rel_diff(fused.x, x0) == 0.0);  // the last iterate inside the guard: x₀
        CHECK_THAT(fused.message, Contains("diverged"));
    }
}

TEST_CASE("HQS-TV without a closed form (zero boundary, stacks) is the generic HQS with Neumann differences",
          "[solvers][tv][hqs]") {
    using T = double;
    const BlurredCartoon p(24, 1.2, Boundary::zero, 5);
    const HqsTvParams params{.max_iter = 15, .tol = 0, .cg_tol = 1e-10};
    auto r = hqs_tv(p.A, p.y, T(0.01), p.y, params);
    auto g = hqs(LeastSquares(p.A, p.y), L21Norm<T>(0.01), ops::Gradient<T>({24, 24}), p.y, params.generic());
    CHECK(r.iterations == 15);
    CHECK(rel_diff(r.x, g.x) == 0.0);  // the same code path
    // A C×H×W stack of two copies of the image: the channels separate, and each plane
    // comes out as the single image.
    ImageStack<T> y3({2, 24, 24});
    for (std::size_t i = 0; i < p.y.size(); ++i) y3.data()[i] = y3.data()[p.y.size() + i] = p.y.data()[i];
    ops::Convolution<T, 3> A3(kernels::gaussian<T>(1.2, 1.2, 0.0), {2, 24, 24}, Boundary::zero);
    auto r3 = hqs_tv(A3, y3, T(0.01), y3, params);
    for (std::size_t c = 0; c < 2; ++c)
        for (std::size_t i = 0; i < r.x.size(); ++i)
            CHECK(std::abs(r3.x.data()[c * r.x.size() + i] - r.x.data()[i]) < 1e-12);
}

TEST_CASE("ADMM-TV and HQS-TV on C×H×W stacks: each channel as an image, every boundary", "[solvers][tv][stacks]") {
    using T = double;
    const std::size_t n = 24;
    // two different planes: the cartoon and its transpose, blurred and noisy
    const Image<T> c0 = cartoon<T>(n, n);
    const Image<T> c1 = xt::transpose(c0);
    const T lam = 0.01;
    for (Boundary b : {Boundary::periodic, Boundary::reflect, Boundary::zero, Boundary::valid}) {
        CAPTURE(to_string(b));
        const auto k = kernels::gaussian<T>(1.2, 1.2, 0.0);
        ops::Convolution<T> A2(k, {n, n}, b);
        ops::Convolution<T, 3> A3(k, {2, n, n}, b);
        const auto r2 = A2.range_shape();
        Image<T> y0 = A2(c0), y1 = A2(c1);
        add_noise(y0, 0.01, 3);
        add_noise(y1, 0.01, 4);
        ImageStack<T> y3({2, r2[0], r2[1]}), x03({2, n, n});
        std::copy_n(y0.data(), y0.size(), y3.data());
        std::copy_n(y1.data(), y1.size(), y3.data() + y0.size());
        A3.apply_adjoint(y3, x03);
        Image<T> x00({n, n}), x01({n, n});
        std::copy_n(x03.data(), n * n, x00.data());
        std::copy_n(x03.data() + n * n, n * n, x01.data());
        auto same_planes = [&](const auto& r3, const auto& p0, const auto& p1) {
            CHECK(std::equal(p0.x.begin(), p0.x.end(), r3.x.data()));
            CHECK(std::equal(p1.x.begin(), p1.x.end(), r3.x.data() + n * n));
            CHECK(r3.iterations == std::max(p0.iterations, p1.iterations));
            const auto& h = r3.history.objective;
            REQUIRE(h.size() == std::size_t(r3.iterations));
            CHECK(h.back() == Approx(p0.history.objective.back() + p1.history.objective.back()).epsilon(1e-12));
        };
        {
            const AdmmTvParams params{.max_iter = 25, .rho = 0.1};
            same_planes(admm_tv(A3, y3, lam, x03, params), admm_tv(A2, y0, lam, x00, params),
                        admm_tv(A2, y1, lam, x01, params));
        }
        {
            const HqsTvParams params{.max_iter = 15};
            same_planes(hqs_tv(A3, y3, lam, x03, params), hqs_tv(A2, y0, lam, x00, params),
                        hqs_tv(A2, y1, lam, x01, params));
        }
        if (b == Boundary::periodic) {
            // Independent: the generic ADMM on the whole stack with the periodic gradient (CG
            // x-updates, one ρ for both channels) reaches the same minimizer. Before, stacks
            // were solved with the Neumann gradient (TV without the wrap-around jumps).
            const auto fused = admm_tv(A3, y3, lam, x03, {.max_iter = 3000, .tol = 0});
            const auto generic = admm(LeastSquares(std::cref(A3), y3), L21Norm<T>(lam),
                                      ops::Gradient<T, 3>({2, n, n}, Boundary::periodic), x03,
                                      {.max_iter = 3000, .tol = 0, .cg_tol = 1e-12});
            const auto neumann = admm(LeastSquares(std::cref(A3), y3), L21Norm<T>(lam),
                                      ops::Gradient<T, 3>({2, n, n}, Boundary::reflect), x03,
                                      {.max_iter = 3000, .tol = 0, .cg_tol = 1e-12});
            INFO("fused " << fused.iterations << " it (" << fused.message << "), generic " << generic.iterations
                          << " it; rel diff " << rel_diff(fused.x, generic.x) << ", to the Neumann-TV minimizer "
                          << rel_diff(fused.x, neumann.x));
            CHECK(rel_diff(fused.x, generic.x) < 1e-5);
            CHECK(rel_diff(fused.x, neumann.x) > 1e-3);
        }
    }
    SECTION("the callback sees the whole stack and can stop the run") {
        ops::Convolution<T, 3> A3(kernels::gaussian<T>(1.2, 1.2, 0.0), {2, n, n}, Boundary::reflect);
        ImageStack<T> y3({2, n, n}, T(0.25));
        std::copy_n(c0.data(), n * n, y3.data());
        int calls = 0;
        std::size_t seen_channels = 0;
        const auto r = admm_tv(A3, y3, lam, y3, {.max_iter = 50, .tol = 0}, [&](const auto& s) {
            ++calls;
            seen_channels = s.x.shape()[0];
            return s.iteration == 3;
        });
        CHECK(calls == 3);
        CHECK(seen_channels == 2);
        CHECK(r.status == Status::stopped);
        CHECK(r.iterations == 3);
        CHECK(std::all_of(r.x.data() + n * n, r.x.data() + 2 * n * n, [](T v) { return v == T(0.25); }));  // channel 1 not started
    }
}

TEMPLATE_TEST_CASE("HQS-TV sweep: the AVX2 row loop equals the scalar loop", "[solvers][tv][hqs]", float, double) {
    using T = TestType;
    if (!lucid::detail::use_avx2()) {
        WARN("this CPU (or build) has no AVX2 path: nothing to compare");
        return;
    }
    std::mt19937 rng(12);
    std::normal_distribution<double> nd(0.0, 1.0);
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    for_each_sweep_case([&](std::size_t w, auto periodic, auto iso) {
        const std::size_t h = 7, n = h * w;
        std::vector<T> x(n), x_old(n);
        for (std::size_t i = 0; i < n; ++i) {
            x[i] = T(nd(rng));
            x_old[i] = T(x[i] + 0.1 * nd(rng));
        }
        auto run = [&](bool portable, std::vector<T>& rhs) {
            rhs.assign(n, T(0));
            std::vector<T> rows(3 * w);
            lucid::detail::force_portable() = portable;
            const auto s = lucid::detail::hqs_tv_sweep<decltype(periodic)::value, decltype(iso)::value>(
                x.data(), x_old.data(), rhs.data(), h, w, T(0.4), true, rows.data());
            lucid::detail::force_portable() = false;
            return s;
        };
        std::vector<T> ref_rhs, vec_rhs;
        const auto ref = run(true, ref_rhs);
        const auto vec = run(false, vec_rhs);
        CHECK(max_abs_diff(ref_rhs, vec_rhs) < tol);
        CHECK(vec.primal == Approx(ref.primal).epsilon(tol));
        CHECK(vec.tv == Approx(ref.tv).epsilon(tol));
        CHECK(vec.step == Approx(ref.step).epsilon(tol));
        CHECK(vec.x == Approx(ref.x).epsilon(tol));
        CHECK(ref.step > 0);
    });
}

TEST_CASE("Solvers run on product spaces (tuples): ADMM with a stacked operator", "[solvers][generic]") {
    // min ½‖x − a‖² + ½‖x − b‖² written as g(Kx) with K = [I; I] and g separable:
    // the minimizer is (a + b)/2.
    const int n = 7;
    VectorX<double> a = VectorX<double>::LinSpaced(n, 0, 1), b = VectorX<double>::LinSpaced(n, 2, -1);
    ops::Identity<VectorX<double>> I({std::size_t(n)});
    auto K = stack(I, I);
    auto g = separable_sum(SquaredL2(1.0, a), SquaredL2(1.0, b));
    const VectorX<double> x0 = VectorX<double>::Zero(n);
    auto r = admm(Zero<double>(), g, K, x0, {.max_iter = 500, .tol = 1e-10});
    CHECK((r.x - (a + b) / 2).norm() < 1e-8);
    auto p = pdhg(Zero<double>(), g, K, x0, {.max_iter = 5000, .tol = 1e-11});
    CHECK((p.x - (a + b) / 2).norm() < 1e-7);
}

// ---------------------------------------------------------------------------
// A custom solver from the public pieces in under 40 lines: a linearized ADMM
// (Parikh & Boyd 2014, "Proximal Algorithms", §4.4.2) for min f(x) + g(Kx),
// using only the operator algebra, prox and vector-space operations.

namespace custom {
template <class F, class G, class K, class V>
V linearized_admm(const F& f, const G& g, const K& k, V x, int iters, double mu, double lam) {
    using T = scalar_t<V>;
    auto z = lucid::apply(k, x), u = lucid::zeros_like(z), kx = lucid::zeros_like(z);  // z = Kx, u = 0
    V kt = lucid::zeros_like(x);
    for (int it = 0; it < iters; ++it) {
        k.apply(x, kx);
        lucid::axpy(T(1), u, kx);                    // Kx + u
        lucid::axpy(T(-1), z, kx);                   // Kx − z + u
        k.apply_adjoint(kx, kt);                     // Kᵀ(Kx − z + u)
        lucid::axpby(T(1), x, T(-mu / lam), kt);     // x − (μ/λ)Kᵀ(...)
        f.prox(kt, T(mu), x);                        // x = prox_{μf}(...)
        k.apply(x, kx);
        lucid::lincomb(T(1), kx, T(1), u, z);        // Kx + u
        g.prox(z, T(lam), z);                        // z = prox_{λg}(Kx + u)
        lucid::axpy(T(1), kx, u);
        lucid::axpy(T(-1), z, u);                    // u += Kx − z
    }
    return x;
}
}  // namespace custom

TEST_CASE("A custom solver built from public pieces (linearized ADMM) solves TV denoising", "[solvers][custom]") {
    using T = double;
    const std::size_t n = 48;
    const Image<T> truth = cartoon<T>(n, n);
    Image<T> y = truth;
    add_noise(y, 0.05, 17);
    const T lam = 0.05;
    ops::Gradient<T> D({n, n});
    // ½‖x − y‖² + λ‖∇x‖₂,₁; step condition μ ≤ λ/‖K‖² with ‖∇‖² ≤ 8.
    auto x = custom::linearized_admm(SquaredL2(T(1), y), L21Norm<T>(lam), D, y, 1500, 0.1, 1.0);
    // Reference: the ROF prox (TV denoising) by the functional's own FGP.
    TotalVariation<T> tv(lam, TvNorm::isotropic, {.max_iter = 5000, .tol = 1e-8});
    Image<T> ref = y;
    tv.prox(y, 1.0, ref);
    CHECK(rel_diff(x, ref) < 1e-4);
}

// ---- review fixes: allocation, non-finite denoisers, round-off in step tests -----

namespace {
Image<double> smooth_test_image(std::size_t n) {
    Image<double> x({n, n});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            x(i, j) = 0.5 + 0.3 * std::sin(0.3 * double(i)) * std::cos(0.2 * double(j)) + ((i / 8 + j / 8) % 2 ? 0.1 : 0.0);
    return x;
}
}  // namespace

TEST_CASE("solvers allocate nothing per iteration, CG x-updates included", "[solvers][allocation]") {
    // zero boundary: no transform diagonalizes AᵀA, so every x-update runs CG (whose run
    // record once allocated its message string per call)
    const Image<double> x = smooth_test_image(32);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.5), {32, 32}, Boundary::zero);
    const Image<double> y = A(x);
    auto f = [&] { return LeastSquares(std::cref(A), y); };
    const ops::Gradient<double> D({32, 32}, Boundary::reflect);
    REQUIRE(test::allocations_during([] { ::operator delete(::operator new(16)); }) == 1);  // the counter counts
    auto check = [&](const char* name, auto&& solve) {
        solve(2);  // FFTW plans and the like, made once per process
        const long few = test::allocations_during([&] { solve(3); }),
                   many = test::allocations_during([&] { solve(23); });
        INFO(name << ": " << few << " allocations for 3 iterations, " << many << " for 23");
        CHECK(many == few);
    };
    check("admm", [&](int n) { admm(f(), L21Norm<double>(1e-3), D, y, {.max_iter = n, .tol = 0}); });
    check("hqs", [&](int n) { hqs(f(), L21Norm<double>(1e-3), D, y, {.max_iter = n, .tol = 0}); });
    check("pnp_admm", [&](int n) { pnp_admm(f(), denoisers::TvDenoiser<double>(), y, {.max_iter = n, .tol = 0}); });
    check("pnp_hqs", [&](int n) { pnp_hqs(f(), denoisers::TvDenoiser<double>(), y, {.max_iter = n, .tol = 0}); });
    check("red", [&](int n) { red(f(), denoisers::TvDenoiser<double>(), y, {.max_iter = n, .tol = 0}); });
    check("admm_tv", [&](int n) { admm_tv(A, y, 1e-3, y, {.max_iter = n, .tol = 0, .abs_tol = 0}); });
    check("hqs_tv", [&](int n) { hqs_tv(A, y, 1e-3, y, {.max_iter = n, .tol = 0}); });
    check("fista", [&](int n) { fista(f(), TotalVariation<double>(1e-3), y, {.max_iter = n, .tol = 0}); });
    check("fista, backtracking", [&](int n) {
        fista(f(), L1<double>(1e-3), y, {.max_iter = n, .tol = 0, .backtracking = true});
    });
    const auto normal = gram(A) + 0.1 * ops::Identity<Image<double>>({32, 32});
    check("conjugate_gradient", [&](int n) { conjugate_gradient(normal, y, y, {.max_iter = n, .tol = 1e-300}); });
    check("gradient_descent", [&](int n) { gradient_descent(f(), y, {.max_iter = n, .tol = 0}); });
    check("ista", [&](int n) { ista(f(), L1<double>(1e-3), y, {.max_iter = n, .tol = 0}); });
    check("pdhg", [&](int n) { pdhg(f(), L21Norm<double>(1e-3), D, y, {.max_iter = n, .tol = 0}); });
    check("richardson_lucy", [&](int n) { richardson_lucy(A, y, y, {.max_iter = n}); });
    check("landweber", [&](int n) { landweber(A, y, y, {.max_iter = n, .tol = 0}); });
    check("pnp_fista", [&](int n) { pnp_fista(f(), denoisers::TvDenoiser<double>(), y, {.max_iter = n, .tol = 0}); });
}

namespace {
// A denoiser that writes `bad` at one pixel from its N-th call on.
template <class D>
struct PoisonedDenoiser {
    using scalar_type = typename D::scalar_type;
    D d;
    int from;
    scalar_type bad;
    mutable int calls = 0;
    void denoise(const Image<scalar_type>& v, scalar_type sigma, Image<scalar_type>& out) const {
        d.denoise(v, sigma, out);
        if (++calls >= from) out(3, 4) = bad;
    }
};

}  // namespace

TEST_CASE("pnp_hqs: a denoiser that turns non-finite never leaks into the result", "[solvers][nonfinite]") {
    const Image<double> x = smooth_test_image(24);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.0), {24, 24}, Boundary::periodic);
    const Image<double> y = A(x);
    for (int from : {3, 5}) {
        CAPTURE(from);
        // a TV denoiser that writes one NaN from its N-th call on
        const PoisonedDenoiser<denoisers::TvDenoiser<double>> poisoned{denoisers::TvDenoiser<double>(), from, std::nan("")};
        const auto r = pnp_hqs(LeastSquares(std::cref(A), y), poisoned, y, {.max_iter = 5, .tol = 0});
        CHECK(r.status == Status::diverged);
        CHECK(r.iterations == from);
        CHECK(all_finite(r.x));
        CHECK_THAT(r.message, Contains("non-finite"));
    }
}

TEMPLATE_TEST_CASE("backtracking keeps its step near the optimum (round-off in f does not shrink it)",
                   "[solvers][backtracking]", float, double) {
    using T = TestType;
    // least squares + ℓ1 on a 200×50 system: near the solution f(p) − f(y) sinks into the
    // round-off of f, and a test on f alone kept raising L (the step fell 100-100000×)
    std::mt19937 rng(7);
    std::normal_distribution<double> normal(0, 1);
    MatX<T> M(200, 50);
    for (int i = 0; i < M.rows(); ++i)
        for (int j = 0; j < M.cols(); ++j) M(i, j) = T(normal(rng) / std::sqrt(200.0));
    VectorX<T> truth = VectorX<T>::Zero(50), b(200);
    for (int j = 0; j < 50; j += 5) truth(j) = T(1);
    b = M * truth;
    for (int i = 0; i < 200; ++i) b(i) += T(1e-3 * normal(rng));
    const double lip = double(Eigen::JacobiSVD<MatX<T>>(M).singularValues()(0)) * double(Eigen::JacobiSVD<MatX<T>>(M).singularValues()(0));
    ops::MatrixOperator<MatX<T>> op(M);
    const VectorX<T> x0 = VectorX<T>::Zero(50);
    for (bool use_fista : {true, false}) {
        CAPTURE(use_fista);
        const auto r = use_fista ? fista(LeastSquares(std::cref(op), b), L1<T>(T(1e-3)), x0,
                                         {.max_iter = 400, .tol = 0, .backtracking = true})
                                 : ista(LeastSquares(std::cref(op), b), L1<T>(T(1e-3)), x0,
                                        {.max_iter = 400, .tol = 0, .backtracking = true});
        REQUIRE(r.history.penalty.size() == 400);
        const double last_step = r.history.penalty.back();
        INFO("step 1/L after 400 iterations " << last_step << ", 1/L_true " << 1 / lip);
        // backtracking by factor 2 from below overshoots the true L at most twice
        CHECK(last_step >= 0.5 / lip * (1 - 1e-3));
    }
    // gradient descent with Armijo on ½‖Mx − b‖² converges like the fixed step
    const auto armijo = gradient_descent(LeastSquares(std::cref(op), b), x0,
                                         {.max_iter = 5000, .tol = 1e-6, .rule = StepRule::armijo});
    const auto fixed = gradient_descent(LeastSquares(std::cref(op), b), x0,
                                        {.max_iter = 5000, .tol = 1e-6, .rule = StepRule::fixed});
    INFO("Armijo " << armijo.iterations << " iterations (" << armijo.message << "), fixed step " << fixed.iterations);
    CHECK(fixed.status == Status::converged);
    CHECK(armijo.status == Status::converged);

    // A tolerance near the round-off of f: columns scaled over a range of 3 (cond(M) ≈ 3),
    // ‖∇f‖ ≤ tol‖∇f(x₀)‖ with tol 1e-6 (float) / 1e-10 (double). Deciding by f alone,
    // Armijo rejected every step once f(x_t) − f(x) sank into f's round-off and ran out
    // the 2000 iterations; with the gradient test it stops within a few iterations of
    // the fixed step (199 / 386 iterations, float / double).
    MatX<T> S = M;
    for (int j = 0; j < 50; ++j) S.col(j) *= T(std::pow(3.0, -double(j) / 49));
    ops::MatrixOperator<MatX<T>> sop(S);
    const double tight = std::is_same_v<T, float> ? 1e-6 : 1e-10;
    const auto armijo_tight = gradient_descent(LeastSquares(std::cref(sop), b), x0,
                                               {.max_iter = 2000, .tol = tight, .rule = StepRule::armijo});
    const auto fixed_tight = gradient_descent(LeastSquares(std::cref(sop), b), x0,
                                              {.max_iter = 2000, .tol = tight, .rule = StepRule::fixed});
    INFO("tight tol: Armijo " << armijo_tight.iterations << " iterations (" << armijo_tight.message << "), fixed step "
                              << fixed_tight.iterations);
    REQUIRE(fixed_tight.status == Status::converged);
    CHECK(armijo_tight.status == Status::converged);
    CHECK(armijo_tight.iterations <= 2 * fixed_tight.iterations);
}

TEMPLATE_TEST_CASE("monotone FISTA with function restart converges where ISTA does", "[solvers][fista]", float, double) {
    using T = TestType;
    const bool is_float = std::is_same_v<T, float>;
    std::mt19937 rng(3);
    std::normal_distribution<double> normal(0, 1);
    MatX<T> M(120, 40);
    for (int i = 0; i < M.rows(); ++i)
        for (int j = 0; j < M.cols(); ++j) M(i, j) = T(normal(rng) / std::sqrt(120.0));
    VectorX<T> b(120);
    for (int i = 0; i < 120; ++i) b(i) = T(normal(rng) * 0.1);
    ops::MatrixOperator<MatX<T>> op(M);
    const VectorX<T> x0 = VectorX<T>::Zero(40);
    const double tol = is_float ? 1e-6 : 1e-10;
    const auto ista_run = ista(LeastSquares(std::cref(op), b), L1<T>(T(1e-2)), x0, {.max_iter = 5000, .tol = tol});
    const auto mfista = fista(LeastSquares(std::cref(op), b), L1<T>(T(1e-2)), x0,
                              {.max_iter = 5000, .tol = tol, .monotone = true, .restart = Restart::function});
    INFO("ISTA " << ista_run.iterations << " iterations, MFISTA + function restart " << mfista.iterations << " ("
                 << mfista.message << ")");
    REQUIRE(ista_run.status == Status::converged);
    CHECK(mfista.status == Status::converged);
    // and it stays monotone up to round-off
    const auto& F = mfista.history.objective;
    for (std::size_t k = 1; k < F.size(); ++k)
        CHECK(F[k] <= F[k - 1] + std::sqrt(double(std::numeric_limits<T>::epsilon())) * std::abs(F[k - 1]));
}

TEST_CASE("HQS with a fixed penalty (mu_growth = 1) stops on tol", "[solvers][hqs]") {
    const Image<double> x = smooth_test_image(32);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.0), {32, 32}, Boundary::reflect);
    const Image<double> y = A(x);
    const ops::Gradient<double> D({32, 32}, Boundary::reflect);
    const auto generic = hqs(LeastSquares(std::cref(A), y), L21Norm<double>(1e-3), D, y,
                             {.max_iter = 3000, .mu = 10, .mu_growth = 1, .tol = 1e-4});
    CHECK(generic.status == Status::converged);
    CHECK(generic.iterations < 3000);
    const auto fused = hqs_tv(A, y, 1e-3, y, {.max_iter = 3000, .mu = 10, .mu_growth = 1, .tol = 1e-4});
    CHECK(fused.status == Status::converged);
    CHECK(fused.iterations < 3000);
}

TEST_CASE("ADMM-TV's fused loop applies divergence_factor and returns the last finite iterate", "[solvers][admm_tv]") {
    const Image<double> x = smooth_test_image(32);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.0), {32, 32}, Boundary::reflect);
    const Image<double> y = A(x);
    // x0 = 0: the guard's scale is max(1, √8‖x0‖) = 1, while ‖∇x₁‖ of this image is far above 1.01
    const Image<double> x0 = zeros_like(y);
    const auto r = admm_tv(A, y, 1e-3, x0, {.max_iter = 20, .divergence_factor = 1.01});
    CHECK(r.status == Status::diverged);
    CHECK(r.iterations == 1);
    CHECK(max_abs_diff(r.x, x0) == 0);  // the iterate before the step the guard refused
    const auto ok = admm_tv(A, y, 1e-3, x0, {.max_iter = 20});
    CHECK(ok.status != Status::diverged);
}

TEST_CASE("float Tikhonov is as accurate as float Wiener at small lambda", "[solvers][tikhonov][precision]") {
    // Aᵀy formed in the image domain in float carried ε‖Aᵀy‖ at every frequency, which
    // 1/(|Â|² + λ|D̂|²) ≈ 1/λ amplified where Â ≈ 0: errors 2e-3 (λ = 1e-4) to 3e-2 (1e-6).
    const std::size_t n = 64;
    const Image<double> xd = smooth_test_image(n);
    for (Boundary b : {Boundary::periodic, Boundary::reflect}) {
        const ops::Convolution<double> Ad(kernels::gaussian<double>(2.0), {n, n}, b);
        const ops::Convolution<float> Af(kernels::gaussian<float>(2.0f), {n, n}, b);
        Image<double> yd = Ad(xd);
        Image<float> yf = xt::cast<float>(yd);
        yd = xt::cast<double>(yf);  // both solve for the same (float) data
        const ops::Gradient<double> Dd({n, n}, b == Boundary::periodic ? Boundary::periodic : Boundary::reflect);
        const ops::Gradient<float> Df({n, n}, b == Boundary::periodic ? Boundary::periodic : Boundary::reflect);
        for (double lam : {1e-4, 1e-6}) {
            CAPTURE(to_string(b), lam);
            const auto ref = tikhonov(Ad, yd, lam, Dd);
            const auto got = tikhonov(Af, yf, lam, Df);
            const auto wiener_f = wiener(Af, yf, {.nsr = lam});
            const auto wiener_d = wiener(Ad, yd, {.nsr = lam});
            const double err = max_abs_diff(Image<double>(xt::cast<double>(got.x)), ref.x);
            const double werr = max_abs_diff(Image<double>(xt::cast<double>(wiener_f.x)), wiener_d.x);
            INFO("float Tikhonov error " << err << ", float Wiener error " << werr << " (" << got.message << ")");
            CHECK(err <= std::max(10 * werr, 1e-5));
        }
    }
}

TEST_CASE("float HQS-TV and ADMM-TV record the objective of their iterate at large penalties", "[solvers][precision]") {
    // The fused x-update recovered the symbol of AᵀA as n/m − ρĜ_∇ from a stored multiplier
    // m: in float at μ = 1e4 the recorded objective was 0.16% (reflect) to 2.4% (periodic) off.
    const std::size_t n = 32;
    const Image<double> xd = smooth_test_image(n);
    const float lambda = 1e-3f;
    for (Boundary b : {Boundary::reflect, Boundary::periodic}) {
        CAPTURE(to_string(b));
        const ops::Convolution<float> A(kernels::gaussian<float>(1.5f), {n, n}, b);
        const Image<float> y = A(Image<float>(xt::cast<float>(xd)));
        // ½‖Ax − y‖² + λ TV(x) in double, TV with the fused loops' differences (wrap-around when periodic)
        auto objective = [&](const Image<float>& x) {
            const Image<float> ax = A(x);
            double data = 0, tv = 0;
            for (std::size_t i = 0; i < ax.size(); ++i) data += 0.5 * std::pow(double(ax.data()[i]) - double(y.data()[i]), 2);
            const bool wrap = b == Boundary::periodic;
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < n; ++j) {
                    const double c = x(i, j);
                    const double dx = j + 1 < n ? double(x(i, j + 1)) - c : (wrap ? double(x(i, 0)) - c : 0.0);
                    const double dy = i + 1 < n ? double(x(i + 1, j)) - c : (wrap ? double(x(0, j)) - c : 0.0);
                    tv += std::sqrt(dx * dx + dy * dy);
                }
            return data + double(lambda) * tv;
        };
        // what remains is the Parseval sum's own cancellation, ½‖Ax‖² − ⟨Ax, y⟩ + ½‖y‖²
        // from float transforms: a few ε‖y‖²
        double y2 = 0;
        for (float v : y) y2 += double(v) * double(v);
        const double allowed = 4 * double(std::numeric_limits<float>::epsilon()) * y2;
        const auto h = hqs_tv(A, y, lambda, y, {.max_iter = 30, .mu = 1e4, .mu_growth = 1, .tol = 0});
        const double recorded = h.history.objective.back(), actual = objective(h.x);
        INFO("HQS-TV recorded " << recorded << ", recomputed " << actual << ", allowed " << allowed);
        CHECK(std::abs(recorded - actual) <= allowed);
        const auto a = admm_tv(A, y, lambda, y, {.max_iter = 30, .rho = 1e4, .tol = 0, .adaptive_rho = false});
        const double arec = a.history.objective.back(), aact = objective(a.x);
        INFO("ADMM-TV recorded " << arec << ", recomputed " << aact);
        CHECK(std::abs(arec - aact) <= allowed);
    }
}

// ---- divergence of ADMM, PnP-ADMM, PnP-FISTA and Richardson-Lucy -------------------
//
// Each run is made to fail at a known iteration N (a prox, denoiser or operator that
// writes one bad value from its N-th call, or a step that explodes) and must then end
// as diverged at N with the iterate of iteration N − 1: the x the same run returns
// when stopped by max_iter = N − 1 (x₀ when N = 1), to the bit, since both runs make
// the same computations up to there.

namespace {

// A prox (of g) that writes `bad` at one element of its output from its N-th call on:
// NaN, ±inf, or a finite 1e30 (an exploding iterate that only the step guard sees).
template <class G>
struct PoisonedProx {
    using scalar_type = typename G::scalar_type;
    G g;
    int from;
    scalar_type bad;
    mutable int calls = 0;
    template <class V>
    scalar_type value(const V& v) const { return g.value(v); }
    template <class V>
    void prox(const V& v, scalar_type tau, V& out) const {
        g.prox(v, tau, out);
        if (++calls >= from) out.data()[out.size() / 3] = bad;
    }
};

// A blur whose forward product writes `bad` at one pixel from its N-th call on.
struct PoisonedBlur {
    using domain_type = Image<double>;
    using range_type = Image<double>;
    using scalar_type = double;
    const ops::Convolution<double>* a;
    int from;
    double bad;
    mutable int calls = 0;
    Shape<2> domain_shape() const { return a->domain_shape(); }
    Shape<2> range_shape() const { return a->range_shape(); }
    void apply(const Image<double>& x, Image<double>& y) const {
        a->apply(x, y);
        if (++calls >= from) y(5, 6) = bad;
    }
    void apply_adjoint(const Image<double>& y, Image<double>& x) const { a->apply_adjoint(y, x); }
};

// The checks shared by every case: diverged at iteration n, its x the iterate of
// iteration n − 1 (`before`, from the run stopped there), history of n − 1 iterations.
template <class R, class V>
void check_diverged_at(const R& r, int n, const V& before) {
    CHECK(r.status == Status::diverged);
    CHECK(r.iterations == n);
    CHECK(r.history.size() == std::size_t(n - 1));
    CHECK(all_finite(r.x));
    REQUIRE(r.x.shape() == before.shape());
    CHECK(max_abs_diff(r.x, before) == 0);
    CHECK_FALSE(r.message.empty());
    CHECK_THAT(r.message, Contains("diverged") && Contains("iteration " + std::to_string(n)));
}

const double nan_d = std::numeric_limits<double>::quiet_NaN();
const double inf_d = std::numeric_limits<double>::infinity();

}  // namespace

TEST_CASE("admm: a non-finite or exploding z-update ends as diverged with the previous x", "[solvers][admm][divergence]") {
    const Image<double> truth = smooth_test_image(24);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.0), {24, 24}, Boundary::reflect);
    const Image<double> y = A(truth);
    const ops::Gradient<double> D({24, 24}, Boundary::reflect);
    const AdmmParams base{.max_iter = 8, .tol = 0};
    for (double bad : {nan_d, inf_d, -inf_d, 1e30})
        for (int from : {1, 2, 5}) {
            CAPTURE(bad, from);
            auto run = [&](int max_iter) {
                AdmmParams p = base;
                p.max_iter = max_iter;
                return admm(LeastSquares(std::cref(A), y), PoisonedProx<L21Norm<double>>{L21Norm<double>(1e-3), from, bad},
                            D, y, p);
            };
            const auto r = run(base.max_iter);
            check_diverged_at(r, from, from == 1 ? y : run(from - 1).x);
        }
    // unpoisoned, the same run goes the distance
    const auto ok = admm(LeastSquares(std::cref(A), y), L21Norm<double>(1e-3), D, y, base);
    CHECK(ok.status == Status::max_iterations);
    CHECK(ok.iterations == base.max_iter);
}

TEST_CASE("pnp_admm: a non-finite or exploding denoiser output ends as diverged with the previous x",
          "[solvers][pnp][divergence]") {
    const Image<double> truth = smooth_test_image(24);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.0), {24, 24}, Boundary::periodic);
    Image<double> y = A(truth);
    add_noise(y, 0.02, 11);
    const PnpAdmmParams base{.max_iter = 8, .lambda = 1e-3, .sigma = {.initial = 0.1}, .tol = 0};
    for (double bad : {nan_d, inf_d, 1e30})
        for (int from : {1, 2, 5}) {
            CAPTURE(bad, from);
            auto run = [&](int max_iter) {
                PnpAdmmParams p = base;
                p.max_iter = max_iter;
                using Tv = denoisers::TvDenoiser<double>;
                return pnp_admm(LeastSquares(std::cref(A), y), PoisonedDenoiser<Tv>{Tv(), from, bad}, y, p);
            };
            const auto r = run(base.max_iter);
            check_diverged_at(r, from, from == 1 ? y : run(from - 1).x);
        }
    const auto ok = pnp_admm(LeastSquares(std::cref(A), y), denoisers::TvDenoiser<double>(), y, base);
    CHECK(ok.status == Status::max_iterations);
}

TEST_CASE("pnp_fista: a non-finite denoiser output or a step far too large ends as diverged with the previous x",
          "[solvers][pnp][divergence]") {
    const Image<double> truth = smooth_test_image(24);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.0), {24, 24}, Boundary::periodic);
    Image<double> y = A(truth);
    add_noise(y, 0.02, 12);
    const auto f = LeastSquares(std::cref(A), y);
    const PnpFistaParams base{.max_iter = 8, .sigma = {.initial = 0.05}, .tol = 0};
    for (double bad : {nan_d, -inf_d, 1e30})
        for (int from : {1, 2, 5}) {
            CAPTURE(bad, from);
            auto run = [&](int max_iter) {
                PnpFistaParams p = base;
                p.max_iter = max_iter;
                using Tv = denoisers::TvDenoiser<double>;
                return pnp_fista(f, PoisonedDenoiser<Tv>{Tv(), from, bad}, y, p);
            };
            const auto r = run(base.max_iter);
            check_diverged_at(r, from, from == 1 ? y : run(from - 1).x);
        }
    // a gradient step 50/L with a non-expansive (linear, Gaussian) denoiser: the iterate grows
    // geometrically until a step passes divergence_factor·max(1, ‖x₀‖)
    const double L = double(f.lipschitz());
    PnpFistaParams big = base;
    big.max_iter = 500;
    big.step = 50 / L;
    const auto r = pnp_fista(f, denoisers::GaussianDenoiser<double>(), y, big);
    INFO("diverged after " << r.iterations << " iterations");
    REQUIRE(r.status == Status::diverged);
    CHECK(r.iterations > 1);
    CHECK(r.iterations < big.max_iter);
    big.max_iter = r.iterations - 1;
    const auto before = pnp_fista(f, denoisers::GaussianDenoiser<double>(), y, big);
    CHECK(before.status == Status::max_iterations);
    check_diverged_at(r, r.iterations, before.x);
    // the step guard, not an overflow, stopped it: the last finite iterate is large but far from DBL_MAX
    CHECK(double(norm(r.x)) > 10 * double(norm(y)));
    CHECK(double(norm(r.x)) < 1e12 * double(norm(y)));
    const auto ok = pnp_fista(f, denoisers::GaussianDenoiser<double>(), y, base);
    CHECK(ok.status == Status::max_iterations);
}

TEST_CASE("richardson_lucy: a NaN or a vanishing A x ends as diverged with the previous x", "[solvers][rl][divergence]") {
    const Image<double> truth = smooth_test_image(24);
    const ops::Convolution<double> A(kernels::gaussian<double>(1.0), {24, 24}, Boundary::periodic);
    const Image<double> y = A(truth);
    // The forward product is called once for A x₀ and once per iteration after the update,
    // so its N-th call feeds iteration N. NaN poisons the ratio y/(A x); 0 is floored at
    // epsilon = 1e-12, a ratio ~1e12 that makes the update explode (finite: the step guard).
    for (double bad : {nan_d, 0.0})
        for (int from : {1, 2, 5}) {
            CAPTURE(bad, from);
            const Image<double> x0 = xt::ones<double>(y.shape()) * 0.5;
            auto run = [&](int max_iter) {
                return richardson_lucy(PoisonedBlur{&A, from, bad}, y, x0, {.max_iter = max_iter});
            };
            const auto r = run(8);
            check_diverged_at(r, from, from == 1 ? x0 : run(from - 1).x);
        }
    const auto ok = richardson_lucy(A, y, {.max_iter = 8});
    CHECK(ok.status == Status::max_iterations);
    CHECK(all_finite(ok.x));
}
