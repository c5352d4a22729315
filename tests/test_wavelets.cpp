// Wavelets: filters, the orthonormal DWT (vs PyWavelets), the stationary Parseval frame.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <xtensor/xview.hpp>

#include "lucid/lucid.hpp"
#include "lucid/ops/stationary_wavelet2d.hpp"
#include "lucid/ops/wavelet2d.hpp"
#include "lucid/ops/wavelet_filters.hpp"
#include "support/peers.hpp"
#include "support/compare.hpp"
#include "support/isa.hpp"

using namespace lucid;
using lucid::test::max_abs_diff;

namespace {

const std::vector<std::string> all_wavelets = {"haar", "db2",  "db3",  "db4",  "db5",  "db6",  "db7",  "db8",
                                               "sym2", "sym3", "sym4", "sym5", "sym6", "sym7", "sym8", "coif1",
                                               "coif2", "coif3", "coif4", "coif5"};

template <class T, std::size_t N>
xt::xtensor<T, N> random_array(const std::array<std::size_t, N>& shape, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> u(0, 1);
    xt::xtensor<T, N> x(shape);
    for (auto& v : x) v = T(u(rng));
    return x;
}

template <class T>
double tol() { return std::is_same_v<T, float> ? 1e-5 : 1e-12; }

// Orthonormality defect of a filter pair: max_m |Σ_k f[k] f[k+2m] − δ_m|, |Σ_k f[k] g[k+2m]|.
// PyWavelets' (published) symlet taps are orthonormal to ~5e-12 only; everything built
// from them is orthonormal to that level, the others to round-off.
double filter_defect(const std::string& name) {
    const auto& f = ops::wavelet_filter(name);
    const long F = long(f.length());
    double worst = 0;
    for (long m = -F / 2; m <= F / 2; ++m) {
        double ff = 0, fg = 0;
        for (long k = 0; k < F; ++k) {
            const long q = k + 2 * m;
            if (q < 0 || q >= F) continue;
            ff += f.dec_lo[std::size_t(k)] * f.dec_lo[std::size_t(q)];
            fg += f.dec_lo[std::size_t(k)] * f.dec_hi[std::size_t(q)];
        }
        worst = std::max({worst, std::abs(ff - (m == 0 ? 1.0 : 0.0)), std::abs(fg)});
    }
    return worst;
}

std::string python_list(const std::vector<std::string>& names) {
    std::string s = "[";
    for (const auto& n : names) s += "'" + n + "',";
    return s + "]";
}

}  // namespace

TEST_CASE("wavelet filters are orthonormal quadrature mirror pairs", "[wavelets][filters]") {
    for (const auto& name : all_wavelets) {
        CAPTURE(name);
        const auto& f = ops::wavelet_filter(name);
        const std::size_t F = f.length();
        REQUIRE(F % 2 == 0);
        REQUIRE(f.dec_hi.size() == F);
        double sum = 0;
        for (double v : f.dec_lo) sum += v;
        CHECK(sum == Approx(std::sqrt(2.0)).epsilon(1e-14));
        for (std::size_t k = 0; k < F; ++k) {
            const double qmf = ((k % 2) ? 1.0 : -1.0) * f.dec_lo[F - 1 - k];
            CHECK(f.dec_hi[k] == qmf);
        }
        // Σ_k f[k] f[k + 2m] = δ_m (orthonormal even shifts) and Σ_k f[k] g[k + 2m] = 0 for all m:
        // to round-off for haar/db/coif, to the 12 digits of the published tables for sym
        const bool symlet = name.rfind("sym", 0) == 0;
        CHECK(filter_defect(name) < (symlet ? 1e-11 : 1e-15));
    }
    CHECK(ops::wavelet_filter("db1").name == "haar");
    CHECK(ops::wavelet_filter("coif5").length() == 30);
    CHECK_THROWS_WITH(ops::wavelet_filter("db42"), Catch::Contains("'name'") && Catch::Contains("sym8"));
}

