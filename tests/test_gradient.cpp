// Finite differences: Gradient, Divergence, Laplacian — brute force, adjoints, spectra, errors.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <random>
#include <xtensor/xview.hpp>

#include "lucid/lucid.hpp"
#include "lucid/ops/divergence.hpp"
#include "lucid/ops/gradient.hpp"
#include "lucid/ops/laplacian.hpp"

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

template <class T>
double tol() { return std::is_same_v<T, float> ? 1e-5 : 1e-12; }

// Brute-force ∂x, ∂y of one plane, written from the definition with explicit index rules.
template <class T>
double dx_ref(const xt::xtensor<T, 2>& x, std::size_t i, std::size_t j, bool periodic) {
    const std::size_t w = x.shape()[1];
    if (j + 1 < w) return double(x(i, j + 1)) - double(x(i, j));
    return periodic ? double(x(i, 0)) - double(x(i, j)) : 0.0;
}
template <class T>
double dy_ref(const xt::xtensor<T, 2>& x, std::size_t i, std::size_t j, bool periodic) {
    const std::size_t h = x.shape()[0];
    if (i + 1 < h) return double(x(i + 1, j)) - double(x(i, j));
    return periodic ? double(x(0, j)) - double(x(i, j)) : 0.0;
}

// The dense matrix of an operator from images to images/fields (column k = A e_k).
template <class Op>
Eigen::MatrixXd dense(const Op& A) {
    auto x = make_domain(A);
    auto y = make_range(A);
    const std::size_t n = element_count(x), m = element_count(y);
    Eigen::MatrixXd M(m, n);
    for (std::size_t k = 0; k < n; ++k) {
        set_zero(x);
        x.data()[k] = 1;
        A.apply(x, y);
        for (std::size_t r = 0; r < m; ++r) M(Eigen::Index(r), Eigen::Index(k)) = double(y.data()[r]);
    }
    return M;
}

// One block of a multi-block spectrum as a single-block spectrum.
template <class T>
Spectrum<T> block_of(const Spectrum<T>& s, std::size_t b) {
    Spectrum<T> out = Spectrum<T>::zeros(s.transform, s.plane, 1);
    for (std::size_t i = 0; i < s.values.shape()[1]; ++i)
        for (std::size_t j = 0; j < s.values.shape()[2]; ++j) out.values(0, i, j) = s.values(b, i, j);
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("Gradient equals forward differences computed by brute force", "[gradient]", float, double) {
    using T = TestType;
    for (bool periodic : {false, true}) {
        const Boundary b = periodic ? Boundary::periodic : Boundary::reflect;
        for (auto [h, w] : {std::pair<std::size_t, std::size_t>{7, 11}, {1, 6}, {5, 1}, {1, 1}, {240, 200}}) {
            CAPTURE(periodic, h, w);
            const auto x = random_array<T, 2>({h, w}, unsigned(h * 31 + w));
            ops::Gradient<T> D({h, w}, b);
            const auto g = D(x);
            REQUIRE(g.shape()[0] == 2);
            double err = 0;
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < w; ++j) {
                    err = std::max(err, std::abs(double(g(0, i, j)) - dx_ref(x, i, j, periodic)));
                    err = std::max(err, std::abs(double(g(1, i, j)) - dy_ref(x, i, j, periodic)));
                }
            CHECK(err <= tol<T>());
        }
    }
}

