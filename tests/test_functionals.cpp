// Functionals: elementwise regularizers, indicators, least squares / Tikhonov,
// combinators. Each prox is checked against its optimality condition and a
// brute-force minimizer; gradients against finite differences.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <random>

#include "lucid/lucid.hpp"
#include "lucid/functionals/functionals.hpp"
#include "support/prox_check.hpp"

using namespace lucid;
using lucid::test::minimize_1d;
using lucid::test::subgradient_violation;

namespace {

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed, double scale = 1.0) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, scale);
    Image<T> x({h, w});
    for (auto& v : x) v = T(n(rng));
    return x;
}

template <class T>
VectorX<T> random_vector(int n, unsigned seed, double scale = 1.0) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> d(0, scale);
    VectorX<T> v(n);
    for (int i = 0; i < n; ++i) v(i) = T(d(rng));
    return v;
}

template <class T>
double tol_for() { return std::is_same_v<T, float> ? 2e-5 : 1e-11; }

// Checks a separable prox elementwise against 1-D brute force of phi_i(x) = f_i(x) + (x − v_i)²/(2τ).
template <class T, class Prox, class Scalar>
void check_separable(const Prox& prox_of, const Scalar& scalar_f, const VectorX<T>& v, T tau, double tol,
                     double lo = -1e300, double hi = 1e300) {
    VectorX<T> p(v.size());
    prox_of(v, tau, p);
    for (int i = 0; i < v.size(); ++i) {
        const double vi = double(v(i));
        auto phi = [&](double x) { return scalar_f(i, x) + (x - vi) * (x - vi) / (2 * double(tau)); };
        const double brute = minimize_1d(phi, std::max(lo, vi - 10), std::min(hi, vi + 10));
        CHECK(double(p(i)) == Approx(brute).margin(tol));
    }
}

// Central finite difference of f along a random direction vs ⟨∇f(x), d⟩.
template <class F, class V>
void check_gradient(const F& f, const V& x, unsigned seed, double rel) {
    using T = scalar_t<V>;
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, 1);
    V d = zeros_like(x), g = zeros_like(x), xp = zeros_like(x), xm = zeros_like(x);
    detail::for_each_leaf([&](auto a) { for (auto& e : a) e = T(n(rng)); }, d);
    f.gradient(x, g);
    const double h = std::is_same_v<T, float> ? 1e-2 : 1e-5;
    lincomb(T(1), x, T(h), d, xp);
    lincomb(T(1), x, T(-h), d, xm);
    const double fd = (double(f.value(xp)) - double(f.value(xm))) / (2 * h);
    CHECK(double(dot(g, d)) == Approx(fd).epsilon(rel).margin(rel));
}

}  // namespace

TEMPLATE_TEST_CASE("elementwise proxes match brute-force 1-D minimization", "[functionals][prox]", float, double) {
    using T = TestType;
    const auto v = random_vector<T>(40, 3, 2.0);
    const T tau = T(0.7);
    const double tol = std::is_same_v<T, float> ? 2e-4 : 2e-7;

    L1<T> l1(T(0.9));
    check_separable<T>([&](const auto& a, T t, auto& b) { l1.prox(a, t, b); },
                       [&](int, double x) { return 0.9 * std::abs(x); }, v, tau, tol);

    VectorX<T> w = random_vector<T>(40, 4).cwiseAbs();
    w(3) = 0;  // an unpenalized element
    WeightedL1<VectorX<T>> wl1(w);
    check_separable<T>([&](const auto& a, T t, auto& b) { wl1.prox(a, t, b); },
                       [&](int i, double x) { return double(w(i)) * std::abs(x); }, v, tau, tol);
    CHECK(double(wl1.value(v)) == Approx(double(w.cwiseProduct(v.cwiseAbs()).sum())).epsilon(1e-5));

    ElasticNet<T> en(T(0.5), T(2));
    check_separable<T>([&](const auto& a, T t, auto& b) { en.prox(a, t, b); },
                       [&](int, double x) { return 0.5 * std::abs(x) + x * x; }, v, tau, tol);

    Huber<T> hub(T(0.3), T(1.5));
    auto huber_scalar = [](double x) { return std::abs(x) <= 0.3 ? x * x / 0.6 : std::abs(x) - 0.15; };
    check_separable<T>([&](const auto& a, T t, auto& b) { hub.prox(a, t, b); },
                       [&](int, double x) { return 1.5 * huber_scalar(x); }, v, tau, tol);

    SquaredL2<T> sq(T(3));
    check_separable<T>([&](const auto& a, T t, auto& b) { sq.prox(a, t, b); },
                       [&](int, double x) { return 1.5 * x * x; }, v, tau, tol);
    const VectorX<T> c = random_vector<T>(40, 5);
    SquaredL2 sqc(T(3), c);
    check_separable<T>([&](const auto& a, T t, auto& b) { sqc.prox(a, t, b); },
                       [&](int i, double x) { return 1.5 * (x - double(c(i))) * (x - double(c(i))); }, v, tau, tol);

    // indicators: minimize the distance term over the set
    auto zero = [](int, double) { return 0.0; };
    Box<T> box(T(-0.5), T(1.25));
    check_separable<T>([&](const auto& a, T t, auto& b) { box.prox(a, t, b); }, zero, v, tau, tol, -0.5, 1.25);
    NonNegative<T> nn;
    check_separable<T>([&](const auto& a, T t, auto& b) { nn.prox(a, t, b); }, zero, v, tau, tol, 0.0);
    LInfBall<T> linf(T(0.8));
    check_separable<T>([&](const auto& a, T t, auto& b) { linf.prox(a, t, b); }, zero, v, tau, tol, -0.8, 0.8);
}