TEST_CASE("one Haar level equals the 2x2 block formulas", "[wavelets][dwt]") {
    const std::size_t h = 4, w = 6;
    const auto x = random_array<double, 2>({h, w}, 1);
    ops::Wavelet2D<double> W("haar", {h, w}, 1);
    const auto y = W(x);
    for (std::size_t i = 0; i < h / 2; ++i)
        for (std::size_t j = 0; j < w / 2; ++j) {
            const double a = x(2 * i, 2 * j), b = x(2 * i, 2 * j + 1), c = x(2 * i + 1, 2 * j), d = x(2 * i + 1, 2 * j + 1);
            CHECK(y(i, j) == Approx((a + b + c + d) / 2).margin(1e-14));                  // cA
            CHECK(y(h / 2 + i, j) == Approx((a + b - c - d) / 2).margin(1e-14));          // cH: top − bottom
            CHECK(y(i, w / 2 + j) == Approx((a - b + c - d) / 2).margin(1e-14));          // cV: left − right
            CHECK(y(h / 2 + i, w / 2 + j) == Approx((a - b - c + d) / 2).margin(1e-14));  // cD
        }
}

TEMPLATE_TEST_CASE("Wavelet2D is orthonormal, invertible and passes the adjoint test", "[wavelets][dwt][adjoint]", float,
                   double) {
    using T = TestType;
    for (const test::Isa isa : test::available_isas())
    for (const auto& name : all_wavelets) {
        for (auto [h, w, levels] : {std::tuple<std::size_t, std::size_t, int>{24, 40, 3}, {64, 32, 5}, {2, 6, 1}}) {
            const test::ForceIsa use(isa);
            CAPTURE(test::to_string(isa), name, h, w, levels);
            ops::Wavelet2D<T> W(name, {h, w}, levels);
            const auto x = random_array<T, 2>({h, w}, 3);
            const auto y = W(x);
            // orthonormal up to round-off and the taps' own defect (see filter_defect)
            const double rel = 10 * tol<T>() + 4 * levels * filter_defect(name);
            CHECK(std::abs(double(norm(y)) - double(norm(x))) <= rel * double(norm(x)));
            const auto back = W.adjoint_of(y);
            CHECK(double(distance(back, x)) <= rel * double(norm(x)));
            // the adjoint is the exact transpose, whatever the taps
            CHECK(adjoint_test(W, 7).relative_error < tol<T>());
            // W Wᵀ = I too (square and orthonormal)
            CHECK(double(distance(W(W.adjoint_of(x)), x)) <= rel * double(norm(x)));
        }
    }
}

TEMPLATE_TEST_CASE("Wavelet2D matches PyWavelets wavedec2/waverec2 (periodization) for every wavelet",
                   "[wavelets][dwt][peers]", float, double) {
    using T = TestType;
    if (!test::python_has("pywt")) {
        WARN("skipped: python3-pywt is not installed");
        return;
    }
    // a non-square image, and levels deep enough that the longest filters wrap around the coarsest blocks
    const std::size_t h = 48, w = 80;
    const int levels = 3;
    const auto x = random_array<double, 2>({h, w}, 11);
    const auto c = random_array<double, 2>({h, w}, 12);
    const auto dir = test::scratch_dir();
    test::write_npy(dir / "dwt_x.npy", x);
    test::write_npy(dir / "dwt_c.npy", c);
    test::run_python_code(
        "import sys, numpy as np, pywt\n"
        "d = sys.argv[1]; x = np.load(d + '/dwt_x.npy'); c = np.load(d + '/dwt_c.npy')\n"
        "fwd, inv = [], []\n"
        "for name in " + python_list(all_wavelets) + ":\n"
        "    coeffs = pywt.wavedec2(x, name, mode='periodization', level=" + std::to_string(levels) + ")\n"
        "    arr, slices = pywt.coeffs_to_array(coeffs)\n"
        "    fwd.append(arr)\n"
        "    cc = pywt.array_to_coeffs(c, slices, output_format='wavedec2')\n"
        "    inv.append(pywt.waverec2(cc, name, mode='periodization'))\n"
        "np.save(d + '/dwt_fwd.npy', np.array(fwd)); np.save(d + '/dwt_inv.npy', np.array(inv))\n",
        {dir.string()});
    const auto fwd = test::read_npy<double>(dir / "dwt_fwd.npy");
    const auto inv = test::read_npy<double>(dir / "dwt_inv.npy");
    REQUIRE(fwd.shape()[0] == all_wavelets.size());
    const Image<T> xt_ = xt::cast<T>(x), ct = xt::cast<T>(c);
    std::ostringstream report;
    std::map<std::string, double> family_worst;
    double worst = 0;
    // every kernel copy the CPU runs: portable, AVX2+FMA, AVX-512
    for (const test::Isa isa : test::available_isas())
    for (std::size_t k = 0; k < all_wavelets.size(); ++k) {
        const test::ForceIsa use(isa);
        CAPTURE(test::to_string(isa), all_wavelets[k]);
        ops::Wavelet2D<T> W(all_wavelets[k], {h, w}, levels);
        Image<double> ref = xt::view(fwd, k);
        Image<double> ref_inv = xt::view(inv, k);
        const double e1 = max_abs_diff(W(xt_), ref);
        const double e2 = max_abs_diff(W.adjoint_of(ct), ref_inv);
        // double: 1e-10 absolute on O(1) data; float: round-off of ~F·levels sums of O(1) terms
        const double bound = std::is_same_v<T, float> ? 2e-5 : 1e-10;
        CHECK(e1 < bound);
        CHECK(e2 < bound);
        worst = std::max({worst, e1, e2});
        const std::string family = all_wavelets[k].substr(0, all_wavelets[k].find_first_of("0123456789"));
        family_worst[family] = std::max({family_worst[family], e1, e2});
    }
    for (const auto& [family, e] : family_worst) report << family << " " << e << "; ";
    WARN("max |lucid - pywt| (wavedec2 and waverec2, " << (std::is_same_v<T, float> ? "float" : "double")
                                                        << ") per family: " << report.str());
}

