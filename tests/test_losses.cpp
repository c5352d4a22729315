// Losses: L2/L1 pixel losses, 1-D Wasserstein, Projected Distribution Loss.
#include <catch2/catch.hpp>

#include <random>

#include "lucid/lucid.hpp"
#include "lucid/learning/losses.hpp"
#include "support/allocation_counter.hpp"
#include "support/peers.hpp"

using namespace lucid;
using namespace lucid::learning;

namespace {

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed, double lo = 0, double hi = 1) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

/// max |g − finite-difference gradient| over a few coordinates, relative to max |g|.
template <class F>
double fd_error(F&& f, const Image<double>& x, const Image<double>& g, double h = 1e-6) {
    double worst = 0, scale = 1e-300;
    for (auto v : g) scale = std::max(scale, std::abs(v));
    std::mt19937 rng(4);
    for (int k = 0; k < 25; ++k) {
        const std::size_t i = rng() % x.size();
        Image<double> xp = x, xm = x;
        xp.data()[i] += h;
        xm.data()[i] -= h;
        const double fd = (f(xp) - f(xm)) / (2 * h);
        worst = std::max(worst, std::abs(fd - g.data()[i]));
    }
    return worst / scale;
}

}  // namespace

TEMPLATE_TEST_CASE("l2_loss and l1_loss: values and gradients", "[losses]", float, double) {
    using T = TestType;
    Image<T> x = {{1, 2}, {3, 4}}, t = {{0, 2}, {5, 1}}, g(x.shape());
    CHECK(double(l2_loss(x, t, &g)) == Approx((1.0 + 0 + 4 + 9) / 4));
    CHECK(g(0, 0) == Approx(2.0 * 1 / 4));
    CHECK(g(1, 0) == Approx(2.0 * -2 / 4));
    CHECK(double(l1_loss(x, t, &g)) == Approx((1.0 + 0 + 2 + 3) / 4));
    CHECK(g(0, 0) == Approx(0.25));
    CHECK(g(0, 1) == T(0));
    CHECK(g(1, 0) == Approx(-0.25));
    Image<T> wrong({2, 3});
    CHECK_THROWS_WITH(l2_loss(x, wrong), Catch::Contains("'target'"));
    CHECK_THROWS_WITH(l1_loss(x, wrong), Catch::Contains("'target'"));
}

TEST_CASE("l2/l1 gradients match finite differences", "[losses][gradient]") {
    const auto x = random_image<double>(7, 9, 1), t = random_image<double>(7, 9, 2);
    Image<double> g(x.shape());
    l2_loss(x, t, &g);
    CHECK(fd_error([&](const Image<double>& z) { return l2_loss(z, t); }, x, g) < 1e-6);
    l1_loss(x, t, &g);
    CHECK(fd_error([&](const Image<double>& z) { return l1_loss(z, t); }, x, g) < 1e-6);
}

TEST_CASE("1-D Wasserstein distance: closed forms", "[losses][wasserstein]") {
    // a shifted copy: W1 = |c|, W2^2 = c^2, whatever the order of the samples
    std::vector<double> a = {0.3, -1.0, 2.5, 0.0, 7.0}, b;
    for (double v : a) b.push_back(v + 1.5);
    std::reverse(b.begin(), b.end());
    CHECK(wasserstein_1d<double>(a, b, 1) == Approx(1.5));
    CHECK(wasserstein_1d<double>(a, b, 2) == Approx(2.25));
    // {0,0,1} vs {0,1,1}: only the middle order statistics differ, by 1
    std::vector<double> p = {1, 0, 0}, q = {1, 0, 1};
    CHECK(wasserstein_1d<double>(p, q, 1) == Approx(1.0 / 3));
    // uniform grids i/n and (i+1/2)/n: every order statistic differs by 1/(2n)
    std::vector<double> u, v;
    for (int i = 0; i < 100; ++i) {
        u.push_back(i / 100.0);
        v.push_back((i + 0.5) / 100.0);
    }
    std::shuffle(v.begin(), v.end(), std::mt19937(3));
    CHECK(wasserstein_1d<double>(u, v, 1) == Approx(0.005));
    CHECK(wasserstein_1d<double>(u, u, 1) == 0.0);
    CHECK_THROWS_WITH(wasserstein_1d<double>(u, std::vector<double>(3), 1), Catch::Contains("'b'"));
    CHECK_THROWS_WITH(wasserstein_1d<double>(u, v, 3), Catch::Contains("'p'"));
}

TEST_CASE("1-D Wasserstein distance and PDL of samples with NaN are NaN (no sort of NaN)", "[losses][wasserstein]") {
    // std::sort with NaN is undefined behaviour; NaN input gives a NaN distance and gradient.
    std::vector<double> a(3000), b(3000), grad(3000, 0.0);
    for (std::size_t i = 0; i < a.size(); ++i) {
        a[i] = std::sin(0.37 * double(i));
        b[i] = std::cos(0.11 * double(i));
    }
    std::vector<std::size_t> oa(a.size()), ob(b.size());
    CHECK(std::isfinite(wasserstein_1d<double>(a, b, 1, grad, oa, ob)));
    for (std::size_t i = 0; i < a.size(); i += 5) a[i] = std::nan("");
    CHECK(std::isnan(wasserstein_1d<double>(a, b, 2, grad, oa, ob)));
    CHECK(std::all_of(grad.begin(), grad.end(), [](double g) { return std::isnan(g); }));
    CHECK(std::isnan(wasserstein_1d<double>(b, a, 1)));
    // the PDL of an image with NaN
    auto x = random_image<double>(16, 16, 7);
    const auto t = random_image<double>(16, 16, 8);
    x(3, 4) = std::nan("");
    ProjectedDistributionLoss<double> bank;
    CHECK(std::isnan(bank.value(x, t)));
}