TEMPLATE_TEST_CASE("proxes satisfy the optimality condition (v - p)/tau in df(p)", "[functionals][prox]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    const auto v = random_vector<T>(30, 11, 1.5);
    VectorX<T> p(30);
    auto check = [&](const auto& f, T tau) {
        f.prox(v, tau, p);
        CHECK(subgradient_violation(f, v, tau, p) <= tol);
    };
    check(L1<T>(T(0.4)), T(0.9));
    check(ElasticNet<T>(T(0.4), T(0.3)), T(0.9));
    check(Huber<T>(T(0.2), T(0.7)), T(1.3));
    check(SquaredL2<T>(T(0.7)), T(1.3));
    // sets with zero slack, so that points just outside count as infeasible
    check(Box<T>(T(0), T(1), T(0)), T(2));
    check(L2Ball<T>(T(1.5), T(0)), T(2));
    check(Simplex<T>(T(1), T(0)), T(2));
    // a wrong prox is caught: soft thresholding with half the threshold
    L1<T> l1(T(0.4));
    L1<T> half(T(0.2));
    half.prox(v, T(0.9), p);
    CHECK(subgradient_violation(l1, v, T(0.9), p) > 1e-3);
}

TEMPLATE_TEST_CASE("Indicator sets: prox is the projection for every tau, value 0 on the set and +inf off it",
                   "[functionals][indicator]", float, double) {
    using T = TestType;
    using V = VectorX<T>;
    static_assert(Indicator<Box<T>, V> && Indicator<NonNegative<T>, V> && Indicator<Simplex<T>, V> &&
                  Indicator<L2Ball<T>, V> && Indicator<LInfBall<T>, V>);
    static_assert(!Indicator<L1<T>, V> && !Indicator<SquaredL2<T>, V>);  // proximable, but not sets
    const V v = random_vector<T>(25, 3, 2.0);  // N(0, 2²) entries: outside every set below
    auto check = [&](const auto& set, const char* name) {
        INFO(name);
        V projected(v.size()), p(v.size());
        set.project(v, projected);
        CHECK(set.value(projected) == T(0));
        CHECK(set.value(v) == std::numeric_limits<T>::infinity());
        for (T tau : {T(1e-3), T(1), T(1e3)}) {
            set.prox(v, tau, p);
            CHECK((p - projected).cwiseAbs().maxCoeff() == T(0));
        }
        set.project(projected, p);  // a projection is idempotent
        CHECK((p - projected).cwiseAbs().maxCoeff() <= 8 * std::numeric_limits<T>::epsilon());
    };
    // default tolerances: `value` allows the projection's round-off (a scaled vector's norm may exceed r by an ulp)
    check(Box<T>(T(-0.5), T(1.25)), "Box");
    check(NonNegative<T>(), "NonNegative");
    check(Simplex<T>(T(1)), "Simplex");
    check(L2Ball<T>(T(1.5)), "L2Ball");
    check(LInfBall<T>(T(0.8)), "LInfBall");
}

TEST_CASE("simplex projection of a vector with NaN is NaN everywhere (and never sorts NaN)", "[functionals][simplex]") {
    // std::sort with NaN breaks its strict weak ordering (undefined behaviour); the
    // projection does not exist, so every output is NaN for the solver to detect.
    Simplex<double> simplex(1.0);
    for (int n : {1, 17, 5000}) {
        VectorX<double> v(n), p(n);
        for (int i = 0; i < n; ++i) v(i) = std::sin(0.7 * i) * (i % 3 ? 1 : 40);
        for (int i = 0; i < n; i += 3) v(i) = std::nan("");
        simplex.project(v, p);
        CHECK(p.array().isNaN().all());
        // the same vector without NaN projects onto the simplex
        for (int i = 0; i < n; i += 3) v(i) = 0.25;
        simplex.project(v, p);
        CHECK(p.sum() == Approx(1.0).epsilon(1e-12));
        CHECK(p.minCoeff() >= 0.0);
    }
}

