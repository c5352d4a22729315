// Metrics: MSE and PSNR closed forms, SSIM properties and agreement with
// scikit-image 0.19 structural_similarity on the shipped photos.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <string>

#include "lucid/lucid.hpp"
#include "support/peers.hpp"
#include "support/compare.hpp"

using namespace lucid;
using lucid::test::max_abs_diff;
namespace fs = std::filesystem;

namespace {

template <class T>
Image<T> random_image(std::size_t h, std::size_t w, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    Image<T> x({h, w});
    for (auto& v : x) v = T(u(rng));
    return x;
}

template <class E>
E add_noise(E x, double sigma, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<double> n(0, sigma);
    for (auto& v : x) v = typename E::value_type(double(v) + n(rng));
    return x;
}

// (2b+1)×(2b+1) box blur of every plane with half-sample symmetric borders.
template <class E>
E box_blur(const E& x, std::ptrdiff_t b) {
    E out = x;
    const auto& s = x.shape();
    const std::size_t rank = s.size();
    const std::ptrdiff_t h = std::ptrdiff_t(s[rank - 2]), w = std::ptrdiff_t(s[rank - 1]);
    const std::size_t planes = x.size() / std::size_t(h * w);
    auto refl = [](std::ptrdiff_t i, std::ptrdiff_t n) { return i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i; };
    for (std::size_t p = 0; p < planes; ++p) {
        const auto* src = x.data() + p * std::size_t(h * w);
        auto* dst = out.data() + p * std::size_t(h * w);
        for (std::ptrdiff_t i = 0; i < h; ++i)
            for (std::ptrdiff_t j = 0; j < w; ++j) {
                double s = 0;
                for (std::ptrdiff_t di = -b; di <= b; ++di)
                    for (std::ptrdiff_t dj = -b; dj <= b; ++dj) s += src[refl(i + di, h) * w + refl(j + dj, w)];
                dst[i * w + j] = typename E::value_type(s / double((2 * b + 1) * (2 * b + 1)));
            }
    }
    return out;
}

fs::path scratch(const std::string& name) {
    const fs::path dir = test::scratch_dir() / "metrics";
    fs::create_directories(dir);
    return dir / name;
}

}  // namespace

TEMPLATE_TEST_CASE("MSE and PSNR: closed forms", "[metrics][psnr]", float, double) {
    using T = TestType;
    Image<T> a({16, 12}, T(0.5)), b({16, 12}, T(0.6));
    CHECK(metrics::mse(a, b) == Approx(0.01).epsilon(1e-6));
    CHECK(metrics::psnr(a, b) == Approx(20.0).epsilon(1e-6));                          // 10 log10(1 / 0.01)
    CHECK(metrics::psnr(a, b, 255.0) == Approx(20.0 + 20 * std::log10(255.0)).epsilon(1e-6));
    CHECK(metrics::mse(a, a) == 0.0);
    CHECK(metrics::psnr(a, a) == std::numeric_limits<double>::infinity());

    // random images: the definition, summed independently
    const auto x = random_image<T>(33, 17, 1), y = random_image<T>(33, 17, 2);
    long double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += std::pow((long double)x.data()[i] - (long double)y.data()[i], 2);
    const double want = double(s / x.size());
    CHECK(metrics::mse(x, y) == Approx(want).epsilon(1e-12));
    CHECK(metrics::mse(y, x) == metrics::mse(x, y));
    CHECK(metrics::psnr(x, y, 2.0) == Approx(10 * std::log10(4.0 / want)).epsilon(1e-12));

    // stacks pool all channels: half the channels differ by 0.2, half are equal -> MSE 0.02
    ImageStack<T> p({2, 8, 8}, T(0.3)), q({2, 8, 8}, T(0.3));
    for (std::size_t i = 0; i < 64; ++i) q.data()[i] = T(0.5);
    CHECK(metrics::mse(p, q) == Approx(0.02).epsilon(1e-6));
    CHECK(metrics::psnr(p, q) == Approx(10 * std::log10(50.0)).epsilon(1e-6));
}