TEST_CASE("Wavelet2D sub-bands tile the plane in PyWavelets' order", "[wavelets][dwt]") {
    ops::Wavelet2D<double> W("db2", {32, 48}, 3);
    CHECK(W.approximation_shape() == Shape<2>{4, 6});
    CHECK(W.levels() == 3);
    CHECK(W.filter_length() == 4);
    CHECK(W.name() == "db2");
    CHECK(ops::Wavelet2D<float>("db1", {4, 4}, 1).name() == "haar");
    const auto bands = W.subbands();
    REQUIRE(bands.size() == 10);
    CHECK(bands[0].orientation == ops::WaveletOrientation::approximation);
    CHECK(bands[1].level == 3);
    CHECK(bands[1].orientation == ops::WaveletOrientation::horizontal);
    CHECK(bands[9].level == 1);
    CHECK(bands[9].orientation == ops::WaveletOrientation::diagonal);
    // cH_1 is the bottom-left quarter, cV_1 the top-right one
    CHECK(bands[7].row == 16);
    CHECK(bands[7].col == 0);
    CHECK(bands[8].row == 0);
    CHECK(bands[8].col == 24);
    xt::xtensor<int, 2> cover = xt::zeros<int>({32, 48});
    for (const auto& b : bands)
        for (std::size_t i = b.row; i < b.row + b.rows; ++i)
            for (std::size_t j = b.col; j < b.col + b.cols; ++j) cover(i, j) += 1;
    CHECK(xt::amin(cover)() == 1);
    CHECK(xt::amax(cover)() == 1);
    // a constant image has only approximation coefficients (vanishing moments)
    Image<double> ones = xt::ones<double>({32, 48});
    const auto c = W(ones);
    const auto a = W.approximation_shape();
    double detail = 0;
    for (std::size_t i = 0; i < 32; ++i)
        for (std::size_t j = 0; j < 48; ++j)
            if (i >= a[0] || j >= a[1]) detail = std::max(detail, std::abs(c(i, j)));
    CHECK(detail < 1e-10);  // sym/db taps sum to √2 up to round-off; the high-pass taps to 0
    CHECK(c(0, 0) == Approx(8.0));  // (√2)^(2·3)
    CHECK(ops::max_wavelet_levels({48, 80}) == 4);
    CHECK(ops::max_wavelet_levels({7, 8}) == 0);
}

TEMPLATE_TEST_CASE("Wavelet2D on stacks transforms each channel", "[wavelets][dwt]", float, double) {
    using T = TestType;
    const auto x = random_array<T, 3>({3, 16, 24}, 21);
    ops::Wavelet2D<T, 3> W3("sym4", {3, 16, 24}, 2);
    ops::Wavelet2D<T> W2("sym4", {16, 24}, 2);
    const auto y = W3(x);
    for (std::size_t c = 0; c < 3; ++c) {
        Image<T> plane = xt::view(x, c);
        Image<T> yc = xt::view(y, c);
        CHECK(max_abs_diff(W2(plane), yc) == 0);
    }
    CHECK(adjoint_test(W3, 2).relative_error < tol<T>());
    CHECK(distance(W3.adjoint_of(y), x) <= 100 * tol<T>() * norm(x));
}

