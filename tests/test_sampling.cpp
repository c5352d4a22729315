// Sampling operators: Mask (inpainting) and Decimation (super-resolution).
#include <catch2/catch.hpp>

#include <random>

#include <xtensor/xview.hpp>

#include "lucid/lucid.hpp"
#include "lucid/ops/decimation.hpp"
#include "lucid/ops/mask.hpp"

using namespace lucid;

namespace {

template <class T, std::size_t N>
xt::xtensor<T, N> random_array(const std::array<std::size_t, N>& shape, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    xt::xtensor<T, N> x(shape);
    for (auto& v : x) v = T(u(rng));
    return x;
}

template <class T, std::size_t N>
xt::xtensor<T, N> random_mask(const std::array<std::size_t, N>& shape, unsigned seed, double p = 0.6) {
    std::mt19937 rng(seed);
    std::bernoulli_distribution b(p);
    xt::xtensor<T, N> m(shape);
    for (auto& v : m) v = b(rng) ? T(1) : T(0);
    return m;
}

template <class T>
double tol() { return std::is_same_v<T, float> ? 1e-5 : 1e-12; }

}  // namespace

TEMPLATE_TEST_CASE("Mask keeps observed pixels and zeroes the others", "[sampling][mask]", float, double) {
    using T = TestType;
    const auto m = random_mask<T, 2>({9, 14}, 1);
    const auto x = random_array<T, 2>({9, 14}, 2);
    ops::Mask<T> M(m);
    const auto y = M(x);
    std::size_t observed = 0;
    for (std::size_t i = 0; i < 9; ++i)
        for (std::size_t j = 0; j < 14; ++j) {
            CHECK(y(i, j) == (m(i, j) == T(1) ? x(i, j) : T(0)));
            observed += m(i, j) == T(1);
        }
    CHECK(M.observed_count() == observed);
    CHECK(distance(M(y), y) == 0);  // idempotent
    CHECK(distance(M.adjoint_of(x), y) == 0);  // self-adjoint
    CHECK(adjoint_test(M, 3).relative_error < tol<T>());
    // from a boolean mask
    xt::xtensor<bool, 2> mb(m.shape());
    for (std::size_t i = 0; i < m.size(); ++i) mb.data()[i] = m.data()[i] != T(0);
    CHECK(distance(ops::Mask<T>(mb)(x), y) == 0);
    // stacks: a full mask, or one plane mask shared by every channel
    const auto x3 = random_array<T, 3>({3, 9, 14}, 4);
    ops::Mask<T, 3> M3(m, 3);
    CHECK(M3.observed_count() == 3 * observed);
    const auto y3 = M3(x3);
    for (std::size_t c = 0; c < 3; ++c)
        for (std::size_t i = 0; i < 9; ++i)
            for (std::size_t j = 0; j < 14; ++j) CHECK(y3(c, i, j) == m(i, j) * x3(c, i, j));
    CHECK(adjoint_test(M3, 5).relative_error < tol<T>());
    ops::Mask<T, 3> Mfull(random_mask<T, 3>({3, 9, 14}, 6));
    CHECK(adjoint_test(Mfull, 7).relative_error < tol<T>());
    // ‖M‖ = 1
    CHECK(double(operator_norm(M, {.max_iter = 50})) == Approx(1.0).epsilon(1e-6));
}

TEST_CASE("Mask rejects bad masks and shapes", "[sampling][mask][errors]") {
    Image<double> m = xt::ones<double>({4, 5});
    m(1, 2) = 0.5;
    CHECK_THROWS_WITH(ops::Mask<double>(m), Catch::Contains("'mask'") && Catch::Contains("0 or 1") &&
                                                Catch::Contains("0.5") && Catch::Contains("index 7"));
    m(1, 2) = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_WITH(ops::Mask<double>(m), Catch::Contains("'mask'"));
    m(1, 2) = -1;
    CHECK_THROWS_AS(ops::Mask<double>(m), Error);
    CHECK_THROWS_WITH(ops::Mask<float>(Image<float>({0, 3})), Catch::Contains("'mask'") && Catch::Contains("non-empty"));
    CHECK_THROWS_WITH((ops::Mask<double, 3>(Image<double>(xt::ones<double>({2, 2})), 0)), Catch::Contains("'channels'"));
    ops::Mask<double> M(Image<double>(xt::ones<double>({4, 5})));
    Image<double> good({4, 5}), bad({5, 4});
    CHECK_THROWS_WITH(M.apply(bad, good), Catch::Contains("'x'") && Catch::Contains("4x5"));
    CHECK_THROWS_AS(M.apply(good, bad), ShapeError);
    CHECK_THROWS_AS(M.apply_adjoint(bad, good), ShapeError);
}

