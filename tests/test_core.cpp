// Core: vector space, operator algebra, spectra, power iteration, FFT plans.
#include <catch2/catch.hpp>

#include <Eigen/Dense>
#include <Eigen/SVD>
#include <algorithm>
#include <cstdint>
#include <random>

#include "lucid/lucid.hpp"

using namespace lucid;

namespace {

template <class T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> random_matrix(int rows, int cols, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, 1);
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m(rows, cols);
    for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) m(i, j) = T(n(rng));
    return m;
}

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

template <class T>
double adjoint_tolerance() { return std::is_same_v<T, float> ? 1e-5 : 1e-12; }

// A symmetric-kernel periodic convolution built directly as a Fourier symbol,
// so the algebra can be tested before the ops issue lands: Â(f) = Σ k(d) e^{-2πi f·d}.
template <class T>
Spectrum<T> blur_symbol(std::size_t h, std::size_t w) {
    auto s = Spectrum<T>::zeros(Transform::fourier, {h, w});
    const double pi = 3.14159265358979323846;
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w / 2 + 1; ++j) {
            // kernel [0.25 0.5 0.25] along both axes, centred at 0: real transfer function
            const double fy = 0.5 + 0.5 * std::cos(2 * pi * double(i) / double(h));
            const double fx = 0.5 + 0.5 * std::cos(2 * pi * double(j) / double(w));
            s.values(0, i, j) = std::complex<T>(T(fy * fx), T(0));
        }
    return s;
}

}  // namespace

TEMPLATE_TEST_CASE("vector space operations on images, Eigen vectors and tuples", "[core][vector]", float, double) {
    using T = TestType;
    Image<T> x({3, 4}), y({3, 4});
    for (std::size_t i = 0; i < x.size(); ++i) {
        x.data()[i] = T(i);
        y.data()[i] = T(1);
    }
    CHECK(dot(x, y) == Approx(66.0));
    CHECK(squared_norm(x) == Approx(506.0));
    CHECK(norm1(x) == Approx(66.0));
    CHECK(norm_inf(x) == Approx(11.0));
    axpy(T(2), y, x);  // x_i = i + 2
    CHECK(x(2, 3) == Approx(13.0));
    axpby(T(1), y, T(-1), x);  // x_i = 1 - (i + 2)
    CHECK(x(0, 0) == Approx(-1.0));
    scale(T(-1), x);
    CHECK(x(0, 1) == Approx(2.0));
    auto z = zeros_like(x);
    CHECK(z.shape() == x.shape());
    CHECK(norm(z) == 0);
    copy(x, z);
    CHECK(distance(x, z) == 0);
    lincomb(T(2), x, T(3), y, z);
    CHECK(z(0, 0) == Approx(2 * 1 + 3));
    CHECK(all_finite(z));
    z(1, 1) = std::numeric_limits<T>::quiet_NaN();
    CHECK_FALSE(all_finite(z));

    VectorX<T> a = VectorX<T>::LinSpaced(5, 1, 5), b = VectorX<T>::Ones(5);
    CHECK(dot(a, b) == Approx(15.0));
    axpy(T(1), b, a);
    CHECK(a(4) == Approx(6.0));

    std::tuple<Image<T>, VectorX<T>> p{Image<T>({2, 2}, T(1)), VectorX<T>::Constant(3, T(2))};
    CHECK(element_count(p) == 7);
    CHECK(dot(p, p) == Approx(4 + 12.0));
    auto q = zeros_like(p);
    CHECK(std::get<1>(q).size() == 3);
    axpy(T(0.5), p, q);
    CHECK(std::get<1>(q)(2) == Approx(1.0));

    Image<T> wrong({2, 2});
    CHECK_THROWS_AS(dot(x, wrong), ShapeError);
    // equal sizes, other shapes: refused (a 2×3 and a 3×2 image were combined index by index)
    Image<T> r23({2, 3}, T(1)), r32({3, 2}, T(2));
    CHECK_THROWS_AS(copy(r23, r32), ShapeError);
    CHECK_THROWS_WITH(dot(r23, r32), Catch::Contains("'y'") && Catch::Contains("2x3") && Catch::Contains("3x2"));
    CHECK_THROWS_WITH(axpy(T(1), r23, r32), Catch::Contains("'y'"));
    CHECK_THROWS_WITH(distance(r23, r32), Catch::Contains("'y'"));
    Image<T> out({3, 2});
    CHECK_THROWS_WITH(lincomb(T(1), r23, T(1), r23, out), Catch::Contains("'out'"));  // not 'y'
    auto p2 = p;
    std::get<0>(p2) = Image<T>({1, 4}, T(1));
    CHECK_THROWS_AS(dot(p, p2), ShapeError);
}

TEMPLATE_TEST_CASE("zero-copy Eigen views", "[core][eigen]", float, double) {
    using T = TestType;
    Image<T> img({2, 3}, T(0));
    auto v = as_eigen(img);
    v(4) = T(7);
    CHECK(img(1, 1) == T(7));  // row-major vec
    VectorX<T> w = VectorX<T>::LinSpaced(6, 0, 5);
    auto view = as_image(w, Shape<2>{2, 3});
    CHECK(view(1, 2) == T(5));
    view(0, 0) = T(9);
    CHECK(w(0) == T(9));
    CHECK_THROWS_AS(as_image(w, Shape<2>{4, 4}), Error);
}