TEMPLATE_TEST_CASE("Gradient on stacks acts per channel with range {2, C, H, W}", "[gradient]", float, double) {
    using T = TestType;
    for (Boundary b : {Boundary::reflect, Boundary::periodic}) {
        const auto x = random_array<T, 3>({3, 6, 9}, 4);
        ops::Gradient<T, 3> D({3, 6, 9}, b);
        const auto g = D(x);
        CHECK(g.shape() == std::array<std::size_t, 4>{2, 3, 6, 9});
        ops::Gradient<T> D2({6, 9}, b);
        for (std::size_t c = 0; c < 3; ++c) {
            xt::xtensor<T, 2> plane = xt::view(x, c);
            const auto g2 = D2(plane);
            for (std::size_t k = 0; k < 2; ++k)
                for (std::size_t i = 0; i < 6; ++i)
                    for (std::size_t j = 0; j < 9; ++j) CHECK(g(k, c, i, j) == g2(k, i, j));
        }
        CHECK(adjoint_test(D, 11).relative_error < tol<T>());
        CHECK(adjoint_test(ops::Divergence<T, 3>({3, 6, 9}, b), 12).relative_error < tol<T>());
        CHECK(adjoint_test(ops::Laplacian<T, 3>({3, 6, 9}, b), 13).relative_error < tol<T>());
    }
}

TEMPLATE_TEST_CASE("Gradient, Divergence and Laplacian pass the adjoint test", "[gradient][adjoint]", float, double) {
    using T = TestType;
    for (Boundary b : {Boundary::reflect, Boundary::periodic})
        for (auto [h, w] : {std::pair<std::size_t, std::size_t>{13, 8}, {1, 1}, {1, 9}, {9, 1}, {2, 2}, {256, 160}}) {
            CAPTURE(to_string(b), h, w);
            CHECK(adjoint_test(ops::Gradient<T>({h, w}, b), 1).relative_error < tol<T>());
            CHECK(adjoint_test(ops::Divergence<T>({h, w}, b), 2).relative_error < tol<T>());
            CHECK(adjoint_test(ops::Laplacian<T>({h, w}, b), 3).relative_error < tol<T>());
        }
}

TEMPLATE_TEST_CASE("Divergence is the negative adjoint of the gradient; the Laplacian is -DᵀD", "[gradient]", float,
                   double) {
    using T = TestType;
    for (Boundary b : {Boundary::reflect, Boundary::periodic}) {
        const std::size_t h = 9, w = 12;
        ops::Gradient<T> D({h, w}, b);
        ops::Divergence<T> div({h, w}, b);
        ops::Laplacian<T> L({h, w}, b);
        const auto p = random_array<T, 3>({2, h, w}, 5);
        const auto x = random_array<T, 2>({h, w}, 6);
        Image<T> minus_adj = -D.adjoint_of(p);
        CHECK(distance(div(p), minus_adj) <= tol<T>() * norm(p));
        CHECK(distance(ops::divergence(p, b), minus_adj) <= tol<T>() * norm(p));
        Image<T> into({h, w});
        ops::divergence(p, into, b);
        CHECK(distance(into, minus_adj) <= tol<T>() * norm(p));
        xt::xtensor<T, 3> minus_grad = -D(x);
        CHECK(distance(div.adjoint_of(x), minus_grad) <= tol<T>() * norm(x));
        // Δ = div ∇ = −DᵀD, as dense matrices (exact integers)
        const Eigen::MatrixXd Dm = dense(D), Lm = dense(L);
        CHECK((Lm + Dm.transpose() * Dm).cwiseAbs().maxCoeff() == 0.0);
        CHECK((Lm - Lm.transpose()).cwiseAbs().maxCoeff() == 0.0);
        // Δ annihilates constants; the Neumann gradient too
        Image<T> ones = xt::ones<T>({h, w});
        CHECK(norm_inf(L(ones)) == 0);
        CHECK(norm_inf(D(ones)) == 0);
    }
}