TEST_CASE("Wavelet2D rejects bad arguments", "[wavelets][errors]") {
    CHECK_THROWS_WITH(ops::Wavelet2D<double>("db9", {16, 16}, 2), Catch::Contains("'name'") && Catch::Contains("coif5"));
    CHECK_THROWS_WITH(ops::Wavelet2D<double>("haar", {16, 16}, 0), Catch::Contains("'levels'") && Catch::Contains(">= 1"));
    CHECK_THROWS_WITH(ops::Wavelet2D<double>("haar", {16, 16}, -2), Catch::Contains("'levels'"));
    // 2^levels must divide H and W: 100×60 allows 2 levels
    CHECK_NOTHROW(ops::Wavelet2D<double>("haar", {100, 60}, 2));
    CHECK_THROWS_WITH(ops::Wavelet2D<double>("haar", {100, 60}, 3),
                      Catch::Contains("'levels'") && Catch::Contains("2^levels divides") &&
                          Catch::Contains("100x60") && Catch::Contains("at most 2"));
    CHECK_THROWS_WITH(ops::Wavelet2D<float>("db2", {15, 16}, 1), Catch::Contains("'levels'") && Catch::Contains("15x16"));
    CHECK_THROWS_WITH(ops::Wavelet2D<double>("db2", {0, 16}, 1), Catch::Contains("'shape'"));
    CHECK_THROWS_WITH((ops::Wavelet2D<double, 3>("db2", {2, 6, 10}, 2)), Catch::Contains("'levels'"));
    ops::Wavelet2D<double> W("db2", {8, 8}, 2);
    Image<double> good({8, 8}), bad({8, 6});
    CHECK_THROWS_WITH(W.apply(bad, good), Catch::Contains("'x'") && Catch::Contains("8x8"));
    CHECK_THROWS_AS(W.apply(good, bad), ShapeError);
    CHECK_THROWS_WITH(W.apply_adjoint(bad, good), Catch::Contains("'y'"));
}

// ---- stationary (undecimated) frame -------------------------------------------------

TEMPLATE_TEST_CASE("StationaryWavelet2D is a Parseval frame: WᵀW = I, ‖Wx‖ = ‖x‖", "[wavelets][swt][adjoint]", float,
                   double) {
    using T = TestType;
    for (const test::Isa isa : test::available_isas())
    for (const auto& name : all_wavelets) {
        // any size: divisible by 2^L or not, smaller than the dilated filters
        for (auto [h, w, levels] : {std::tuple<std::size_t, std::size_t, int>{24, 40, 3}, {30, 18, 2}, {7, 5, 2}, {1, 9, 3}}) {
            const test::ForceIsa use(isa);
            CAPTURE(test::to_string(isa), name, h, w, levels);
            ops::StationaryWavelet2D<T> S(name, {h, w}, levels);
            CHECK(S.range_shape() == Shape<3>{std::size_t(3 * levels + 1), h, w});
            const auto x = random_array<T, 2>({h, w}, 31);
            const auto c = S(x);
            const double rel = 10 * tol<T>() + 4 * levels * filter_defect(name);
            CHECK(std::abs(double(norm(c)) - double(norm(x))) <= rel * double(norm(x)));
            CHECK(double(distance(S.adjoint_of(c), x)) <= rel * double(norm(x)));
            CHECK(adjoint_test(S, 5).relative_error < tol<T>());
        }
    }
}