TEMPLATE_TEST_CASE("adjoint of every algebra combination", "[core][ops][adjoint]", float, double) {
    using T = TestType;
    using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    const double tol = adjoint_tolerance<T>();
    ops::MatrixOperator<M> A(random_matrix<T>(7, 5, 1));
    ops::MatrixOperator<M> B(random_matrix<T>(5, 5, 2));
    ops::MatrixOperator<M> C(random_matrix<T>(7, 5, 3));
    ops::MatrixOperator<M> E(random_matrix<T>(3, 5, 4));

    CHECK(adjoint_test(A, 1).relative_error < tol);
    CHECK(adjoint_test(A * B, 2).relative_error < tol);
    CHECK(adjoint_test(A + C, 3).relative_error < tol);
    CHECK(adjoint_test(A - C, 4).relative_error < tol);
    CHECK(adjoint_test(T(2.5) * A, 5).relative_error < tol);
    CHECK(adjoint_test(-A, 6).relative_error < tol);
    CHECK(adjoint_test(adjoint(A), 7).relative_error < tol);
    CHECK(adjoint_test(gram(A), 8).relative_error < tol);
    CHECK(adjoint_test(polynomial(B, {T(1), T(-2), T(0.5), T(0.25)}), 9).relative_error < tol);
    CHECK(adjoint_test(stack(A, E, B), 10).relative_error < tol);
    CHECK(adjoint_test(gram(stack(A, E)) + T(0.5) * gram(B), 11).relative_error < tol);
    CHECK(adjoint_test((A + C) * polynomial(B, {T(0), T(1), T(1)}), 12).relative_error < tol);
    CHECK(adjoint_test(ops::Identity<VectorX<T>>({5}), 13).relative_error < tol);
    VectorX<T> w = VectorX<T>::LinSpaced(5, -1, 1);
    CHECK(adjoint_test(ops::Diagonal<VectorX<T>>(w) * B, 14).relative_error < tol);

    // a broken adjoint is caught
    struct Broken : ops::OperatorBase<Broken> {
        using scalar_type [[maybe_unused]] = T;
        using domain_type [[maybe_unused]] = VectorX<T>;
        using range_type [[maybe_unused]] = VectorX<T>;
        std::array<std::size_t, 1> domain_shape() const { return {4}; }
        std::array<std::size_t, 1> range_shape() const { return {4}; }
        void apply(const VectorX<T>& x, VectorX<T>& y) const { y = x; y(0) += x(1); }
        void apply_adjoint(const VectorX<T>& y, VectorX<T>& x) const { x = y; }
    };
    static_assert(LinearOperator<Broken>);
    CHECK(adjoint_test(Broken{}, 15).relative_error > 1e-3);
}

TEMPLATE_TEST_CASE("algebra computes the matrix it stands for", "[core][ops]", float, double) {
    using T = TestType;
    using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    const M a = random_matrix<T>(4, 4, 21), b = random_matrix<T>(4, 4, 22);
    ops::MatrixOperator<M> A(a), B(b);
    VectorX<T> x = random_matrix<T>(4, 1, 23);
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-12;
    auto check = [&](const auto& op, const M& dense) {
        VectorX<T> got = op(x);
        VectorX<T> want = dense * x;
        CHECK((got - want).norm() <= tol * (1 + want.norm()));
        VectorX<T> got_t = op.adjoint_of(x);
        VectorX<T> want_t = dense.transpose() * x;
        CHECK((got_t - want_t).norm() <= tol * (1 + want_t.norm()));
    };
    check(A * B, a * b);
    check(A + B, a + b);
    check(A - B, a - b);
    check(T(3) * A, T(3) * a);
    check(adjoint(A), a.transpose());
    check(gram(A), a.transpose() * a);
    const M I = M::Identity(4, 4);
    check(polynomial(A, {T(2), T(-1), T(0.5)}), T(2) * I - a + T(0.5) * a * a);
    // stack applied to x gives both blocks
    auto S = stack(A, B);
    auto y = S(x);
    CHECK((std::get<0>(y) - a * x).norm() <= tol * (1 + (a * x).norm()));
    CHECK((std::get<1>(y) - b * x).norm() <= tol * (1 + (b * x).norm()));
    // references instead of copies
    auto R = compose(std::cref(A), std::cref(B));
    check(R, a * b);
}

TEST_CASE("algebra rejects mismatched shapes and bad coefficients", "[core][ops][errors]") {
    using M = Eigen::MatrixXd;
    ops::MatrixOperator<M> A(M(M::Ones(3, 4))), B(M(M::Ones(5, 5)));
    CHECK_THROWS_AS(A * B, ShapeError);
    CHECK_THROWS_AS(A + B, ShapeError);
    CHECK_THROWS_AS(stack(A, B), ShapeError);
    CHECK_THROWS_AS(polynomial(A, {1.0}), ShapeError);
    CHECK_THROWS_AS(polynomial(B, {}), Error);
    CHECK_THROWS_WITH(polynomial(B, {1.0, std::nan("")}), Catch::Contains("coeffs"));
    CHECK_THROWS_AS((ops::MatrixOperator<M, Image<double>>(M(M::Ones(3, 3)), Shape<2>{2, 2}, Shape<2>{2, 2})), ShapeError);
    Eigen::VectorXd wrong = Eigen::VectorXd::Ones(7);
    Eigen::VectorXd out(3);
    CHECK_THROWS_WITH(A.apply(wrong, out), Catch::Contains("'x'") && Catch::Contains("4 elements"));
}