TEMPLATE_TEST_CASE("Decimation: block means or subsampling, computed by brute force", "[sampling][decimation]", float,
                   double) {
    using T = TestType;
    for (int f : {1, 2, 3, 5}) {
        const std::size_t H = 30, W = 60;
        const auto x = random_array<T, 2>({H, W}, unsigned(f));
        ops::Decimation<T> box({H, W}, f);
        ops::Decimation<T> sub({H, W}, f, false);
        CHECK(box.antialias());
        CHECK_FALSE(sub.antialias());
        CHECK(box.range_shape() == Shape<2>{H / std::size_t(f), W / std::size_t(f)});
        const auto yb = box(x), ys = sub(x);
        double err = 0;
        for (std::size_t i = 0; i < H / std::size_t(f); ++i)
            for (std::size_t j = 0; j < W / std::size_t(f); ++j) {
                double mean = 0;
                for (int a = 0; a < f; ++a)
                    for (int b = 0; b < f; ++b) mean += double(x(std::size_t(f) * i + std::size_t(a), std::size_t(f) * j + std::size_t(b)));
                mean /= f * f;
                err = std::max(err, std::abs(double(yb(i, j)) - mean));
                CHECK(ys(i, j) == x(std::size_t(f) * i, std::size_t(f) * j));
            }
        CHECK(err < tol<T>());
        CHECK(adjoint_test(box, 1).relative_error < tol<T>());
        CHECK(adjoint_test(sub, 2).relative_error < tol<T>());
        // adjoints: replicate/f² and zero-filling; S Sᵀ = I/f² and I
        const auto y = random_array<T, 2>(box.range_shape(), 9);
        const auto ub = box.adjoint_of(y), us = sub.adjoint_of(y);
        for (std::size_t r = 0; r < H; ++r)
            for (std::size_t c = 0; c < W; ++c) {
                const T v = y(r / std::size_t(f), c / std::size_t(f));
                CHECK(double(ub(r, c)) == Approx(double(v) / (f * f)).margin(tol<T>()));
                CHECK(us(r, c) == ((r % std::size_t(f) == 0 && c % std::size_t(f) == 0) ? v : T(0)));
            }
        Image<T> y_over = y / T(f * f);
        CHECK(distance(box(ub), y_over) <= tol<T>() * norm(y));
        CHECK(distance(sub(us), y) == 0);
        if (f == 1) {
            CHECK(distance(yb, x) == 0);
            CHECK(distance(ys, x) == 0);
        }
    }
}

TEMPLATE_TEST_CASE("Decimation on stacks and inside compositions", "[sampling][decimation]", float, double) {
    using T = TestType;
    const auto x = random_array<T, 3>({3, 12, 16}, 11);
    for (bool aa : {true, false}) {
        ops::Decimation<T, 3> S({3, 12, 16}, 4, aa);
        CHECK(S.range_shape() == Shape<3>{3, 3, 4});
        ops::Decimation<T> S2({12, 16}, 4, aa);
        const auto y = S(x);
        for (std::size_t c = 0; c < 3; ++c) {
            Image<T> plane = xt::view(x, c);
            const auto y2 = S2(plane);
            for (std::size_t i = 0; i < 3; ++i)
                for (std::size_t j = 0; j < 4; ++j) CHECK(y(c, i, j) == y2(i, j));
        }
        CHECK(adjoint_test(S, 3).relative_error < tol<T>());
    }
    // blur-then-decimate, the super-resolution forward model, with a periodic blur symbol
    const std::size_t h = 16, w = 12;
    auto s = Spectrum<T>::zeros(Transform::fourier, {h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w / 2 + 1; ++j)
            s.values(0, i, j) = T((0.5 + 0.5 * std::cos(2 * 3.14159265358979 * double(i) / double(h))) *
                                  (0.5 + 0.5 * std::cos(2 * 3.14159265358979 * double(j) / double(w))));
    auto A = compose(ops::Decimation<T>({h, w}, 2, false), ops::SpectralOperator<T>(s, {h, w}));
    CHECK(adjoint_test(A, 4).relative_error < tol<T>());
}

TEST_CASE("Decimation rejects bad factors and shapes", "[sampling][decimation][errors]") {
    CHECK_THROWS_WITH(ops::Decimation<double>({8, 8}, 0), Catch::Contains("'factor'") && Catch::Contains(">= 1"));
    CHECK_THROWS_WITH(ops::Decimation<double>({8, 8}, -3), Catch::Contains("'factor'") && Catch::Contains("-3"));
    CHECK_THROWS_WITH(ops::Decimation<double>({9, 8}, 2),
                      Catch::Contains("'factor'") && Catch::Contains("divisor") && Catch::Contains("9x8"));
    CHECK_THROWS_WITH((ops::Decimation<float, 3>({3, 8, 10}, 4, false)), Catch::Contains("'factor'") && Catch::Contains("3x8x10"));
    CHECK_THROWS_WITH(ops::Decimation<double>({0, 8}, 1), Catch::Contains("'shape'"));
    ops::Decimation<double> S({8, 8}, 2);
    Image<double> x({8, 8}), y({4, 4}), bad({4, 5});
    CHECK_THROWS_WITH(S.apply(x, bad), Catch::Contains("'y'") && Catch::Contains("4x4"));
    CHECK_THROWS_WITH(S.apply(y, y), Catch::Contains("'x'") && Catch::Contains("8x8"));
    CHECK_THROWS_AS(S.apply_adjoint(bad, x), ShapeError);
}