TEMPLATE_TEST_CASE("simplex projection equals brute force over supports", "[functionals][simplex]", float, double) {
    using T = TestType;
    Simplex<T> simplex(T(1));
    for (unsigned seed = 0; seed < 30; ++seed) {
        const int n = 2 + int(seed % 6);
        const auto v = random_vector<T>(n, 100 + seed, 1.0);
        VectorX<T> p(n);
        simplex.project(v, p);
        // brute force: for every non-empty support S, x_S = v_S − θ with Σ x_S = 1;
        // keep the feasible candidate closest to v (the projection is unique).
        double best = 1e300;
        VectorX<double> best_x(n);
        for (int mask = 1; mask < (1 << n); ++mask) {
            double sum = 0;
            int k = 0;
            for (int i = 0; i < n; ++i)
                if (mask & (1 << i)) { sum += double(v(i)); ++k; }
            const double theta = (sum - 1) / k;
            VectorX<double> x = VectorX<double>::Zero(n);
            bool ok = true;
            for (int i = 0; i < n; ++i)
                if (mask & (1 << i)) { x(i) = double(v(i)) - theta; ok = ok && x(i) >= 0; }
            if (!ok) continue;
            const double d = (x - v.template cast<double>()).squaredNorm();
            if (d < best) { best = d; best_x = x; }
        }
        CHECK((p.template cast<double>() - best_x).norm() <= (std::is_same_v<T, float> ? 1e-5 : 1e-12));
        CHECK(simplex.value(p) == 0);
    }
    // works on images (a blur kernel) and keeps its shape
    Image<T> k = random_image<T>(5, 5, 7);
    Image<T> kp = zeros_like(k);
    simplex.prox(k, T(1), kp);
    CHECK(double(xt::sum(kp)()) == Approx(1.0).epsilon(1e-5));
    CHECK(double(xt::amin(kp)()) >= 0.0);
    CHECK(simplex.value(k) == std::numeric_limits<T>::infinity());
}

TEMPLATE_TEST_CASE("Moreau decomposition for L1 and the l-infinity ball", "[functionals][moreau]", float, double) {
    using T = TestType;
    // v = prox_{τf}(v) + τ prox_{f*/τ}(v/τ), with f = λ‖·‖₁ and f* = ι_{‖·‖∞ ≤ λ}.
    const auto v = random_vector<T>(50, 21, 2.0);
    const T lambda = T(0.6), tau = T(1.7);
    VectorX<T> a(50), b(50);
    L1<T>(lambda).prox(v, tau, a);
    VectorX<T> vt = v / tau;
    LInfBall<T>(lambda).prox(vt, T(1) / tau, b);
    CHECK(((a + tau * b) - v).norm() <= tol_for<T>() * 10 * v.norm());
    // and for the l2 norm / l2 ball pair through the Moreau envelope: the envelope
    // of λ|·| is the Huber function with δ = μ, scaled by λ... checked below.
}

namespace {
// f with its prox only: lucid::prox_conjugate then takes Moreau's identity.
template <class F>
struct MoreauOnly {
    using scalar_type = typename F::scalar_type;
    F f;
    template <class V>
    scalar_type value(const V& x) const { return f.value(x); }
    template <class V>
    void prox(const V& v, scalar_type tau, V& out) const { f.prox(v, tau, out); }
};
}  // namespace

TEMPLATE_TEST_CASE("conjugate proxes: SquaredL2's closed form and SeparableSum's blockwise one equal Moreau's identity",
                   "[functionals][moreau]", float, double) {
    using T = TestType;
    const Image<T> v = random_image<T>(9, 7, 31, 2.0), c = random_image<T>(9, 7, 32);
    ImageStack<T> w({2, 9, 7});
    {
        const Image<T> a = random_image<T>(9, 7, 33, 0.5), b = random_image<T>(9, 7, 34, 0.5);
        std::copy(a.begin(), a.end(), w.begin());
        std::copy(b.begin(), b.end(), w.begin() + 63);
    }
    const double tol = tol_for<T>() * 10;
    for (T sigma : {T(0.1), T(1), T(7)}) {
        INFO("sigma " << sigma);
        // ½λ‖x − c‖² and ½λ‖x‖²: λ(v − σc)/(λ + σ) and λv/(λ + σ).
        const SquaredL2 centred(T(0.3), c);
        const SquaredL2<T> plain(T(0.3));
        static_assert(HasConjugateProx<decltype(centred), Image<T>>);
        static_assert(!HasConjugateProx<MoreauOnly<decltype(centred)>, Image<T>>);
        Image<T> direct({9, 7}), moreau({9, 7}), scratch({9, 7});
        centred.prox_conjugate(v, sigma, direct);
        prox_conjugate(MoreauOnly<decltype(centred)>{centred}, v, sigma, moreau, scratch);
        CHECK(double(distance(direct, moreau)) <= tol * double(norm(v)));
        plain.prox_conjugate(v, sigma, direct);
        prox_conjugate(MoreauOnly<SquaredL2<T>>{plain}, v, sigma, moreau, scratch);
        CHECK(double(distance(direct, moreau)) <= tol * double(norm(v)));
        // Aliasing out = v is allowed.
        Image<T> alias = v;
        centred.prox_conjugate(alias, sigma, alias);
        centred.prox_conjugate(v, sigma, direct);
        CHECK(double(distance(alias, direct)) == 0);
        // The separable sum (data term on Ax, isotropic TV on ∇x: PDHG-TV's g) blockwise.
        const auto g = separable_sum(centred, L21Norm<T>(T(0.2)));
        static_assert(HasConjugateProx<decltype(g), std::tuple<Image<T>, ImageStack<T>>>);
        const std::tuple<Image<T>, ImageStack<T>> vv{v, w};
        std::tuple<Image<T>, ImageStack<T>> out{Image<T>({9, 7}), ImageStack<T>({2, 9, 7})},
            ref{Image<T>({9, 7}), ImageStack<T>({2, 9, 7})}, tmp{Image<T>({9, 7}), ImageStack<T>({2, 9, 7})};
        g.prox_conjugate(vv, sigma, out);
        prox_conjugate(MoreauOnly<decltype(g)>{g}, vv, sigma, ref, tmp);
        CHECK(double(distance(out, ref)) <= tol * double(norm(vv)));
        // The dual block lands in the λ-ball.
        const auto& p = std::get<1>(out);
        for (std::size_t i = 0; i < 63; ++i)
            CHECK(std::hypot(double(p.data()[i]), double(p.data()[63 + i])) <= 0.2 * (1 + 1e-6));
    }
    Image<T> o({9, 7});
    CHECK_THROWS_WITH(SquaredL2<T>(T(1)).prox_conjugate(v, T(0), o), Catch::Contains("tau") || Catch::Contains("sigma"));
}