TEST_CASE("algebra shape errors name the argument and show both shapes", "[core][ops][errors]") {
    using I = ops::Identity<Image<double>>;
    const I a({8, 8}), b({6, 6});
    // compose: outer∘inner
    CHECK_THROWS_AS(compose(a, b), ShapeError);
    CHECK_THROWS_WITH(compose(a, b), Catch::Contains("'inner'") && Catch::Contains("'outer'") &&
                                         Catch::Contains("8x8") && Catch::Contains("6x6"));
    CHECK_THROWS_WITH(a * b, Catch::Contains("'inner'") && Catch::Contains("8x8") && Catch::Contains("6x6"));
    // product spaces: the tuple shapes are printed too
    CHECK_THROWS_WITH(compose(adjoint(stack(a, a)), stack(b, b)),
                      Catch::Contains("'inner'") && Catch::Contains("(8x8, 8x8)") && Catch::Contains("(6x6, 6x6)"));
    CHECK(shape_string(std::tuple<Shape<2>, Shape<3>>{{8, 8}, {2, 8, 8}}) == "(8x8, 2x8x8)");
    // sum and difference
    CHECK_THROWS_AS(a + b, ShapeError);
    CHECK_THROWS_WITH(a + b, Catch::Contains("lucid::sum") && Catch::Contains("'b'") && Catch::Contains("8x8") &&
                                 Catch::Contains("6x6"));
    CHECK_THROWS_WITH(a - b, Catch::Contains("'b'") && Catch::Contains("6x6"));
    CHECK_THROWS_WITH(lucid::sum(a, b), Catch::Contains("'b'") && Catch::Contains("8x8") && Catch::Contains("6x6"));
    // stack: the first operator off the common domain, by position
    CHECK_THROWS_AS(stack(a, a, b), ShapeError);
    CHECK_THROWS_WITH(stack(a, a, b), Catch::Contains("'operator 2'") && Catch::Contains("8x8") && Catch::Contains("6x6"));
    // polynomial of a non-square operator
    ops::Convolution<double> valid(Image<double>({3, 3}, 1.0 / 9), {8, 8}, Boundary::valid);
    CHECK_THROWS_AS(polynomial(valid, {1.0, 2.0}), ShapeError);
    CHECK_THROWS_WITH(polynomial(valid, {1.0, 2.0}),
                      Catch::Contains("'op'") && Catch::Contains("8x8") && Catch::Contains("6x6"));
}

TEST_CASE("polynomial checks the shapes of x and y even with a single coefficient", "[core][ops][errors]") {
    // p = c₀ never applies A, so A's own checks never run.
    ops::Convolution<double> A(Image<double>({3, 3}, 1.0 / 9), {8, 8}, Boundary::periodic);
    const auto P = polynomial(A, {2.0});
    const Image<double> small({3, 3}, 1.0), good({8, 8}, 1.0);
    Image<double> small_out({3, 3}), good_out({8, 8});
    CHECK_THROWS_AS(P.apply_adjoint(small, small_out), ShapeError);
    CHECK_THROWS_WITH(P.apply_adjoint(small, small_out), Catch::Contains("'y'") && Catch::Contains("8x8") && Catch::Contains("3x3"));
    CHECK_THROWS_WITH(P.apply(small, small_out), Catch::Contains("'x'") && Catch::Contains("8x8") && Catch::Contains("3x3"));
    CHECK_THROWS_WITH(P.apply(good, small_out), Catch::Contains("'y'") && Catch::Contains("3x3"));
    CHECK_THROWS_WITH(P.apply_adjoint(good, small_out), Catch::Contains("'x'") && Catch::Contains("3x3"));
    P.apply(good, good_out);
    CHECK(good_out(4, 4) == 2.0);
    // Eigen vectors
    using M = Eigen::MatrixXd;
    const auto Q = polynomial(ops::MatrixOperator<M>(M(M::Identity(5, 5))), {3.0});
    Eigen::VectorXd v3 = Eigen::VectorXd::Ones(3), o3(3);
    CHECK_THROWS_WITH(Q.apply(v3, o3), Catch::Contains("'x'") && Catch::Contains("5") && Catch::Contains("3"));
    Eigen::VectorXd v5 = Eigen::VectorXd::Ones(5), o5(5);
    Q.apply(v5, o5);
    CHECK(o5(2) == 3.0);
}

namespace {
// y = A x computed in place (A.apply(z, z) with z = x) against a separate output;
// true when equal, false when A refuses with an error naming the overlap.
template <class Op, class V>
bool in_place_matches(const Op& A, const V& x) {
    V expected = A(x), z = clone(x);
    try {
        A.apply(z, z);
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Catch::Contains("must not share memory"));
        return false;
    }
    V d = clone(z);
    axpy(-1.0, expected, d);
    CHECK(norm(d) == 0.0);
    // the adjoint the same way
    V expected_t = A.adjoint_of(x), zt = clone(x);
    A.apply_adjoint(zt, zt);
    axpy(-1.0, expected_t, zt);
    CHECK(norm(zt) == 0.0);
    return true;
}
}  // namespace