TEST_CASE("Laplacian is the 5-point stencil with the boundary rule", "[gradient]") {
    const std::size_t h = 5, w = 6;
    Image<double> x({h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) x(i, j) = double((i * 7 + j * 3) % 11) + 0.25 * double(i * j);
    const auto ln = ops::Laplacian<double>({h, w}, Boundary::reflect)(x);
    const auto lp = ops::Laplacian<double>({h, w}, Boundary::periodic)(x);
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
            double neumann = 0;
            if (i > 0) neumann += x(i - 1, j) - x(i, j);
            if (i + 1 < h) neumann += x(i + 1, j) - x(i, j);
            if (j > 0) neumann += x(i, j - 1) - x(i, j);
            if (j + 1 < w) neumann += x(i, j + 1) - x(i, j);
            const double periodic = x((i + h - 1) % h, j) + x((i + 1) % h, j) + x(i, (j + w - 1) % w) +
                                    x(i, (j + 1) % w) - 4 * x(i, j);
            CHECK(ln(i, j) == Approx(neumann).margin(1e-13));
            CHECK(lp(i, j) == Approx(periodic).margin(1e-13));
        }
    // interior point by hand: x(2,2) = (14+6)%11 + 1 = 10; neighbours x(1,2) = 2 + 0.5, x(3,2) = 5 + 1.5,
    // x(2,1) = 6 + 0.5, x(2,3) = 1 + 1.5 → 18 − 4·10 = −22
    CHECK(x(2, 2) == 10.0);
    CHECK(ln(2, 2) == Approx(-22.0));
}

TEMPLATE_TEST_CASE("periodic gradient: Fourier symbols equal direct differences", "[gradient][spectrum]", float, double) {
    using T = TestType;
    for (auto [h, w] : {std::pair<std::size_t, std::size_t>{12, 9}, {7, 16}}) {
        ops::Gradient<T> D({h, w}, Boundary::periodic);
        const auto x = random_array<T, 2>({h, w}, 8);
        const auto g = D(x);
        auto s = D.spectrum();
        REQUIRE(s.has_value());
        CHECK(s->blocks() == 2);
        CHECK(s->transform == Transform::fourier);
        CHECK(s->values.shape()[2] == w / 2 + 1);
        for (std::size_t b = 0; b < 2; ++b) {
            ops::SpectralOperator<T> S(block_of(*s, b), {h, w});
            Image<T> direct = xt::view(g, b);
            CHECK(distance(S(x), direct) <= 10 * tol<T>() * norm(x));
        }
        // the gram symbol Σ|∂̂|² equals DᵀD applied directly, both from spectrum() and gram_spectrum()
        auto gs = D.gram_spectrum();
        REQUIRE(gs.has_value());
        ops::SpectralOperator<T> G(*gs, {h, w});
        ops::SpectralOperator<T> G2(spectrum_gram(*s), {h, w});
        const auto dtd = gram(D)(x);
        CHECK(distance(G(x), dtd) <= 10 * tol<T>() * norm(x));
        CHECK(distance(G2(x), dtd) <= 10 * tol<T>() * norm(x));
        // and the Laplacian's symbol is its negative
        ops::Laplacian<T> L({h, w}, Boundary::periodic);
        ops::SpectralOperator<T> Ls(*L.spectrum(), {h, w});
        CHECK(distance(Ls(x), L(x)) <= 10 * tol<T>() * norm(x));
    }
}