TEST_CASE("1-D Wasserstein distance equals scipy.stats.wasserstein_distance", "[losses][wasserstein][peer]") {
    if (!test::python_has("scipy")) {
        WARN("skipped: scipy not available");
        return;
    }
    const auto a = random_image<double>(1, 200, 5, -1, 2), b = random_image<double>(1, 200, 6, 0, 1);
    test::write_npy(test::scratch_dir() / "wa.npy", a);
    test::write_npy(test::scratch_dir() / "wb.npy", b);
    const auto out = test::run_python_code(
        "import sys, numpy as np\nfrom scipy.stats import wasserstein_distance\n"
        "a=np.load(sys.argv[1]).ravel(); b=np.load(sys.argv[2]).ravel()\nprint(repr(wasserstein_distance(a,b)))\n",
        {(test::scratch_dir() / "wa.npy").string(), (test::scratch_dir() / "wb.npy").string()});
    const double scipy = std::stod(out);
    CHECK(wasserstein_1d<double>(std::span<const double>(a.data(), a.size()), std::span<const double>(b.data(), b.size()),
                                 1) == Approx(scipy).epsilon(1e-12));
}

TEST_CASE("PDL on pixels is invariant to pixel permutations; L2 is not", "[losses][pdl]") {
    const auto x = random_image<double>(16, 16, 7), t = random_image<double>(16, 16, 8);
    Image<double> xp = x;
    std::shuffle(xp.begin(), xp.end(), std::mt19937(9));
    ProjectedDistributionLoss<double> pdl(FilterBank<double>::pixels());
    CHECK(pdl.value(xp, t) == Approx(pdl.value(x, t)).epsilon(1e-14));
    CHECK(pdl.value(xp, x) == Approx(0.0).margin(1e-15));
    CHECK(l2_loss(xp, x) > 0.01);
    // for pixels the PDL is the 1-D Wasserstein distance of the two histograms
    CHECK(pdl.value(x, t) == Approx(wasserstein_1d<double>(std::span<const double>(x.data(), x.size()),
                                                           std::span<const double>(t.data(), t.size()), 1)));
    // a constant offset c: PDL = c on pixels, 0 on the derivative channels
    Image<double> xs = x + 0.25;
    ProjectedDistributionLoss<double> bank;
    CHECK(bank.value(xs, x) == Approx(0.25 / 6));
    Image<double> g(x.shape());
    CHECK_THROWS_WITH(pdl.value(x, Image<double>({16, 15})), Catch::Contains("'target'"));
    Image<double> small({3, 3});
    CHECK_THROWS_WITH(pdl.value_and_gradient(x, t, small), Catch::Contains("'grad'"));
}

TEST_CASE("PDL gradients match finite differences (pixels, filter bank, CNN features, p = 1, 2)",
          "[losses][pdl][gradient]") {
    const auto x = random_image<double>(12, 13, 11), t = random_image<double>(12, 13, 12);
    Image<double> g(x.shape());
    std::vector<std::pair<const char*, ProjectedDistributionLoss<double>>> cases;
    cases.emplace_back("pixels p=1", ProjectedDistributionLoss<double>(FilterBank<double>::pixels(), 1));
    cases.emplace_back("bank p=1", ProjectedDistributionLoss<double>(FilterBank<double>::gradients_and_haar(), 1));
    cases.emplace_back("bank p=2", ProjectedDistributionLoss<double>(FilterBank<double>::gradients_and_haar(), 2));
    const auto model = denoisers::CnnModel::read(test::source_path("tests/data/cnn/tiny.lcnn"));
    cases.emplace_back("cnn p=2", ProjectedDistributionLoss<double>(FilterBank<double>::cnn_first_layer(model), 2));
    for (auto& [name, loss] : cases) {
        INFO(name);
        loss.value_and_gradient(x, t, g);
        CHECK(fd_error([&](const Image<double>& z) { return loss.value(z, t); }, x, g, 1e-7) < 1e-5);
    }
}

TEST_CASE("PDL value_and_gradient is repeatable with reused workspaces", "[losses][pdl]") {
    ProjectedDistributionLoss<float> pdl;
    const auto x = random_image<float>(20, 20, 1), t = random_image<float>(20, 20, 2);
    Image<float> g(x.shape());
    const float v1 = pdl.value_and_gradient(x, t, g);
    const float v2 = pdl.value_and_gradient(x, t, g);
    CHECK(v1 == v2);
    // and allocates nothing once the workspaces have this shape (before: 12 per call,
    // from error messages built before their checks)
    CHECK(lucid::test::allocations_during([&] { pdl.value(x, t); }) == 0);
    CHECK(lucid::test::allocations_during([&] { pdl.value_and_gradient(x, t, g); }) == 0);
    std::vector<float> a(50, 1.f), b(50, 2.f), grad(50);
    std::vector<std::size_t> oa(50), ob(50);
    CHECK(lucid::test::allocations_during([&] {
              lucid::learning::wasserstein_1d<float>(a, b, 2, grad, oa, ob);
          }) == 0);
    // a short scratch is named as the one that is short
    std::vector<std::size_t> short_b(10);
    CHECK_THROWS_WITH(lucid::learning::wasserstein_1d<float>(a, b, 2, grad, oa, short_b),
                      Catch::Contains("'order_b'") && Catch::Contains("at least 50"));
}