TEST_CASE("MSE and PSNR reject bad input", "[metrics][errors]") {
    Image<double> a({4, 4}, 0.5), b({4, 5}, 0.5);
    CHECK_THROWS_AS(metrics::mse(a, b), ShapeError);
    CHECK_THROWS_WITH(metrics::mse(a, b), Catch::Contains("'b'") && Catch::Contains("4x4"));
    CHECK_THROWS_WITH(metrics::psnr(a, b), Catch::Contains("'img'"));
    Image<double> c({4, 4}, 0.5);
    c(1, 1) = std::nan("");
    CHECK_THROWS_WITH(metrics::psnr(a, c), Catch::Contains("'img'") && Catch::Contains("finite"));
    CHECK_THROWS_WITH(metrics::psnr(c, a), Catch::Contains("'ref'"));
    CHECK_THROWS_WITH(metrics::psnr(a, a, 0.0), Catch::Contains("data_range"));
    CHECK_THROWS_WITH(metrics::psnr(a, a, std::nan("")), Catch::Contains("data_range"));
    Image<double> e({0, 4});
    CHECK_THROWS_WITH(metrics::mse(e, e), Catch::Contains("non-empty"));
}

TEST_CASE("PSNR of finite images whose squared errors leave double's range", "[metrics][psnr]") {
    // One of n = 16 pixels differs by d: MSE = d²/16, PSNR = 20 log10(R) − 20 log10(d) + 10 log10(16).
    auto one_off = [](double base, double d) {
        Image<double> a({4, 4}, base), b({4, 4}, base);
        b(2, 1) = base + d;
        return std::pair{a, b};
    };
    auto closed = [](double R, double d) { return 20 * std::log10(R) - 20 * std::log10(d) + 10 * std::log10(16.0); };
    {
        auto [a, b] = one_off(0.0, 0.5);  // R² = 1e400 overflowed: +inf was returned
        CHECK(metrics::psnr(a, b, 1e200) == Approx(closed(1e200, 0.5)).epsilon(1e-12));
    }
    {
        auto [a, b] = one_off(0.0, 1e-170);  // d² underflowed to 0: "equal", +inf
        CHECK(metrics::psnr(a, b, 1e-160) == Approx(closed(1e-160, 1e-170)).epsilon(1e-12));
    }
    {
        Image<double> a({4, 4}, 1e160), b({4, 4}, -1e160);  // MSE overflowed: inf/inf = NaN
        CHECK(metrics::psnr(a, b, 2e160) == Approx(0.0).margin(1e-12));
        Image<double> c({4, 4}, 1e308), d({4, 4}, -1e308);  // even a − b overflows
        CHECK(metrics::psnr(c, d, 1e308) == Approx(20 * std::log10(0.5)).epsilon(1e-12));
    }
    Image<double> z({4, 4}, 1e-300);
    CHECK(metrics::psnr(z, z, 1e-300) == std::numeric_limits<double>::infinity());
}

TEMPLATE_TEST_CASE("SSIM: identity, symmetry, constants, bounds", "[metrics][ssim]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
    const auto x = random_image<T>(40, 35, 3);
    CHECK(metrics::ssim(x, x) == Approx(1.0).margin(tol));
    const auto full = metrics::ssim_map(x, x);
    for (auto v : full.map) CHECK(double(v) == Approx(1.0).margin(tol));

    const auto y = add_noise(x, 0.1, 4);
    const double s = metrics::ssim(x, y);
    CHECK(s < 0.99);
    CHECK(s > -1);
    CHECK(metrics::ssim(y, x) == Approx(s).margin(tol));

    // constant images a, b: σ = 0, so SSIM = (2ab + C1) / (a² + b² + C1) everywhere
    const double a = 0.25, b = 0.625, C1 = 1e-4;  // exact in float
    Image<T> ca({20, 20}, T(a)), cb({20, 20}, T(b));
    CHECK(metrics::ssim(ca, cb) == Approx((2 * a * b + C1) / (a * a + b * b + C1)).margin(tol));
    // with data_range R the constants scale: C1 = (0.01 R)²
    CHECK(metrics::ssim(ca, cb, {.data_range = 2.0}) == Approx((2 * a * b + 4e-4) / (a * a + b * b + 4e-4)).margin(tol));

    // a negative image anti-correlates
    Image<T> neg = x;
    for (auto& v : neg) v = T(1) - v;
    CHECK(metrics::ssim(x, neg) < 0);

    // the mean is the mean of the map cropped by r = 5 on each side
    const auto m = metrics::ssim_map(x, y);
    double sum = 0;
    for (std::size_t i = 5; i < 35; ++i)
        for (std::size_t j = 5; j < 30; ++j) sum += double(m.map(i, j));
    CHECK(m.mean == Approx(sum / (30.0 * 25.0)).margin(1e-12));
    CHECK(m.mean == Approx(s).margin(1e-15));

    // a stack averages its channels' mean SSIM
    ImageStack<T> xs({2, 40, 35}), ys({2, 40, 35});
    std::copy(x.begin(), x.end(), xs.begin());
    std::copy(x.begin(), x.end(), xs.begin() + 40 * 35);
    std::copy(y.begin(), y.end(), ys.begin());
    std::copy(x.begin(), x.end(), ys.begin() + 40 * 35);
    CHECK(metrics::ssim(xs, ys) == Approx((s + 1.0) / 2).margin(tol));
    const auto ms = metrics::ssim_map(xs, ys);
    CHECK(ms.map.shape() == xs.shape());
    CHECK(std::equal(m.map.begin(), m.map.end(), ms.map.begin()));  // channel 0 = the H×W map
}