TEMPLATE_TEST_CASE("Neumann gradient: DCT-II gram spectrum equals DᵀD applied directly", "[gradient][spectrum]", float,
                   double) {
    using T = TestType;
    for (auto [h, w] : {std::pair<std::size_t, std::size_t>{10, 13}, {16, 16}, {1, 8}}) {
        CAPTURE(h, w);
        ops::Gradient<T> D({h, w}, Boundary::reflect);
        CHECK_FALSE(D.spectrum().has_value());
        auto gs = D.gram_spectrum();
        REQUIRE(gs.has_value());
        CHECK(gs->transform == Transform::cosine);
        CHECK(std::abs(gs->values(0, 0, 0)) == 0);  // constants are in the kernel
        const double pi = 3.14159265358979323846;
        const std::size_t k = h > 1 ? 1 : 0, l = 2;
        CHECK(double(gs->values(0, k, l).real()) ==
              Approx(2 - 2 * std::cos(pi * double(k) / double(h)) + 2 - 2 * std::cos(pi * double(l) / double(w))));
        ops::SpectralOperator<T> G(*gs, {h, w});
        const auto x = random_array<T, 2>({h, w}, 9);
        const auto dtd = gram(D)(x);
        CHECK(distance(G(x), dtd) <= tol<T>() * norm(x));
        // the algebra picks it up: gram(D) reports the cosine symbol; (I + ρDᵀD)⁻¹ in one DCT pair
        const T rho = T(0.7);
        auto normal = ops::Identity<Image<T>>({h, w}) + rho * gram(D);
        auto sn = normal.spectrum();
        REQUIRE(sn.has_value());
        ops::SpectralOperator<T> inv(spectrum_inverse(*sn), {h, w});
        CHECK(distance(normal(inv(x)), x) <= 10 * tol<T>() * norm(x));
        // the Neumann Laplacian's symbol
        ops::Laplacian<T> L({h, w});
        ops::SpectralOperator<T> Ls(*L.spectrum(), {h, w});
        CHECK(distance(Ls(x), L(x)) <= 10 * tol<T>() * norm(x));
    }
    // stacks: one plane symbol, applied per channel
    ops::Gradient<double, 3> D3({2, 8, 6});
    ops::SpectralOperator<double, 3> G3(*D3.gram_spectrum(), {2, 8, 6});
    const auto x3 = random_array<double, 3>({2, 8, 6}, 10);
    CHECK(distance(G3(x3), gram(D3)(x3)) <= 1e-12 * norm(x3));
}

TEST_CASE("the norm of the gradient is below sqrt(8)", "[gradient]") {
    for (Boundary b : {Boundary::reflect, Boundary::periodic}) {
        ops::Gradient<double> D({16, 16}, b);
        const double n = operator_norm(D, {.max_iter = 500, .tol = 1e-10});
        CHECK(n * n <= D.squared_norm_bound());
        CHECK(n * n > 7.5);  // periodic 16×16 attains 8 exactly; Neumann is close
    }
}

TEST_CASE("finite-difference operators reject bad arguments", "[gradient][errors]") {
    for (Boundary b : {Boundary::zero, Boundary::replicate, Boundary::valid}) {
        CHECK_THROWS_WITH(ops::Gradient<double>({4, 4}, b), Catch::Contains("boundary") && Catch::Contains("reflect"));
        CHECK_THROWS_WITH(ops::Divergence<double>({4, 4}, b), Catch::Contains("boundary"));
        CHECK_THROWS_WITH(ops::Laplacian<float>({4, 4}, b), Catch::Contains("boundary"));
    }
    CHECK_THROWS_WITH(ops::Gradient<double>({0, 4}), Catch::Contains("shape") && Catch::Contains("0x4"));
    CHECK_THROWS_WITH((ops::Laplacian<double, 3>({2, 4, 0})), Catch::Contains("shape"));
    ops::Gradient<double> D({4, 5});
    Image<double> x({4, 5}), bad({5, 4});
    xt::xtensor<double, 3> g({2, 4, 5}), gbad({2, 4, 4});
    CHECK_THROWS_AS(D.apply(bad, g), ShapeError);
    CHECK_THROWS_WITH(D.apply(x, gbad), Catch::Contains("'y'") && Catch::Contains("2x4x5"));
    CHECK_THROWS_WITH(D.apply_adjoint(gbad, x), Catch::Contains("'y'"));
    CHECK_THROWS_WITH(ops::Laplacian<double>({4, 5}).apply(x, bad), Catch::Contains("'y'") && Catch::Contains("4x5"));
    xt::xtensor<double, 3> notfield({3, 4, 5});
    CHECK_THROWS_WITH(ops::divergence(notfield), Catch::Contains("'p'"));
    CHECK_THROWS_AS(ops::divergence(gbad, x), ShapeError);
}