TEMPLATE_TEST_CASE("StationaryWavelet2D matches pywt.swt2(norm=True, trim_approx=True)", "[wavelets][swt][peers]", float,
                   double) {
    using T = TestType;
    if (!test::python_has("pywt")) {
        WARN("skipped: python3-pywt is not installed");
        return;
    }
    const std::size_t h = 32, w = 48;
    const int levels = 3;
    const auto x = random_array<double, 2>({h, w}, 41);
    const auto dir = test::scratch_dir();
    test::write_npy(dir / "swt_x.npy", x);
    test::run_python_code(
        "import sys, numpy as np, pywt\n"
        "d = sys.argv[1]; x = np.load(d + '/swt_x.npy')\n"
        "out = []\n"
        "for name in " + python_list(all_wavelets) + ":\n"
        "    c = pywt.swt2(x, name, level=" + std::to_string(levels) + ", trim_approx=True, norm=True)\n"
        "    out.append(np.array([c[0]] + [b for lev in c[1:] for b in lev]))\n"
        "np.save(d + '/swt_ref.npy', np.array(out))\n",
        {dir.string()});
    const auto ref = test::read_npy<double>(dir / "swt_ref.npy");
    REQUIRE(ref.shape()[0] == all_wavelets.size());
    REQUIRE(ref.shape()[1] == std::size_t(3 * levels + 1));
    const Image<T> xt_ = xt::cast<T>(x);
    std::map<std::string, double> family_worst;
    double worst = 0;
    for (const test::Isa isa : test::available_isas())
    for (std::size_t k = 0; k < all_wavelets.size(); ++k) {
        const test::ForceIsa use(isa);
        CAPTURE(test::to_string(isa), all_wavelets[k]);
        ops::StationaryWavelet2D<T> S(all_wavelets[k], {h, w}, levels);
        xt::xtensor<double, 3> r = xt::view(ref, k);
        const double e = max_abs_diff(S(xt_), r);
        CHECK(e < (std::is_same_v<T, float> ? 2e-5 : 1e-10));
        worst = std::max(worst, e);
        const std::string family = all_wavelets[k].substr(0, all_wavelets[k].find_first_of("0123456789"));
        family_worst[family] = std::max(family_worst[family], e);
    }
    std::ostringstream report;
    for (const auto& [family, e] : family_worst) report << family << " " << e << "; ";
    WARN("max |lucid swt - pywt.swt2| (" << (std::is_same_v<T, float> ? "float" : "double")
                                         << ") per family: " << report.str());
}

TEST_CASE("StationaryWavelet2D: one Haar level by hand, band layout, stacks", "[wavelets][swt]") {
    const std::size_t h = 4, w = 6;
    const auto x = random_array<double, 2>({h, w}, 51);
    ops::StationaryWavelet2D<double> S("haar", {h, w}, 1);
    const auto c = S(x);
    // periodic 2×2 windows starting at (i, j), scaled by 1/2 (1/√2 per axis) twice more than the DWT's
    for (std::size_t i = 0; i < h; ++i)
        for (std::size_t j = 0; j < w; ++j) {
            const double a = x(i, j), b = x(i, (j + 1) % w), cc = x((i + 1) % h, j), d = x((i + 1) % h, (j + 1) % w);
            CHECK(c(0, i, j) == Approx((a + b + cc + d) / 4).margin(1e-14));
            CHECK(c(1, i, j) == Approx((a + b - cc - d) / 4).margin(1e-14));  // cH
            CHECK(c(2, i, j) == Approx((a - b + cc - d) / 4).margin(1e-14));  // cV
            CHECK(c(3, i, j) == Approx((a - b - cc + d) / 4).margin(1e-14));  // cD
        }
    ops::StationaryWavelet2D<double> S3("db3", {8, 8}, 3);
    CHECK(S3.bands() == 10);
    CHECK(S3.band_index(3, ops::WaveletOrientation::approximation) == 0);
    CHECK(S3.band_index(3, ops::WaveletOrientation::horizontal) == 1);
    CHECK(S3.band_index(1, ops::WaveletOrientation::diagonal) == 9);
    CHECK(S3.band_info(5).first == 2);
    CHECK(S3.band_info(5).second == ops::WaveletOrientation::vertical);
    CHECK_THROWS_WITH(S3.band_index(4, ops::WaveletOrientation::vertical), Catch::Contains("'level'"));
    CHECK_THROWS_WITH(S3.band_info(10), Catch::Contains("'b'"));
    // stacks: range {3L+1, C, H, W}, each channel transformed alone
    const auto xs = random_array<double, 3>({2, 8, 10}, 52);
    ops::StationaryWavelet2D<double, 3> SS("db2", {2, 8, 10}, 2);
    ops::StationaryWavelet2D<double> S2("db2", {8, 10}, 2);
    CHECK(SS.range_shape() == Shape<4>{7, 2, 8, 10});
    const auto cs = SS(xs);
    for (std::size_t ch = 0; ch < 2; ++ch) {
        Image<double> plane = xt::view(xs, ch);
        const auto c2 = S2(plane);
        for (std::size_t b = 0; b < 7; ++b)
            for (std::size_t i = 0; i < 8; ++i)
                for (std::size_t j = 0; j < 10; ++j) CHECK(cs(b, ch, i, j) == c2(b, i, j));
    }
    CHECK(adjoint_test(SS, 3).relative_error < 1e-12);
    CHECK(distance(SS.adjoint_of(cs), xs) < 1e-12 * norm(xs));
}