TEST_CASE("SSIM of images scaled far from 1 equals SSIM of the originals", "[metrics][ssim]") {
    // SSIM(s·x, s·y; s·R) = SSIM(x, y; R); in plain double arithmetic the squared
    // moments overflow (NaN) for s = 2^700 or underflow for s = 2^-700.
    const Image<double> x = random_image<double>(40, 44, 3), y = add_noise(x, 0.1, 4);
    const double base = metrics::ssim(x, y);
    REQUIRE(base < 0.99);
    for (int e : {700, 250, -250, -700}) {
        Image<double> xs = x, ys = y;
        for (auto& v : xs) v = std::ldexp(v, e);
        for (auto& v : ys) v = std::ldexp(v, e);
        const double s = metrics::ssim(xs, ys, {.data_range = std::ldexp(1.0, e)});
        CHECK(s == Approx(base).epsilon(1e-12));
        const auto m = metrics::ssim_map(xs, ys, {.data_range = std::ldexp(1.0, e)});
        CHECK(std::isfinite(m.map(20, 20)));
        CHECK(m.mean == Approx(base).epsilon(1e-12));
    }
    // huge values against the default R = 1: finite, and 1 for identical images
    Image<double> big = x;
    for (auto& v : big) v *= 1e200;
    CHECK(metrics::ssim(big, big) == Approx(1.0).epsilon(1e-12));
    CHECK(std::isfinite(metrics::ssim(big, y)));
    // a data range so small against the values that C1, C2 underflow: identical images
    // (flat windows: each factor 0/0) still give 1, not NaN
    const Image<double> flat({16, 16}, std::ldexp(1.0, 850));
    CHECK(metrics::ssim(flat, flat) == 1.0);
    const Image<double> ones({16, 16}, 1.0);
    CHECK(metrics::ssim(ones, ones, {.data_range = 1e-200}) == 1.0);
    CHECK(metrics::ssim(x, x, {.data_range = 1e-200}) == Approx(1.0).epsilon(1e-12));
}

TEST_CASE("SSIM does not depend on the thread count", "[metrics][ssim][threads]") {
    const auto x = random_image<double>(203, 111, 5);
    const auto y = add_noise(x, 0.05, 6);
    const int saved = num_threads();
    set_num_threads(1);
    const auto one = metrics::ssim_map(x, y);
    set_num_threads(3);
    const auto three = metrics::ssim_map(x, y);
    set_num_threads(saved);
    CHECK(one.mean == three.mean);
    CHECK(max_abs_diff(one.map, three.map) == 0);
}