TEST_CASE("apply(x, x): computed exactly where the operator can work in place, refused where it cannot",
          "[core][ops][errors]") {
    const std::size_t n = 24;
    const auto x = random_image<double>(n, n, 5);
    const auto k = random_image<double>(5, 5, 6);
    // Buffered operators: the same numbers in place (the FFT path transforms x
    // before writing y; the direct path extends x into scratch first).
    for (auto b : {Boundary::periodic, Boundary::zero, Boundary::reflect, Boundary::replicate})
        for (auto m : {ops::ConvolutionMethod::direct, ops::ConvolutionMethod::fft}) {
            INFO("boundary " << to_string(b) << ", method " << int(m));
            CHECK(in_place_matches(ops::Convolution<double>(k, {n, n}, b, {.method = m}), x));
        }
    ops::Convolution<double> A(k, {n, n}, Boundary::reflect), B(random_image<double>(3, 3, 7), {n, n}, Boundary::periodic);
    CHECK(in_place_matches(A + B, x));  // B into scratch first, then A over x
    CHECK(in_place_matches(A - 2.0 * B, x));
    CHECK(in_place_matches(A * B, x));
    CHECK(in_place_matches(gram(A), x));
    CHECK(in_place_matches(ops::SpectralOperator<double>(*B.spectrum(), {n, n}), x));
    CHECK(in_place_matches(ops::Diagonal<Image<double>>(x * x), x));
    CHECK(in_place_matches(ops::Mask<double>(Image<double>(xt::where(x > 0.0, 1.0, 0.0))), x));
    // Operators that read what they wrote: an error, not a wrong image.
    CHECK_FALSE(in_place_matches(ops::Laplacian<double>({n, n}, Boundary::reflect), x));
    CHECK_FALSE(in_place_matches(ops::Laplacian<double>({n, n}, Boundary::periodic), x));
    CHECK_FALSE(in_place_matches(ops::Wavelet2D<double>("db2", {n, n}, 2), x));
    CHECK_FALSE(in_place_matches(polynomial(A, {1.0, -2.0, 0.5}), x));
    CHECK_FALSE(in_place_matches(ops::toeplitz_operator(k, {n, n}), x));
    // A sum writes y with its first term last: in place exactly when that term can be.
    CHECK(in_place_matches(A + ops::Laplacian<double>({n, n}, Boundary::reflect), x));
    CHECK_FALSE(in_place_matches(ops::Laplacian<double>({n, n}, Boundary::reflect) + A, x));
    const Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(12, -1, 1);
    CHECK_FALSE(in_place_matches(ops::MatrixOperator<Eigen::MatrixXd>(random_matrix<double>(12, 12, 8)), v));
    // Any shared leaf counts: a product-space vector overlaps its own component, not a copy of it.
    const std::tuple<Image<double>, Eigen::VectorXd> t(x, v);
    CHECK(storage_overlaps(t, std::get<1>(t)));
    CHECK(storage_overlaps(std::get<0>(t), t));
    CHECK_FALSE(storage_overlaps(t, v));
    CHECK_FALSE(storage_overlaps(x, v));
}

TEMPLATE_TEST_CASE("operator norm by power iteration matches the largest singular value", "[core][norm]", float, double) {
    using T = TestType;
    using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    const M a = random_matrix<T>(30, 20, 5);
    const double sigma = double(Eigen::JacobiSVD<M>(a).singularValues()(0));
    const double est = double(operator_norm(ops::MatrixOperator<M>(a), {.max_iter = 2000, .tol = 1e-10}));
    CHECK(est == Approx(sigma).epsilon(std::is_same_v<T, float> ? 1e-4 : 1e-6));
    CHECK(est <= sigma * (1 + 1e-6));  // the power method approaches from below
    CHECK_THROWS_AS(operator_norm(ops::MatrixOperator<M>(a), {.max_iter = 0}), Error);
}

TEMPLATE_TEST_CASE("spectral operators: Fourier symbol equals direct periodic convolution", "[core][spectrum]", float, double) {
    using T = TestType;
    const std::size_t h = 12, w = 9;
    const auto x = random_image<T>(h, w, 7);
    ops::SpectralOperator<T> K(blur_symbol<T>(h, w), {h, w});
    auto y = K(x);
    // direct periodic convolution with [1 2 1]/4 ⊗ [1 2 1]/4
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
            double s = 0;
            for (int di = -1; di <= 1; ++di)
                for (int dj = -1; dj <= 1; ++dj)
                    s += (di ? 0.25 : 0.5) * (dj ? 0.25 : 0.5) *
                         double(x((i + h + di) % h, (j + w + dj) % w));
            CHECK(double(y(i, j)) == Approx(s).margin(tol));
        }
    CHECK(adjoint_test(K, 3).relative_error < adjoint_tolerance<T>());
    // the algebra keeps the spectrum: p(K) applied spectrally equals Horner through K
    auto P = polynomial(K, {T(1), T(5), T(-9), T(4)});
    auto sym = P.spectrum();
    REQUIRE(sym.has_value());
    ops::SpectralOperator<T> Pfast(*sym, {h, w});
    CHECK(distance(P(x), Pfast(x)) <= 10 * tol * norm(x));
    // (KᵀK + ρI)⁻¹ in one transform pair inverts KᵀK + ρI
    const T rho = T(0.1);
    auto normal = gram(K) + rho * ops::Identity<Image<T>>({h, w});
    auto sn = normal.spectrum();
    REQUIRE(sn.has_value());
    ops::SpectralOperator<T> inv(spectrum_inverse(*sn), {h, w});
    CHECK(distance(normal(inv(x)), x) <= 100 * tol * norm(x));
    // a stack of spectral operators has one block per operator; its gram sums them
    auto st = stack(K, K).spectrum();
    REQUIRE(st.has_value());
    CHECK(st->blocks() == 2);
    const T k11 = std::norm(K.symbol().values(0, 1, 1));
    CHECK(std::abs(spectrum_gram(*st).values(0, 1, 1) - T(2) * k11) < 1e-5);
}