TEMPLATE_TEST_CASE("functionals work on images, stacks, Eigen vectors and tuples", "[functionals][vector]", float, double) {
    using T = TestType;
    L1<T> l1(T(0.5));
    Image<T> x = random_image<T>(4, 6, 1);
    Image<T> px = zeros_like(x);
    l1.prox(x, T(1), px);
    for (std::size_t i = 0; i < x.size(); ++i)
        CHECK(px.data()[i] == detail::soft_threshold(x.data()[i], T(0.5)));
    ImageStack<T> s({3, 4, 5}, T(2));
    ImageStack<T> ps = zeros_like(s);
    l1.prox(s, T(1), ps);
    CHECK(ps(2, 3, 4) == Approx(1.5));
    CHECK(l1.value(s) == Approx(0.5 * 2 * 60));
    std::tuple<Image<T>, VectorX<T>> t{x, random_vector<T>(7, 2)};
    auto pt = zeros_like(t);
    l1.prox(t, T(2), pt);
    CHECK(std::get<1>(pt)(3) == detail::soft_threshold(std::get<1>(t)(3), T(1)));
    // in place (out aliases v)
    Image<T> y = x;
    l1.prox(y, T(1), y);
    CHECK(distance(y, px) == 0);
    static_assert(Proximable<L1<T>, Image<T>> && Proximable<L1<T>, VectorX<T>>);
    static_assert(Differentiable<Huber<T>, ImageStack<T>> && !Differentiable<L1<T>, Image<T>>);
    static_assert(Proximable<Simplex<T>, Image<T>> && Functional<TotalVariation<T>, Image<T>>);
    CHECK_FALSE(lipschitz_constant(l1).has_value());
    CHECK(*lipschitz_constant(Huber<T>(T(0.5), T(2))) == Approx(4));
}

TEMPLATE_TEST_CASE("gradients match finite differences", "[functionals][gradient]", float, double) {
    using T = TestType;
    const double rel = std::is_same_v<T, float> ? 2e-2 : 1e-6;
    const auto x = random_vector<T>(20, 31);
    check_gradient(Huber<T>(T(0.5), T(2)), x, 1, rel);
    check_gradient(SquaredL2<T>(T(0.3)), x, 2, rel);
    check_gradient(SquaredL2(T(0.3), VectorX<T>(random_vector<T>(20, 3))), x, 3, rel);
    check_gradient(moreau_envelope(L1<T>(T(1)), T(0.4)), x, 4, rel);
    check_gradient(Huber<T>(T(0.5)) + T(2) * SquaredL2<T>(T(0.3)), x, 5, rel);
}