TEST_CASE("SSIM rejects bad input and options", "[metrics][ssim][errors]") {
    Image<double> a({20, 20}, 0.5), b({20, 21}, 0.5);
    CHECK_THROWS_AS(metrics::ssim(a, b), ShapeError);
    CHECK_THROWS_WITH(metrics::ssim(a, b), Catch::Contains("'img'") && Catch::Contains("20x20"));
    Image<double> small({10, 30}, 0.5);
    CHECK_THROWS_AS(metrics::ssim(small, small), ShapeError);
    CHECK_THROWS_WITH(metrics::ssim(small, small), Catch::Contains("'ref'") && Catch::Contains("11x11"));
    CHECK_NOTHROW(metrics::ssim(small, small, {.window = metrics::SsimWindow::uniform, .win_size = 7}));
    Image<double> c = a;
    c(3, 4) = std::numeric_limits<double>::infinity();
    CHECK_THROWS_WITH(metrics::ssim(a, c), Catch::Contains("'img'") && Catch::Contains("finite"));
    CHECK_THROWS_WITH(metrics::ssim(a, a, {.k1 = -1}), Catch::Contains("options.k1"));
    CHECK_THROWS_WITH(metrics::ssim(a, a, {.k2 = 0}), Catch::Contains("options.k2"));
    CHECK_THROWS_WITH(metrics::ssim(a, a, {.data_range = 0}), Catch::Contains("options.data_range"));
    CHECK_THROWS_WITH(metrics::ssim(a, a, {.sigma = 0}), Catch::Contains("options.sigma"));
    CHECK_THROWS_WITH(metrics::ssim(a, a, {.sigma = 0.1}), Catch::Contains("options.truncate"));
    CHECK_THROWS_WITH(metrics::ssim(a, a, {.window = metrics::SsimWindow::uniform, .win_size = 4}),
                      Catch::Contains("options.win_size"));
    CHECK(metrics::SsimOptions{}.window_size() == 11);
    CHECK(metrics::SsimOptions{.sigma = 2.0}.window_size() == 15);  // r = int(3.5·2 + 0.5) = 7
}