TEMPLATE_TEST_CASE("spectral operators: cosine symbol is self-adjoint and invertible", "[core][spectrum]", float, double) {
    using T = TestType;
    const std::size_t h = 8, w = 10;
    auto s = Spectrum<T>::zeros(Transform::cosine, {h, w});
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) s.values(0, i, j) = T(1) + T(i + 2 * j) / T(10);
    ops::SpectralOperator<T, 3> S(s, {2, h, w});
    CHECK(adjoint_test(S, 1).relative_error < adjoint_tolerance<T>());
    ImageStack<T> x({2, h, w});
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-1, 1);
    for (auto& v : x) v = T(u(rng));
    ops::SpectralOperator<T, 3> Sinv(spectrum_inverse(s), {2, h, w});
    CHECK(distance(S(Sinv(x)), x) <= (std::is_same_v<T, float> ? 1e-5 : 1e-12) * norm(x));
    // a constant symbol (the identity) applies in every transform
    ops::SpectralOperator<T, 3> id(Spectrum<T>::constant(2), {2, h, w});
    ImageStack<T> twice = T(2) * x;
    CHECK(distance(id(x), twice) == 0);
    CHECK_THROWS_AS(ops::SpectralOperator<T>(s, {h + 1, w}), ShapeError);
    CHECK_THROWS_AS(spectrum_inverse(Spectrum<T>::zeros(Transform::cosine, {2, 2})), Error);
}

TEST_CASE("FFT plans are cached, shared and usable on unaligned arrays", "[core][fft]") {
    const auto before = fft::cached_plan_count<double>();
    auto p1 = fft::plan<double>(fft::Kind::r2c, 17, 10);
    auto p2 = fft::plan<double>(fft::Kind::r2c, 17, 10);
    CHECK(p1.get() == p2.get());
    CHECK(fft::cached_plan_count<double>() == before + 1);
    CHECK(fft::good_size(1) == 1);
    CHECK(fft::good_size(11) == 12);
    CHECK(fft::good_size(97) == 98);
    CHECK(fft::good_size(127) == 128);
    CHECK(fft::good_size(1001) == 1008);
    // execute on an unaligned array (offset by one element) and on an aligned one: same result
    std::vector<double> raw(17 * 10 + 1);
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = std::sin(0.3 * double(i));
    fft::AlignedBuffer<double> aligned(17 * 10);
    std::copy(raw.begin() + 1, raw.end(), aligned.begin());
    fft::AlignedBuffer<std::complex<double>> s1(17 * 6), s2(17 * 6);
    p1->r2c(raw.data() + 1, s1.data());
    p1->r2c(aligned.data(), s2.data());
    for (std::size_t i = 0; i < s1.size(); ++i) CHECK(std::abs(s1[i] - s2[i]) < 1e-12);
    // DC term is the plain sum
    double total = 0;
    for (auto v : aligned) total += v;
    CHECK(s2[0].real() == Approx(total));
    CHECK_THROWS_AS(fft::plan<double>(fft::Kind::r2c, 0, 4), Error);
}

TEST_CASE("AlignedBuffer: zeroed, aligned, copyable at every size; huge-page mappings where enabled",
          "[core][fft][memory]") {
    // 3 KiB on the heap; 1 MiB (the threshold) and 2 MiB + 8 bytes (spills into a second huge page) mapped
    for (std::size_t n : {std::size_t(384), std::size_t(1) << 17, (std::size_t(1) << 18) + 1}) {
        INFO("n = " << n);
        fft::AlignedBuffer<double> a(n);
        REQUIRE(a.size() == n);
        CHECK(reinterpret_cast<std::uintptr_t>(a.data()) % 16 == 0);  // FFTW's SIMD alignment
        CHECK(std::all_of(a.begin(), a.end(), [](double v) { return v == 0.0; }));
        const bool large = n * sizeof(double) >= fft::detail::huge_page_threshold;
        CHECK(a.huge_pages() == (large && fft::detail::huge_pages_enabled()));
        if (a.huge_pages()) CHECK(reinterpret_cast<std::uintptr_t>(a.data()) % fft::detail::huge_page_bytes == 0);
        for (std::size_t i = 0; i < n; ++i) a[i] = double(i % 1000) - 3.5;  // writes reach the last element
        fft::AlignedBuffer<double> b = a;  // copy: same values, own memory
        CHECK(b.data() != a.data());
        CHECK(std::equal(a.begin(), a.end(), b.begin()));
        const double* before = b.data();
        fft::AlignedBuffer<double> c = std::move(b);  // move: takes the memory
        CHECK(c.data() == before);
        CHECK(b.size() == 0);
        CHECK(c.huge_pages() == a.huge_pages());
        c = fft::AlignedBuffer<double>(7);  // assignment releases the old block (ASan/valgrind see a leak otherwise)
        CHECK(c.size() == 7);
        CHECK(!c.huge_pages());
    }
    CHECK(fft::detail::huge_mapping_bytes(1) == fft::detail::huge_page_bytes);
    CHECK(fft::detail::huge_mapping_bytes(fft::detail::huge_page_bytes) == fft::detail::huge_page_bytes);
    CHECK(fft::detail::huge_mapping_bytes(fft::detail::huge_page_bytes + 1) == 2 * fft::detail::huge_page_bytes);
    // Advice on memory allocated elsewhere changes no contents, touched or not; large images come back zeroed.
    {
        std::vector<double> v(std::size_t(3) << 20, 2.5);  // 24 MiB, touched
        fft::detail::advise_huge_pages(v.data(), v.size() * sizeof(double));
        CHECK(std::all_of(v.begin(), v.end(), [](double e) { return e == 2.5; }));
        fft::detail::advise_huge_pages(nullptr, std::size_t(1) << 30);  // ignored
        const auto big = make_vector<Image<float>>({1500, 1500});  // 9 MiB, advised before its zero fill
        CHECK(std::all_of(big.begin(), big.end(), [](float e) { return e == 0.0f; }));
        const auto stack = make_vector<ImageStack<double>>({3, 700, 700});
        CHECK(std::all_of(stack.begin(), stack.end(), [](double e) { return e == 0.0; }));
    }
    fft::AlignedBuffer<double> empty(0);
    CHECK(empty.data() == nullptr);
    CHECK_THROWS_AS(fft::AlignedBuffer<double>(std::size_t(-1) / 4, fft::uninitialized), std::bad_alloc);
}