TEST_CASE("StationaryWavelet2D rejects bad arguments", "[wavelets][swt][errors]") {
    CHECK_THROWS_WITH(ops::StationaryWavelet2D<double>("bior2.2", {16, 16}, 2), Catch::Contains("'name'"));
    CHECK_THROWS_WITH(ops::StationaryWavelet2D<double>("haar", {16, 16}, 0), Catch::Contains("'levels'"));
    CHECK_NOTHROW(ops::StationaryWavelet2D<double>("haar", {16, 9}, 4));
    CHECK_THROWS_WITH(ops::StationaryWavelet2D<double>("haar", {16, 9}, 5),
                      Catch::Contains("'levels'") && Catch::Contains("16x9") && Catch::Contains("at most 4"));
    CHECK_THROWS_WITH(ops::StationaryWavelet2D<float>("haar", {16, 0}, 1), Catch::Contains("'shape'"));
    ops::StationaryWavelet2D<double> S("db2", {8, 8}, 2);
    Image<double> x({8, 8});
    xt::xtensor<double, 3> bad({6, 8, 8});
    CHECK_THROWS_WITH(S.apply(x, bad), Catch::Contains("'y'") && Catch::Contains("7x8x8"));
    CHECK_THROWS_AS(S.apply_adjoint(bad, x), ShapeError);
}

TEMPLATE_TEST_CASE("wavelet operators work inside the operator algebra", "[wavelets][algebra]", float, double) {
    using T = TestType;
    ops::Wavelet2D<T> W("db3", {16, 32}, 2);
    ops::StationaryWavelet2D<T> S("db3", {16, 32}, 2);
    // gram spectra report the identity
    REQUIRE(gram(W).spectrum().has_value());
    CHECK(gram(S).spectrum()->values(0, 0, 0) == std::complex<T>(1));
    const auto x = random_array<T, 2>({16, 32}, 61);
    CHECK(distance(gram(S)(x), x) <= 100 * tol<T>() * norm(x));
    CHECK(adjoint_test(compose(adjoint(W), W), 4).relative_error < tol<T>());
}

TEST_CASE("wavelet transforms give identical results on 1 and 2 threads", "[wavelets][threads]") {
    // 256×192 is above the size where row and column passes run in parallel
    const auto x = random_array<double, 2>({256, 192}, 71);
    const int before = num_threads();
    set_num_threads(2);
    ops::Wavelet2D<double> W2("db4", {256, 192}, 4);
    ops::StationaryWavelet2D<double> S2("sym3", {256, 192}, 2);
    const auto y2 = W2(x);
    const auto b2 = W2.adjoint_of(y2);
    const auto c2 = S2(x);
    const auto a2 = S2.adjoint_of(c2);
    set_num_threads(1);
    ops::Wavelet2D<double> W1("db4", {256, 192}, 4);
    ops::StationaryWavelet2D<double> S1("sym3", {256, 192}, 2);
    CHECK(max_abs_diff(W1(x), y2) == 0);
    CHECK(max_abs_diff(W1.adjoint_of(y2), b2) == 0);
    CHECK(max_abs_diff(S1(x), c2) == 0);
    CHECK(max_abs_diff(S1.adjoint_of(c2), a2) == 0);
    // an operator built for 2 threads still works when fewer are allowed, and vice versa
    CHECK(max_abs_diff(W2(x), y2) == 0);
    set_num_threads(2);
    CHECK(max_abs_diff(W1(x), y2) == 0);
    CHECK(distance(b2, x) < 1e-12 * norm(x));
    CHECK(distance(a2, x) < 1e-10 * norm(x));
    set_num_threads(before);
}