TEMPLATE_TEST_CASE("LeastSquares: value, gradient, Lipschitz and prox against dense linear algebra", "[functionals][least_squares]", float, double) {
    using T = TestType;
    using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    std::mt19937 rng(5);
    std::normal_distribution<double> n01(0, 1);
    M a(25, 15);
    for (int i = 0; i < a.rows(); ++i)
        for (int j = 0; j < a.cols(); ++j) a(i, j) = T(n01(rng));
    const VectorX<T> y = random_vector<T>(25, 6);
    ops::MatrixOperator<M> A(a);
    auto f = LeastSquares(A, y);  // CTAD
    static_assert(Differentiable<decltype(f), VectorX<T>> && Proximable<decltype(f), VectorX<T>>);
    const auto x = random_vector<T>(15, 7);
    CHECK(double(f.value(x)) == Approx(0.5 * double((a * x - y).squaredNorm())).epsilon(1e-5));
    VectorX<T> g(15);
    f.gradient(x, g);
    CHECK((g - a.transpose() * (a * x - y)).norm() <= 1e-4 * g.norm());
    const double smax = Eigen::JacobiSVD<Eigen::MatrixXd>(a.template cast<double>()).singularValues()(0);
    // power iteration, inflated by 1%: an upper bound, tight within 1%
    CHECK(double(*lipschitz_constant(f)) >= smax * smax * (1 - 1e-5));
    CHECK(double(*lipschitz_constant(f)) <= smax * smax * 1.011);
    CHECK_FALSE(f.closed_form_prox());
    const T tau = T(0.3);
    const auto v = random_vector<T>(15, 8);
    VectorX<T> p(15);
    f.prox(v, tau, p);
    const M sys = a.transpose() * a + M::Identity(15, 15) / tau;
    const VectorX<T> exact = sys.ldlt().solve(a.transpose() * y + v / tau);
    CHECK((p - exact).norm() <= (std::is_same_v<T, float> ? 1e-4 : 1e-8) * exact.norm());
    CHECK(f.last_prox_status() == Status::converged);
    CHECK(subgradient_violation(f, v, tau, p) <= (std::is_same_v<T, float> ? 1e-3 : 1e-8));
    // by reference
    auto fr = LeastSquares(std::cref(A), y);
    CHECK(fr.value(x) == f.value(x));
    // errors name the argument
    CHECK_THROWS_WITH(f.prox(v, T(0), p), Catch::Contains("tau"));
    CHECK_THROWS_WITH(f.prox(v, T(-1), p), Catch::Contains("tau"));
    CHECK_THROWS_AS(LeastSquares(A, VectorX<T>(VectorX<T>::Zero(24))), ShapeError);
    VectorX<T> bad = y;
    bad(2) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(LeastSquares(A, bad), Catch::Contains("'y'"));
}

namespace {
// A periodic blur given by its Fourier symbol, with a known gram spectrum.
template <class T>
ops::SpectralOperator<T> periodic_blur(std::size_t h, std::size_t w) {
    auto s = Spectrum<T>::zeros(Transform::fourier, {h, w});
    const double pi = 3.14159265358979323846;
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w / 2 + 1; ++j) {
            const double fy = 0.5 + 0.5 * std::cos(2 * pi * double(i) / double(h));
            const double fx = 0.5 + 0.5 * std::cos(2 * pi * double(j) / double(w));
            s.values(0, i, j) = std::complex<T>(T(fy * fx), T(0));
        }
    return ops::SpectralOperator<T>(s, {h, w});
}
}  // namespace

TEMPLATE_TEST_CASE("LeastSquares prox: spectral closed form equals warm-started CG", "[functionals][least_squares]", float, double) {
    using T = TestType;
    const std::size_t h = 16, w = 12;
    auto A = periodic_blur<T>(h, w);
    const auto y = random_image<T>(h, w, 9);
    LeastSquares spectral(A, y);
    LeastSquares cg(A, y, QuadraticProxParams{.cg_max_iter = 500, .cg_tol = 1e-12, .use_spectrum = false});
    CHECK(spectral.closed_form_prox());
    CHECK_FALSE(cg.closed_form_prox());
    CHECK(double(*lipschitz_constant(spectral)) == Approx(1.0).epsilon(1e-6));  // max |Â|² = 1 at DC
    const auto v = random_image<T>(h, w, 10);
    Image<T> p1 = zeros_like(v), p2 = zeros_like(v);
    for (T tau : {T(0.1), T(2), T(50)}) {
        spectral.prox(v, tau, p1);
        cg.prox(v, tau, p2);
        CHECK(distance(p1, p2) <= (std::is_same_v<T, float> ? 1e-4 : 1e-9) * norm(p1));
        CHECK(subgradient_violation(spectral, v, tau, p1) <= (std::is_same_v<T, float> ? 1e-3 : 1e-9));
    }
    // in place
    Image<T> q = v;
    spectral.prox(q, T(2), q);
    spectral.prox(v, T(2), p1);
    CHECK(distance(q, p1) <= 1e-12 + 1e-6 * norm(p1));
}