#if defined(__linux__)
#include <sys/mman.h>
// Resident 4 KiB pages among the whole pages inside [p, p + bytes), and their count.
static std::pair<std::size_t, std::size_t> resident_pages(const void* p, std::size_t bytes) {
    const std::uintptr_t page = 4096, begin = fft::detail::align_ceil(reinterpret_cast<std::uintptr_t>(p), page),
                         end = fft::detail::align_floor(reinterpret_cast<std::uintptr_t>(p) + bytes, page);
    std::vector<unsigned char> in((end - begin) / page);
    REQUIRE(::mincore(reinterpret_cast<void*>(begin), end - begin, in.data()) == 0);
    return {std::size_t(std::count_if(in.begin(), in.end(), [](unsigned char c) { return c & 1; })), in.size()};
}
#endif

TEST_CASE("prefault: contents unchanged; a fresh image lucid allocates is resident before its first write",
          "[core][memory]") {
    // Contents of touched memory survive (a wrong advice such as MADV_DONTNEED would zero them).
    std::vector<double> v(std::size_t(1) << 18);  // 2 MiB
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = double(i % 977) + 0.25;
    fft::detail::prefault(v.data() + 1, (v.size() - 1) * sizeof(double));  // unaligned start: interior pages only
    bool same = true;
    for (std::size_t i = 0; i < v.size(); ++i) same = same && v[i] == double(i % 977) + 0.25;
    CHECK(same);
    fft::detail::prefault(nullptr, std::size_t(1) << 30);  // ignored
#if defined(__linux__)
    // 2 MiB + 4 KiB (below the huge-page advice). The control, a plain xtensor, is kept alive
    // so that the second allocation cannot reuse its memory.
    using Big = xt::xtensor<double, 1>;
    const std::array<std::size_t, 1> shape{(std::size_t(1) << 18) + 512};
    const Big control(shape);  // untouched: xtensor leaves doubles uninitialized
    const auto [control_resident, pages] = resident_pages(control.data(), control.size() * sizeof(double));
    const Big fresh = detail::fresh_untouched<Big>(shape);  // what make_vector, clone, make_range start from
    const auto [fresh_resident, fresh_pages] = resident_pages(fresh.data(), fresh.size() * sizeof(double));
    INFO("control " << control_resident << " of " << pages << " pages resident, fresh_untouched " << fresh_resident
                    << " of " << fresh_pages << ", prefault " << fft::detail::prefault_enabled());
    // Meaningful when the control's memory is fresh (its pages not yet backed) and the kernel
    // has MADV_POPULATE_WRITE (Linux 5.14+; prefault switches itself off otherwise).
    if (control_resident < pages / 2 && fft::detail::prefault_enabled()) CHECK(fresh_resident == fresh_pages);
    CHECK(fresh_pages >= 512);
#endif
}

TEST_CASE("WorkspaceAllocator: xtensor tables on huge-page mappings from 1 MiB, heap below; values intact",
          "[core][memory]") {
    using Table = xt::xtensor<std::complex<double>, 3, xt::layout_type::row_major,
                              fft::detail::WorkspaceAllocator<std::complex<double>>>;
    // 16 KiB (heap), 2 MiB + 16 B (mapped, spills into a second huge page), resized down to 48 KiB
    for (std::size_t rows : {std::size_t(32), std::size_t(4097)}) {
        INFO("rows = " << rows);
        Table t({2, rows, 16}, std::complex<double>(0.5, -1));
        const bool large = t.size() * sizeof(std::complex<double>) >= fft::detail::huge_page_threshold;
        CHECK(std::all_of(t.begin(), t.end(), [](auto v) { return v == std::complex<double>(0.5, -1); }));
        if (large && fft::detail::huge_pages_enabled())
            CHECK(reinterpret_cast<std::uintptr_t>(t.data()) % fft::detail::huge_page_bytes == 0);
        for (std::size_t i = 0; i < t.size(); ++i) t.data()[i] = {double(i), 1.0};  // writes reach the end
        Table u = t;  // copy: own memory, same values
        CHECK(u.data() != t.data());
        CHECK(std::equal(t.begin(), t.end(), u.begin()));
        u.resize({1, 3, 1024});
        std::fill(u.begin(), u.end(), std::complex<double>(2, 2));
        CHECK(u(0, 2, 1023) == std::complex<double>(2, 2));
    }
    // The symbol tables use it: a 512² Fourier table is one mapping when huge pages are on.
    const auto s = Spectrum<double>::zeros(Transform::fourier, {512, 512});
    CHECK(s.values.shape()[2] == 257);
    CHECK(std::all_of(s.values.begin(), s.values.end(), [](auto v) { return v == std::complex<double>(0); }));
    if (fft::detail::huge_pages_enabled())
        CHECK(reinterpret_cast<std::uintptr_t>(s.values.data()) % fft::detail::huge_page_bytes == 0);
    CHECK_THROWS_AS(fft::detail::WorkspaceAllocator<double>{}.allocate(std::size_t(-1) / 4), std::bad_alloc);
}