TEST_CASE("SSIM, PSNR and MSE agree with scikit-image on the shipped photos", "[metrics][ssim][peer]") {
    if (!test::python_has("skimage") || !test::python_has("numpy")) {
        WARN("skipped: /usr/bin/python3 has no scikit-image");
        return;
    }
    // degraded versions of real photos: noise, blur, both; gray and color
    const auto camera = io::read_gray<double>(test::source_path("data/camera.png"));
    const auto grass = io::read_gray<double>(test::source_path("data/grass.png"));
    const auto astronaut = io::read_color<double>(test::source_path("data/astronaut.png"));
    const auto chelsea = io::read_color<double>(test::source_path("data/chelsea.png"));
    struct Case {
        std::string name;
        bool color;
        std::string options;  // skimage keyword arguments
        metrics::SsimOptions ours;
    };
    const metrics::SsimOptions wang{};
    const std::string wang_py = "gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1";
    std::vector<Case> cases = {
        {"camera_noise", false, wang_py, wang},
        {"grass_blur", false, wang_py, wang},
        {"astronaut_noise_blur", true, wang_py, wang},
        {"chelsea_noise", true, wang_py, wang},
        {"camera_uniform", false, "win_size=7, use_sample_covariance=True, data_range=1",
         {.window = metrics::SsimWindow::uniform, .win_size = 7, .sample_covariance = true}},
        {"chelsea_sigma2", true, "gaussian_weights=True, sigma=2.0, use_sample_covariance=False, data_range=2, K1=0.02, K2=0.05",
         {.sigma = 2.0, .k1 = 0.02, .k2 = 0.05, .data_range = 2.0}},
    };
    test::write_npy(scratch("camera_noise_ref.npy"), camera);
    test::write_npy(scratch("camera_noise_img.npy"), add_noise(camera, 0.05, 11));
    test::write_npy(scratch("grass_blur_ref.npy"), grass);
    test::write_npy(scratch("grass_blur_img.npy"), box_blur(grass, 2));
    test::write_npy(scratch("astronaut_noise_blur_ref.npy"), astronaut);
    test::write_npy(scratch("astronaut_noise_blur_img.npy"), add_noise(box_blur(astronaut, 1), 0.03, 12));
    test::write_npy(scratch("chelsea_noise_ref.npy"), chelsea);
    test::write_npy(scratch("chelsea_noise_img.npy"), add_noise(chelsea, 0.1, 13));
    test::write_npy(scratch("camera_uniform_ref.npy"), camera);
    test::write_npy(scratch("camera_uniform_img.npy"), add_noise(box_blur(camera, 1), 0.02, 14));
    test::write_npy(scratch("chelsea_sigma2_ref.npy"), chelsea);
    test::write_npy(scratch("chelsea_sigma2_img.npy"), add_noise(box_blur(chelsea, 2), 0.02, 15));

    std::string script = "import sys, numpy as np\n"
                         "from skimage.metrics import structural_similarity as ssim, peak_signal_noise_ratio as psnr, mean_squared_error as mse\n"
                         "d = sys.argv[1]\n"
                         "def run(name, color, **kw):\n"
                         "    a = np.load(f'{d}/{name}_ref.npy'); b = np.load(f'{d}/{name}_img.npy')\n"
                         "    ch = dict(channel_axis=0) if color else {}\n"
                         "    m, S = ssim(a, b, full=True, **ch, **kw)\n"
                         "    np.save(f'{d}/{name}_map.npy', S)\n"
                         "    r = [m, psnr(a, b, data_range=1), mse(a, b)]\n"
                         "    np.save(f'{d}/{name}_scalars.npy', np.array(r, dtype=np.float64))\n";
    for (const auto& c : cases)
        script += "run('" + c.name + "', " + (c.color ? "True" : "False") + ", " + c.options + ")\n";
    test::run_python_code(script, {(test::scratch_dir() / "metrics").string()});

    double worst_mean = 0, worst_map = 0, worst_float = 0;
    for (const auto& c : cases) {
        CAPTURE(c.name);
        const auto scalars = test::read_npy<double>(scratch(c.name + "_scalars.npy"));
        const auto want_map = test::read_npy<double>(scratch(c.name + "_map.npy"));
        double got_mean = 0, got_psnr = 0, got_mse = 0, got_float = 0, map_diff = 0;
        if (c.color) {
            const auto a = xt::xtensor<double, 3>(test::read_npy<double>(scratch(c.name + "_ref.npy")));
            const auto b = xt::xtensor<double, 3>(test::read_npy<double>(scratch(c.name + "_img.npy")));
            const auto r = metrics::ssim_map(a, b, c.ours);
            got_mean = r.mean;
            map_diff = max_abs_diff(r.map, want_map);
            got_psnr = metrics::psnr(a, b);
            got_mse = metrics::mse(a, b);
            got_float = metrics::ssim(xt::xtensor<float, 3>(xt::cast<float>(a)), xt::xtensor<float, 3>(xt::cast<float>(b)), c.ours);
        } else {
            const auto a = xt::xtensor<double, 2>(test::read_npy<double>(scratch(c.name + "_ref.npy")));
            const auto b = xt::xtensor<double, 2>(test::read_npy<double>(scratch(c.name + "_img.npy")));
            const auto r = metrics::ssim_map(a, b, c.ours);
            got_mean = r.mean;
            map_diff = max_abs_diff(r.map, want_map);
            got_psnr = metrics::psnr(a, b);
            got_mse = metrics::mse(a, b);
            got_float = metrics::ssim(xt::xtensor<float, 2>(xt::cast<float>(a)), xt::xtensor<float, 2>(xt::cast<float>(b)), c.ours);
        }
        const double mean_diff = std::abs(got_mean - scalars(0));
        CAPTURE(got_mean, scalars(0), mean_diff, map_diff);
        CHECK(mean_diff < 1e-4);  // the required agreement; measured ~1e-16
        CHECK(mean_diff < 1e-12);
        CHECK(map_diff < 1e-10);
        CHECK(got_psnr == Approx(scalars(1)).epsilon(1e-12));
        CHECK(got_mse == Approx(scalars(2)).epsilon(1e-12));
        // float input (rounded to float, computed in double inside) against skimage in float64
        CHECK(std::abs(got_float - scalars(0)) < 1e-5);
        worst_mean = std::max(worst_mean, mean_diff);
        worst_map = std::max(worst_map, map_diff);
        worst_float = std::max(worst_float, std::abs(got_float - scalars(0)));
    }
    // shown with -s: the measured agreement
    INFO("max |mean SSIM - skimage| = " << worst_mean << ", max |map - skimage map| = " << worst_map
                                        << ", float input: " << worst_float);
    SUCCEED("agreement measured");
}