TEMPLATE_TEST_CASE("LeastSquares gradient: the one-pair gram route equals A^T(Ax - y)", "[functionals][least_squares]", float, double) {
    using T = TestType;
    const std::size_t h = 40, w = 36;
    // periodic blur on its FFT path: the gradient goes through the gram symbol (one FFT pair)
    ops::Convolution<T> A(kernels::gaussian<T>(1.7, 1.1, 0.3), {h, w}, Boundary::periodic,
                          {.method = ops::ConvolutionMethod::fft});
    ops::Convolution<T> A_direct(A.kernel(), {h, w}, Boundary::periodic, {.method = ops::ConvolutionMethod::direct});
    const auto y = random_image<T>(h, w, 21);
    const auto x = random_image<T>(h, w, 22);
    Image<T> r = zeros_like(y), expected = zeros_like(x);
    A_direct.apply(x, r);  // spatial sums: independent of both FFT routes
    axpy(T(-1), y, r);
    A_direct.apply_adjoint(r, expected);
    const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
    LeastSquares f(A, y);
    Image<T> g = zeros_like(x);
    for (int call = 0; call < 2; ++call) {  // the second call reuses the route's buffers
        f.gradient(x, g);
        CHECK(distance(g, expected) <= tol * norm(expected));
    }
    ScaledFunctional scaled(T(0.37), LeastSquares(A, y));
    scaled.gradient(x, g);
    Image<T> want = expected;
    scale(T(0.37), want);
    CHECK(distance(g, want) <= tol * norm(want));
    // the same with the spectrum switched off (two applies)
    LeastSquares two(A, y, QuadraticProxParams{.use_spectrum = false});
    Image<T> g2 = zeros_like(x);
    two.gradient(x, g2);
    CHECK(distance(g2, expected) <= tol * norm(expected));
}

TEMPLATE_TEST_CASE("Tikhonov through an operator: closed form and CG", "[functionals][tikhonov]", float, double) {
    using T = TestType;
    using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    // D = first differences (10 → 9)
    M d = M::Zero(9, 10);
    for (int i = 0; i < 9; ++i) { d(i, i) = -1; d(i, i + 1) = 1; }
    ops::MatrixOperator<M> D(d);
    const auto x0 = random_vector<T>(10, 1);
    Tikhonov tk(D, T(2.5), x0);
    const auto v = random_vector<T>(10, 2);
    VectorX<T> p(10);
    tk.prox(v, T(0.4), p);
    const M sys = M::Identity(10, 10) + T(0.4 * 2.5) * d.transpose() * d;
    const VectorX<T> exact = sys.ldlt().solve(v + T(0.4 * 2.5) * d.transpose() * d * x0);
    CHECK((p - exact).norm() <= (std::is_same_v<T, float> ? 1e-4 : 1e-9) * exact.norm());
    CHECK(double(tk.value(x0)) == Approx(0).margin(1e-6));
    check_gradient(tk, v, 3, std::is_same_v<T, float> ? 2e-2 : 1e-6);
    CHECK_THROWS_WITH(Tikhonov(D, T(-1)), Catch::Contains("argument 'lambda'"));
    // on images with a spectral operator: exact
    auto B = periodic_blur<T>(8, 8);
    Tikhonov tb(B, T(1));
    CHECK(tb.closed_form_prox());
}

TEMPLATE_TEST_CASE("combinators: sum, scaling, translation, separable sum, Moreau envelope", "[functionals][algebra]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    const auto x = random_vector<T>(12, 41, 1.5);
    VectorX<T> a(12), b(12);
    // sum: values add, gradient adds, lipschitz adds; the terms stay reachable
    auto s = Huber<T>(T(0.5)) + SquaredL2<T>(T(2)) + L1<T>(T(0.1));
    static_assert(is_functional_sum_v<decltype(s)> && decltype(s)::size == 3);
    CHECK(double(s.value(x)) == Approx(double(Huber<T>(T(0.5)).value(x) + SquaredL2<T>(T(2)).value(x) + L1<T>(T(0.1)).value(x))));
    static_assert(!Differentiable<decltype(s), VectorX<T>>);
    static_assert(!Proximable<decltype(s), VectorX<T>>);
    // g + ½λ‖·‖² has an exact prox: L1 + SquaredL2 is the elastic net
    auto en = L1<T>(T(0.4)) + SquaredL2<T>(T(1.5));
    static_assert(Proximable<decltype(en), VectorX<T>>);
    en.prox(x, T(0.7), a);
    ElasticNet<T>(T(0.4), T(1.5)).prox(x, T(0.7), b);
    CHECK((a - b).norm() <= tol * 10);
    const auto c0 = random_vector<T>(12, 43);
    auto enc = L1<T>(T(0.4)) + SquaredL2(T(1.5), c0);
    enc.prox(x, T(0.7), a);
    CHECK(prox_test(enc, x, T(0.7)).violation <= (std::is_same_v<T, float> ? 1e-4 : 1e-10));
    auto smooth = Huber<T>(T(0.5)) + SquaredL2<T>(T(2));
    CHECK(*smooth.lipschitz() == Approx(4.0));
    CHECK(s.template term<2>().lambda() == T(0.1));
    // scaling: prox of αf is prox of f with ατ
    auto sc = T(3) * L1<T>(T(0.5));
    sc.prox(x, T(0.2), a);
    L1<T>(T(0.5)).prox(x, T(0.6), b);
    CHECK((a - b).norm() <= tol);
    CHECK(double(sc.value(x)) == Approx(1.5 * double(x.cwiseAbs().sum())));
    // translation: ball around c
    const auto c = random_vector<T>(12, 42);
    auto ball = translate(L2Ball<T>(T(0.5), T(0)), c);
    ball.prox(x, T(1), a);
    CHECK(double((a - c).norm()) == Approx(0.5).epsilon(1e-5));
    CHECK(subgradient_violation(ball, x, T(1), a) <= tol * 10);
    // separable sum on a product space
    auto sep = separable_sum(L1<T>(T(1)), SquaredL2<T>(T(1)));
    std::tuple<VectorX<T>, VectorX<T>> v2{x, x}, o2{a, b};
    sep.prox(v2, T(0.5), o2);
    CHECK(std::get<0>(o2)(0) == detail::soft_threshold(x(0), T(0.5)));
    CHECK(std::get<1>(o2)(0) == Approx(x(0) / T(1.5)));
    // Moreau envelope of λ|·| is λ·Huber with δ = μ/... : M_μ(λ|·|)(x) = λ H_{μλ}(x)·… checked exactly:
    // M_μ(λ|t|) = t²/(2μ) if |t| ≤ μλ, λ|t| − μλ²/2 otherwise = λ·H_δ(t) with δ = μλ.
    const T lam = T(0.8), mu = T(0.5);
    auto env = moreau_envelope(L1<T>(lam), mu);
    Huber<T> hub(mu * lam, lam);
    CHECK(double(env.value(x)) == Approx(double(hub.value(x))).epsilon(1e-5));
    env.gradient(x, a);
    hub.gradient(x, b);
    CHECK((a - b).norm() <= tol * 10 * (1 + b.norm()));
    env.prox(x, T(0.7), a);
    hub.prox(x, T(0.7), b);
    CHECK((a - b).norm() <= tol * 10 * (1 + b.norm()));
    CHECK(env.lipschitz() == T(2));
}