TEST_CASE("clone: equal values in new storage for images, stacks, Eigen vectors and product spaces", "[core][memory]") {
    Image<double> a({300, 310});
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = std::sin(double(i));
    const Image<double> b = clone(a);
    CHECK(b.shape() == a.shape());
    CHECK(b.data() != a.data());
    CHECK(std::equal(a.begin(), a.end(), b.begin()));
    ImageStack<float> s({3, 4, 5}, 1.5f);
    const auto sc = clone(s);
    CHECK(sc.shape() == s.shape());
    CHECK(std::all_of(sc.begin(), sc.end(), [](float e) { return e == 1.5f; }));
    Eigen::VectorXd e = Eigen::VectorXd::LinSpaced(9, 0.0, 8.0);
    const Eigen::VectorXd ec = clone(e);
    CHECK(ec == e);
    auto t = std::make_tuple(a, e);
    auto tc = clone(t);
    CHECK(std::get<0>(tc).data() != std::get<0>(t).data());
    CHECK(std::equal(a.begin(), a.end(), std::get<0>(tc).begin()));
    CHECK(std::get<1>(tc) == e);
    a(0, 0) = 42;  // independent storage
    CHECK(b(0, 0) != 42);
}

#include "lucid/solvers/conjugate_gradient.hpp"
#include "support/peers.hpp"
#include "lucid/core/real_filter.hpp"

TEMPLATE_TEST_CASE("filter_real: a Fourier filter computed in the output array equals brute-force circular convolution",
                   "[core][fft]", float, double) {
    using T = TestType;
    std::mt19937 rng(21);
    std::uniform_real_distribution<double> u(-1, 1);
    // M = DFT(k)/(hw) for a random real k makes F⁻¹(M ⊙ F x) the circular convolution k ⊛ x,
    // summed here directly; heights odd and even (the column-0 pairing p ↔ h − p, with
    // self-paired rows 0 and h/2), widths down to 2 (no interior column at all).
    for (std::size_t h : {1, 2, 5, 8, 9, 13})
        for (std::size_t w : {2, 4, 10, 16, 100}) {  // 100: 50 columns, strips of 16 (32) and a shorter last one
            INFO(h << "x" << w);
            fft::AlignedBuffer<T> k(h * w, fft::uninitialized), x(h * w, fft::uninitialized), y(h * w, fft::uninitialized);
            for (std::size_t i = 0; i < h * w; ++i) {
                k[i] = T(u(rng));
                x[i] = T(u(rng));
            }
            fft::AlignedBuffer<std::complex<T>> khat(h * (w / 2 + 1));
            fft::plan<T>(fft::Kind::r2c, h, w)->r2c(k.data(), khat.data());
            const T norm = T(1) / T(h * w);
            fft::filter_real(x.data(), y.data(), h, w, [&](std::size_t p, std::size_t q0, std::size_t q1, std::complex<T>* m) {
                for (std::size_t q = q0; q < q1; ++q) m[q - q0] = khat[p * (w / 2 + 1) + q] * norm;
            });
            double worst = 0, scale = 0;
            for (std::size_t i = 0; i < h; ++i)
                for (std::size_t j = 0; j < w; ++j) {
                    double acc = 0;
                    for (std::size_t a = 0; a < h; ++a)
                        for (std::size_t b = 0; b < w; ++b)
                            acc += double(k[a * w + b]) * double(x[((i + h - a) % h) * w + (j + w - b) % w]);
                    worst = std::max(worst, std::abs(acc - double(y[i * w + j])));
                    scale = std::max(scale, std::abs(acc));
                }
            CHECK(worst <= (std::is_same_v<T, float> ? 2e-5 : 1e-13) * std::max(1.0, scale) * double(h * w));
        }
    // Row batches and column strips split among lucid's threads: the same numbers, bit for bit.
    {
        const std::size_t h = 37, w = 100;
        fft::AlignedBuffer<T> x(h * w, fft::uninitialized), y1(h * w, fft::uninitialized), y2(h * w, fft::uninitialized);
        for (std::size_t i = 0; i < h * w; ++i) x[i] = T(u(rng));
        auto gain = [&](std::size_t p, std::size_t q0, std::size_t q1, std::complex<T>* m) {
            const double fp = double(std::min(p, h - p));
            for (std::size_t q = q0; q < q1; ++q) m[q - q0] = T(1 / (1 + 0.01 * (fp * fp + double(q * q))) / double(h * w));
        };
        const int before = num_threads();
        set_num_threads(1);
        fft::filter_real(x.data(), y1.data(), h, w, gain);
        set_num_threads(2);
        fft::filter_real(x.data(), y2.data(), h, w, gain);
        set_num_threads(before);
        CHECK(std::equal(y1.begin(), y1.end(), y2.begin()));
    }
    // odd widths have no packed layout: a clear error naming w
    fft::AlignedBuffer<T> a(15), b(15);
    CHECK_THROWS_WITH(fft::filter_real(a.data(), b.data(), 3, 5, [](std::size_t, std::size_t, std::size_t, std::complex<T>*) {}),
                      Catch::Contains("'w'") && Catch::Contains("even"));
    CHECK_THROWS_WITH(fft::filter_real(a.data(), b.data(), 0, 4, [](std::size_t, std::size_t, std::size_t, std::complex<T>*) {}),
                      Catch::Contains("'h'"));
}


TEMPLATE_TEST_CASE("conjugate gradient solves an SPD system", "[core][cg]", float, double) {
    using T = TestType;
    using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    const M a = random_matrix<T>(40, 30, 9);
    const M spd = a.transpose() * a + M::Identity(30, 30);
    const VectorX<T> b = random_matrix<T>(30, 1, 10);
    ops::MatrixOperator<M> A(spd);
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-11;
    auto r = conjugate_gradient(A, b, VectorX<T>(VectorX<T>::Zero(30)), {.max_iter = 200, .tol = tol});
    CHECK(r.status == Status::converged);
    const VectorX<T> exact = spd.ldlt().solve(b);
    CHECK((r.x - exact).norm() <= 50 * tol * exact.norm() * 30);
    CHECK(r.history.size() == std::size_t(r.iterations));
    // a callback can stop the run
    auto s = conjugate_gradient(A, b, VectorX<T>(VectorX<T>::Zero(30)), {.max_iter = 200, .tol = tol},
                                [](const auto& st) { return st.iteration >= 3; });
    CHECK(s.status == Status::stopped);
    CHECK(s.iterations == 3);
    CHECK_THROWS_AS(conjugate_gradient(A, b, b, {.max_iter = 0}), Error);
}