TEST_CASE("shape mismatches, NaN and extreme magnitudes: errors or honest values, never silent garbage",
          "[functionals][errors]") {
    // WeightedSquaredError's value and gradient read and wrote past their buffers
    Image<double> w({2, 2}, 1.0), y({2, 2}, 0.0), big({4, 4}, 1.0), tiny({1, 1});
    WeightedSquaredError<Image<double>> f(w, y);
    CHECK_THROWS_AS(f.value(big), ShapeError);
    CHECK_THROWS_WITH(f.value(big), Catch::Contains("'x'"));
    CHECK_THROWS_WITH(f.gradient(big, w), Catch::Contains("'x'"));
    CHECK_THROWS_WITH(f.gradient(y, tiny), Catch::Contains("'g'"));
    // L21Norm's dual projection (PDHG's prox of f*) wrote v.size() elements into any out
    xt::xtensor<double, 3> p({2, 8, 8}, 3.0), o({2, 1, 1});
    L21Norm<double> l21(1.0);
    CHECK_THROWS_AS(l21.prox_conjugate(p, 1.0, o), ShapeError);
    CHECK_THROWS_WITH(l21.project_dual(p, o), Catch::Contains("'out'"));
    xt::xtensor<double, 3> q = xt::zeros<double>({2, 8, 8});
    CHECK_THROWS_WITH(l21.project_dual(p, q, -1.0), Catch::Contains("'radius'"));
    l21.project_dual(p, q, 0.5);  // |(3, 3)| = 3√2 → radius 0.5
    CHECK(q(0, 4, 4) == Approx(0.5 / std::sqrt(2.0)));
    // Tikhonov names its own parameter
    ops::Gradient<double> D({4, 4}, Boundary::reflect);
    CHECK_THROWS_WITH(Tikhonov(D, -1.0), Catch::Contains("argument 'lambda'"));

    // NaN: ‖·‖∞ and the l-infinity ball see it (std::max skipped it), Huber's gradient is NaN
    // in every lane, not −λ in the scalar tail
    Image<double> nan_image({2, 2}, 0.5);
    nan_image(1, 0) = std::nan("");
    CHECK(std::isnan(norm_inf(nan_image)));
    CHECK(std::isinf(LInfBall<double>(1).value(nan_image)));
    for (int n : {1, 3, 9, 17}) {
        VectorX<double> v = VectorX<double>::Zero(n), g(n);
        v(n - 1) = std::nan("");
        Huber<double>(0.5, 2.0).gradient(v, g);
        CAPTURE(n);
        CHECK(std::isnan(g(n - 1)));
    }
    // entries far larger than the radius: shifting by the maximum keeps z in the sums
    VectorX<float> huge(3), onto(3);
    huge << 1e30f, 1e30f, -1e30f;
    Simplex<float>(1).project(huge, onto);
    CHECK(onto(0) == Approx(0.5f));
    CHECK(onto(1) == Approx(0.5f));
    CHECK(onto(2) == 0.0f);
    huge << std::numeric_limits<float>::infinity(), 0.f, 0.f;
    Simplex<float>(1).project(huge, onto);
    CHECK(onto.array().isNaN().all());
    // ‖v‖² above FLT_MAX: the float L2-ball projection and the norm stay exact
    VectorX<float> far(4), proj(4);
    far << 3e19f, 4e19f, 0.f, 0.f;
    CHECK(norm(far) == Approx(5e19f));
    L2Ball<float>(1).project(far, proj);
    CHECK(proj(0) == Approx(0.6f));
    CHECK(proj(1) == Approx(0.8f));
    // a mean over no pixels is refused, not 0/0
    Image<float> none({0, 0});
    CHECK_THROWS_WITH(learning::l2_loss(none, none), Catch::Contains("'x'") && Catch::Contains("non-empty"));
    CHECK_THROWS_WITH(learning::l1_loss(none, none), Catch::Contains("'x'") && Catch::Contains("non-empty"));
}