TEMPLATE_TEST_CASE("conjugate gradient reports a breakdown, never convergence, when the residual is not small",
                   "[core][cg][errors]", float, double) {
    using T = TestType;
    using M = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    const VectorX<T> b = random_matrix<T>(6, 1, 11);
    const VectorX<T> x0 = VectorX<T>::Zero(6);
    // A = 0 is semi-definite but singular on every direction: CG cannot move.
    auto z = conjugate_gradient(ops::MatrixOperator<M>(M(M::Zero(6, 6))), b, x0);
    CHECK(z.status == Status::diverged);
    CHECK(z.iterations == 0);
    CHECK_THAT(z.message, Catch::Contains("curvature"));
    CHECK(z.x == x0);
    // The same on images.
    const Image<T> bi({4, 4}, T(1));
    ops::Identity<Image<T>> I({4, 4});
    auto zi = conjugate_gradient(T(0) * I, bi, Image<T>({4, 4}, T(0)));
    CHECK(zi.status == Status::diverged);
    CHECK(all_finite(zi.x));
    // A = −I is negative definite: bad input, named.
    CHECK_THROWS_AS(conjugate_gradient(ops::MatrixOperator<M>(M(-M::Identity(6, 6))), b, x0), Error);
    CHECK_THROWS_WITH(conjugate_gradient(ops::MatrixOperator<M>(M(-M::Identity(6, 6))), b, x0),
                      Catch::Contains("'op'") && Catch::Contains("positive"));
    CHECK_THROWS_WITH(conjugate_gradient(-I, bi, Image<T>({4, 4}, T(0))), Catch::Contains("'op'"));
    // Singular but consistent (b in the range): still converges.
    M d = M::Identity(6, 6);
    d(5, 5) = 0;
    VectorX<T> bc = b;
    bc(5) = 0;
    auto c = conjugate_gradient(ops::MatrixOperator<M>(d), bc, x0);
    CHECK(c.status == Status::converged);
    CHECK((c.x - bc).norm() <= 1e-4 * bc.norm());
}

TEST_CASE("conjugate gradient names b and x0 in its input errors", "[core][cg][errors]") {
    ops::Identity<Image<double>> I({16, 16});
    const Image<double> b({16, 16}, 1.0), x0({16, 16}, 0.0), small({8, 8}, 0.0);
    CHECK_THROWS_AS(conjugate_gradient(I, b, small), ShapeError);
    CHECK_THROWS_WITH(conjugate_gradient(I, b, small), Catch::Contains("'x0'") && Catch::Contains("16x16") &&
                                                           Catch::Contains("8x8") && !Catch::Contains("lincomb"));
    CHECK_THROWS_WITH(conjugate_gradient(I, small, x0), Catch::Contains("'b'") && Catch::Contains("16x16") &&
                                                            Catch::Contains("8x8"));
    CgWorkspace<Image<double>> ws(x0);
    Image<double> x = small;
    CHECK_THROWS_WITH(conjugate_gradient_inplace(I, b, x, ws), Catch::Contains("'x'") && Catch::Contains("8x8"));
    Image<double> bad = x0;
    bad(2, 3) = std::nan("");
    CHECK_THROWS_WITH(conjugate_gradient(I, b, bad), Catch::Contains("'x0'") && Catch::Contains("finite"));
    CHECK_THROWS_WITH(conjugate_gradient(I, bad, x0), Catch::Contains("'b'") && Catch::Contains("finite"));
}

TEST_CASE("npy round trip through numpy", "[core][peers]") {
    xt::xtensor<double, 2> a({3, 5});
    for (std::size_t i = 0; i < a.size(); ++i) a.data()[i] = double(i) * 0.5;
    const auto in = lucid::test::scratch_dir() / "a.npy";
    const auto out = lucid::test::scratch_dir() / "b.npy";
    lucid::test::write_npy(in, a);
    if (!lucid::test::python_has("numpy")) {
        WARN("skipped: python3-numpy is not installed");
        return;
    }
    lucid::test::run_python_code("import numpy as np, sys\nnp.save(sys.argv[2], np.load(sys.argv[1]).T * 2)\n",
                                 {in.string(), out.string()});
    auto b = lucid::test::read_npy<double>(out);
    REQUIRE(b.shape()[0] == 5);
    CHECK(b(4, 2) == Approx(2 * a(2, 4)));
}

TEST_CASE("parallel_for: an exception in the body reaches the caller (not std::terminate)", "[core][threads]") {
    const int saved = num_threads();
    set_num_threads(2);
    const std::ptrdiff_t n = 1 << 17;  // above the serial threshold: the OpenMP path
    std::vector<int> hit(std::size_t(n), 0);
    CHECK_THROWS_WITH(parallel_for(0, n,
                                   [&](std::ptrdiff_t i) {
                                       if (i == n - 3) throw Error("lucid::test: body failed at i = n - 3");
                                       hit[std::size_t(i)] = 1;
                                   }),
                      Catch::Contains("body failed"));
    // the other iterations ran; nothing else is promised about them
    CHECK(hit[0] == 1);
    set_num_threads(saved);
}