TEST_CASE("functionals reject bad parameters with the argument's name", "[functionals][errors]") {
    CHECK_THROWS_WITH(L1<double>(0), Catch::Contains("lambda"));
    CHECK_THROWS_WITH(L1<double>(-1), Catch::Contains("lambda"));
    CHECK_THROWS_WITH(L1<double>(std::nan("")), Catch::Contains("lambda"));
    CHECK_THROWS_WITH(ElasticNet<double>(1, 0), Catch::Contains("lambda2"));
    CHECK_THROWS_WITH(Huber<double>(-1), Catch::Contains("delta"));
    CHECK_THROWS_WITH(SquaredL2<double>(0), Catch::Contains("lambda"));
    CHECK_THROWS_WITH(Box<double>(1, 0), Catch::Contains("upper"));
    CHECK_THROWS_WITH(Simplex<double>(0), Catch::Contains("radius"));
    CHECK_THROWS_WITH(L2Ball<double>(-2), Catch::Contains("radius"));
    CHECK_THROWS_WITH(moreau_envelope(L1<double>(1), 0.0), Catch::Contains("mu"));
    CHECK_THROWS_WITH((-3.0) * L1<double>(1), Catch::Contains("alpha"));
    Eigen::VectorXd w = Eigen::VectorXd::Ones(3);
    w(1) = -1;
    CHECK_THROWS_WITH(WeightedL1<Eigen::VectorXd>(w), Catch::Contains("weights"));
    CHECK_THROWS_WITH(WeightedL1<Eigen::VectorXd>(Eigen::VectorXd()), Catch::Contains("'weights'") && Catch::Contains("non-empty"));
    Eigen::VectorXd v = Eigen::VectorXd::Ones(3), out(4);
    CHECK_THROWS_WITH(L1<double>(1).prox(v, 0.0, v), Catch::Contains("tau"));
    CHECK_THROWS_WITH(L1<double>(1).prox(v, std::numeric_limits<double>::infinity(), v), Catch::Contains("tau"));
    CHECK_THROWS_AS(L1<double>(1).prox(v, 1.0, out), ShapeError);
    CHECK_THROWS_WITH(L1<double>(1).prox(v, 1.0, out), Catch::Contains("out"));
}

TEMPLATE_TEST_CASE("public checkers: prox_test and gradient_test", "[functionals][checkers]", float, double) {
    using T = TestType;
    const auto v = random_vector<T>(25, 61, 1.5);
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    auto r = prox_test(L1<T>(T(0.3)), v, T(0.8));
    CHECK(r.violation <= tol);
    CHECK(r.finite_trials == 200);
    CHECK(prox_test(Huber<T>(T(0.2)), v, T(0.8)).violation <= tol);
    CHECK(prox_test(Box<T>(T(-0.5), T(0.5), T(0)), v, T(0.8)).violation <= tol);
    // a wrong prox fails: the prox of L1 with λ = 0.15 checked against λ = 0.3
    struct WrongL1 {
        using scalar_type [[maybe_unused]] = T;
        T value(const VectorX<T>& x) const { return L1<T>(T(0.3)).value(x); }
        void prox(const VectorX<T>& a, T tau, VectorX<T>& b) const { L1<T>(T(0.15)).prox(a, tau, b); }
    };
    CHECK(prox_test(WrongL1{}, v, T(0.8)).violation > 1e-3);
    CHECK(gradient_test(Huber<T>(T(0.5), T(2)), v) <= (std::is_same_v<T, float> ? 2e-2 : 1e-6));
    struct WrongGrad {
        using scalar_type [[maybe_unused]] = T;
        T value(const VectorX<T>& x) const { return squared_norm(x); }
        void gradient(const VectorX<T>& x, VectorX<T>& g) const { g = x; }  // should be 2x
    };
    CHECK(gradient_test(WrongGrad{}, v) > 0.1);
}
